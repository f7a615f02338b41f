import { describe, expect, it } from 'vitest';
import { evaluationSpec } from '../../../src/report/plots/evaluation.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import type { ReportData } from '../../../src/report/report-data.js';
import { compareReport } from './reports.js';
import { ariaLabels, expectWellFormedXml, items } from './svg.js';

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
