import { describe, expect, it } from 'vitest';
import { axisImportance } from '../../../src/report/importance.js';
import { hasManyAxes, importanceSpec } from '../../../src/report/plots/importance.js';
import { parallelSpec } from '../../../src/report/plots/parallel.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import type { GroupSummary, ReportData } from '../../../src/report/report-data.js';
import type { TrialData } from '../../../src/runs/run-reader.js';
import { compareReport, gridReport } from './reports.js';
import { dataOf, expectWellFormedXml, items } from './svg.js';

/** A 2 × 2 × 2 grid, one seed each: the accuracy is 0.9 + 0.04 when lr is 0.01, + 0.01 when wd is 0.1; eps does nothing. */
function threeAxes(): ReportData {
  const trials: TrialData[] = [];
  const groups: GroupSummary[] = [];
  for (const lr of [0.001, 0.01]) {
    for (const wd of [0, 0.1]) {
      for (const eps of [1e-8, 1e-6]) {
        const values = { 'optimizer.lr': lr, 'optimizer.weight_decay': wd, 'optimizer.eps': eps };
        const group = `lr=${lr} wd=${wd} eps=${eps}`;
        const accuracy = 0.9 + (lr === 0.01 ? 0.04 : 0) + (wd === 0.1 ? 0.01 : 0);
        trials.push({ id: `t${trials.length}`, group, seed: 0, status: 'completed', values, losses: [], evaluations: [{ epoch: 1, step: 10, trainLoss: 0.1, testLoss: 0.2, testAccuracy: accuracy }], divergedAtStep: null, seconds: 1 });
        groups.push({ group, values, rank: null, trials: 1, completed: 1, diverged: 0, failed: 0, metrics: {} });
      }
    }
  }
  return { kind: 'sweep', name: 'three', id: 's3', axes: ['optimizer.lr', 'optimizer.weight_decay', 'optimizer.eps'], trials, groups, rankBy: { metric: 'final_test_accuracy', higherIsBetter: true } };
}

describe('sweeps over three paths or more', () => {
  it('get parallel coordinates and importance; a two-path grid and a comparison do not', () => {
    expect(hasManyAxes(threeAxes())).toBe(true);
    expect(hasManyAxes(gridReport())).toBe(false);
    expect(hasManyAxes(compareReport())).toBe(false);
    expect(parallelSpec(gridReport())).toBeNull();
    expect(importanceSpec(compareReport())).toBeNull();
  });

  it('split the variance of the ranked metric by path (η²), with the share chance alone gives', () => {
    const shares = axisImportance(threeAxes());
    // SS_total = 8 · (0.02² + 0.005²) about the mean 0.925; lr explains 8 · 0.02², wd 8 · 0.005², eps nothing
    const total = 0.02 ** 2 + 0.005 ** 2;
    expect(shares.map((s) => s.axis)).toEqual(['optimizer.lr', 'optimizer.weight_decay', 'optimizer.eps']);
    expect(shares[0].share).toBeCloseTo(0.02 ** 2 / total, 10);
    expect(shares[1].share).toBeCloseTo(0.005 ** 2 / total, 10);
    expect(shares[2].share).toBeCloseTo(0, 10);
    expect(shares.every((s) => s.levels === 2 && s.chance === 1 / 7)).toBe(true);
  });

  it('draw one bar per path, longest first, and one line per trial through every path and the metric', async () => {
    const importance = importanceSpec(threeAxes())!;
    expect(dataOf(importance).map((v) => v.name)).toEqual(['lr', 'weight_decay', 'eps']);
    const svg = await renderSvg(importance, 'importance');
    expectWellFormedXml(svg);
    expect(items(svg, 'bar')).toBe(3);
    const parallel = parallelSpec(threeAxes())! as unknown as { layer: { data: { values: { trial: string; axis: string; y: number }[] } }[] };
    const lines = parallel.layer[1].data.values;
    expect(new Set(lines.map((l) => l.trial)).size).toBe(8);
    expect([...new Set(lines.map((l) => l.axis))]).toEqual(['lr', 'weight_decay', 'eps', 'final_test_accuracy']);
    expect(lines.every((l) => l.y >= 0 && l.y <= 1)).toBe(true);
    const drawn = await renderSvg(parallelSpec(threeAxes())!, 'parallel');
    expectWellFormedXml(drawn);
    expect(items(drawn, 'line mark')).toBe(8);
  });
});
