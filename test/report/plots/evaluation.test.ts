import { describe, expect, it } from 'vitest';
import { evaluationSpec } from '../../../src/report/plots/evaluation.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import type { ReportData } from '../../../src/report/report-data.js';
import { compareReport } from './reports.js';
import { DEFAULT_PLOT_OPTIONS } from '../../../src/report/options.js';
import { ariaLabels, dataOf, expectWellFormedXml, items } from './svg.js';

describe('evaluation curves', () => {
  it('show test accuracy per epoch as a percentage, mean line and band per group', async () => {
    const spec = evaluationSpec(compareReport());
    expect(spec.title).toMatchObject({ text: 'cmp: test accuracy per epoch' });
    const svg = await renderSvg(spec, 'accuracy');
    expectWellFormedXml(svg);
    expect(items(svg, 'line mark')).toBe(2);
    expect(items(svg, 'area mark')).toBe(2);
    expect(items(svg, 'point')).toBe(4); // two epochs × two groups
    expect(ariaLabels(svg)).toContainEqual(expect.stringMatching(/^Y-axis titled 'test accuracy' for a linear scale/));
    expect(svg).toMatch(/>9\d(\.\d)?%<\/text>/);
  });

  it('fall back to test loss on a log axis when no trial measured accuracy, and say so', async () => {
    const data = compareReport();
    const noAccuracy: ReportData = {
      ...data,
      trials: data.trials.map((t) => ({ ...t, evaluations: t.evaluations.map((e) => ({ ...e, testAccuracy: null })) })),
    };
    const spec = evaluationSpec(noAccuracy);
    expect(spec.title).toMatchObject({ text: 'cmp: test loss per epoch' });
    const svg = await renderSvg(spec, 'accuracy');
    expect(ariaLabels(svg)).toContainEqual(expect.stringMatching(/^Y-axis titled 'test loss \(log scale\)' for a log scale/));
    expect(items(svg, 'line mark')).toBe(2);
  });
});

describe('evaluations beyond one test curve', () => {
  it('draw validation accuracy dashed beside test accuracy, in the same colours', async () => {
    const data = compareReport();
    const withValidation: ReportData = {
      ...data,
      trials: data.trials.map((t) => ({ ...t, evaluations: t.evaluations.map((e) => ({ ...e, valAccuracy: e.testAccuracy! - 0.01 })) })),
    };
    const spec = evaluationSpec(withValidation) as unknown as { title: { text: string }; layer: { encoding: { strokeDash?: { field: string; scale: { domain: string[] } } } }[] };
    expect(spec.title.text).toBe('cmp: test and validation accuracy per epoch');
    expect(spec.layer[1].encoding.strokeDash).toMatchObject({ field: 'split', scale: { domain: ['test', 'validation'] } });
    const svg = await renderSvg(evaluationSpec(withValidation), 'accuracy');
    expect(items(svg, 'line mark')).toBe(4); // two groups × two splits
    expect(ariaLabels(svg)).toContainEqual(expect.stringMatching(/^Symbol legend titled 'data' .* with 2 values: test, validation$/));
  });

  it('show each seed\'s final value instead of a one-point curve when every trial evaluated once', async () => {
    const data = compareReport();
    const once: ReportData = { ...data, trials: data.trials.map((t) => ({ ...t, evaluations: t.evaluations.slice(0, 1) })) };
    const spec = evaluationSpec(once);
    expect(spec.title).toMatchObject({ text: 'cmp: final test accuracy' });
    expect(dataOf(spec)).toHaveLength(once.trials.filter((t) => t.evaluations.length === 1).length);
    const svg = await renderSvg(spec, 'accuracy');
    expectWellFormedXml(svg);
    expect(items(svg, 'line mark')).toBe(0);
    expect(items(svg, 'tick')).toBe(2); // the mean of each group
  });

  it('run along seconds when asked', () => {
    const spec = evaluationSpec(compareReport(), { ...DEFAULT_PLOT_OPTIONS, xAxis: 'seconds' }) as unknown as { title: { text: string } };
    expect(spec.title.text).toBe('cmp: test accuracy per second of wall clock');
  });
});

describe('the target', () => {
  it('is a dotted line across the test accuracy, labelled with its value', async () => {
    const svg = await renderSvg(evaluationSpec({ ...compareReport(), targets: { test_accuracy: 0.95 } }), 'accuracy');
    expectWellFormedXml(svg);
    expect(items(svg, 'rule mark')).toBe(1);
    expect(svg).toContain('>target 95%</text>');
    expect(items(await renderSvg(evaluationSpec({ ...compareReport(), targets: { train_loss: 0.1 } }), 'accuracy'), 'rule mark')).toBe(0);
  });
});
