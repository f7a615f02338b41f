import { describe, expect, it } from 'vitest';
import { internalsSpec } from '../../../src/report/plots/internals.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import type { InternalsPoint, TrialData } from '../../../src/runs/run-reader.js';
import { compareReport } from './reports.js';
import { expectWellFormedXml } from './svg.js';

const TENSORS = ['0.weight', '0.bias', '2.weight'];

/** Internals at steps 10, 20, ... for each tensor; SGD-like (no step sizes) when `sizes` is false. */
function withInternals(trial: TrialData, sizes: boolean): TrialData {
  const points = [10, 20, 30, 40].flatMap((step) =>
    TENSORS.map((tensor, i): InternalsPoint => ({ step, tensor, group: 'default', updateRatio: 0.01 / (i + 1) / step, stepSizes: sizes ? [1e-4 * (i + 1), 1e-3 * (i + 1), 1e-2 * (i + 1)] : null })),
  );
  return { ...trial, internals: { points, maxUpdateRatio: Math.max(...points.map((p) => p.updateRatio)) } };
}

describe('the internals plot', () => {
  it('is left out when no trial recorded internals', () => {
    expect(internalsSpec(compareReport())).toBeNull();
  });

  it("draws per group its first seed's update ratios, and the step-size quantiles where the optimizer has them", async () => {
    const data = compareReport();
    const [first, second] = [...new Set(data.trials.map((t) => t.group))];
    const trials = data.trials.map((t) => (t.group === first || t.group === second ? withInternals(t, t.group === first) : t));
    const spec = internalsSpec({ ...data, trials })!;
    const rows = (spec as { vconcat: { hconcat: { title: { text: string } }[] }[] }).vconcat;
    expect(rows.map((r) => r.hconcat.map((c) => c.title.text))).toEqual([
      [`${first}: update ratio ‖Δθ‖/‖θ‖`, `${first}: effective step size: median, band p10–p90`],
      [`${second}: update ratio ‖Δθ‖/‖θ‖`],
    ]);
    const warnings: string[] = [];
    const svg = await renderSvg(spec, 'internals', warnings);
    expect(warnings).toEqual([]);
    expectWellFormedXml(svg);
    for (const tensor of TENSORS) expect(svg).toContain(`>${tensor}<`);
  });
});
