import { describe, expect, it } from 'vitest';
import type { CurvePoint } from '../../../src/report/plots/curves.js';
import { lossSpec } from '../../../src/report/plots/loss.js';
import { DEFAULT_PLOT_OPTIONS } from '../../../src/report/options.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import type { ReportData } from '../../../src/report/report-data.js';
import { smoothed } from '../../../src/report/plots/smoothing.js';
import { compareReport, gridReport, STEPS, summary, trial } from './reports.js';
import { ariaLabels, dataOf, expectWellFormedXml, items } from './svg.js';

/** The raw batch losses, unsmoothed: what these tests check the aggregation and the axis of. */
const RAW = { ...DEFAULT_PLOT_OPTIONS, smoothing: 0 };

describe('loss curves', () => {
  it('draw one mean line and one min–max band per group on a log axis, with the groups in the legend', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(lossSpec(compareReport(), RAW), 'loss', warnings);
    expect(warnings).toEqual([]);
    expectWellFormedXml(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(items(svg, 'line mark')).toBe(2);
    expect(items(svg, 'area mark')).toBe(2);
    expect(items(svg, 'point')).toBe(1); // the cross where sgd's seed 2 diverged
    const labels = ariaLabels(svg);
    expect(labels).toContainEqual(expect.stringMatching(/^Y-axis titled 'batch loss \(log scale\)' for a log scale/));
    // a comparison's groups are its variants, as comparison.md names them
    expect(labels).toContainEqual(expect.stringMatching(/^Symbol legend titled 'variant' .* with 2 values: adam, sgd$/));
    expect(svg).toMatch(/>adam<\/text>/);
    expect(svg).toMatch(/>sgd \(1\/3 diverged\)<\/text>/);
  });

  it('draw no band for a group with a single seed, and keep odd group names well-formed', async () => {
    const data = compareReport();
    const name = 'single <&> "quoted"';
    const single = trial(name, 0, (s) => 1 / (s + 1));
    const svg = await renderSvg(lossSpec({ ...data, trials: [...data.trials, single], groups: [...data.groups, summary(name, [single], 3)] }, RAW), 'loss');
    expectWellFormedXml(svg);
    expect(svg).toContain('>single &lt;&amp;&gt; "quoted"</text>');
    expect(items(svg, 'line mark')).toBe(3);
    expect(items(svg, 'area mark')).toBe(2);
  });

  it('average the seeds present at each step; a diverged trial stops counting where it diverged', () => {
    const data = compareReport();
    const points = dataOf(lossSpec(data, RAW)) as unknown as CurvePoint[];
    const at = (group: string, x: number) => points.find((p) => p.group === group && p.x === x)!;
    const sgd = (seed: number, s: number) => 2 * Math.exp(-s / 150) + 0.05 * (seed + 1);
    expect(at('sgd', 50).seeds).toBe(3);
    expect(at('sgd', 50).mean).toBeCloseTo((sgd(0, 50) + sgd(1, 50) + sgd(2, 50)) / 3, 12);
    expect(at('sgd', 50).min).toBeCloseTo(sgd(0, 50), 12);
    expect(at('sgd', 50).max).toBeCloseTo(sgd(2, 50), 12);
    expect(at('sgd', 110).seeds).toBe(3);
    expect(at('sgd', 120).seeds).toBe(2); // the NaN at the divergence is dropped
    expect(at('sgd', 190).mean).toBeCloseTo((sgd(0, 190) + sgd(1, 190)) / 2, 12);
    expect(points.every((p) => Number.isFinite(p.mean) && Number.isFinite(p.min) && Number.isFinite(p.max))).toBe(true);
    expect(points.filter((p) => p.group === 'adam')).toHaveLength(STEPS.length);
    // the cross sits on the diverged trial's last finite loss
    const crosses = (lossSpec(data, RAW) as { layer: { data?: { values: unknown[] } }[] }).layer[2].data!.values;
    expect(crosses).toEqual([{ group: 'sgd', trial: 'sgd-s2', x: 110, y: sgd(2, 110) }]);
  });

  it('read seeds thinned at different steps by interpolating each between its own points', () => {
    const data = compareReport();
    const [a, b] = data.trials;
    const thinned: ReportData = {
      ...data,
      trials: [
        { ...a, losses: [[0, 4], [10, 2], [20, 1]] },
        { ...b, losses: [[0, 2], [20, 1]] },
      ],
    };
    const points = dataOf(lossSpec(thinned, RAW)) as unknown as CurvePoint[];
    expect(points).toEqual([
      { group: 'adam', x: 0, mean: 3, min: 2, max: 4, seeds: 2 },
      { group: 'adam', x: 10, mean: 1.75, min: 1.5, max: 2, seeds: 2 },
      { group: 'adam', x: 20, mean: 1, min: 1, max: 1, seeds: 2 },
    ]);
  });
});

describe('loss curves with a trial that blows up before it diverges', () => {
  /** compareReport, but sgd's seed 2 climbs to 1e37 (finite) before its NaN at step 120. */
  function blowUp(): ReportData {
    const data = compareReport();
    const trials = data.trials.map((t) => (t.id !== 'sgd-s2' ? t : { ...t, losses: t.losses.map(([s, y]) => [s, s >= 60 && s < 120 ? 10 ** (s / 3) : y] as const) }));
    return { ...data, trials };
  }
  const largestFirstLoss = (data: ReportData): number => Math.max(...data.trials.filter((t) => t.status === 'completed').map((t) => t.losses[0][1]));

  it('cut the loss axis at a few times the largest first loss of the trials that did not diverge', async () => {
    const data = blowUp();
    const spec = lossSpec(data, RAW) as unknown as { layer: { encoding: { y: { scale?: { domain?: number[] } } } }[] };
    const top = spec.layer[1].encoding.y.scale!.domain![1];
    expect(top).toBeGreaterThan(largestFirstLoss(data));
    expect(top).toBeLessThanOrEqual(10 * largestFirstLoss(data));
    const svg = await renderSvg(lossSpec(data, RAW), 'loss');
    const axis = ariaLabels(svg).find((l) => l.startsWith("Y-axis titled 'batch loss"))!;
    const [, high] = /values from (\S+) to (\S+)$/.exec(axis)!.slice(1).map(Number);
    expect(high).toBeLessThanOrEqual(100); // not 1e37: the converging curves keep their decades
    // the cross of the diverged trial sits on the axis' top edge, not far above it
    const crosses = (lossSpec(data, RAW) as unknown as { layer: { data?: { values: { y: number }[] } }[] }).layer[2].data!.values;
    expect(crosses.map((c) => c.y)).toEqual([top]);
  });

  it('leave the axis alone when nothing climbs above it', () => {
    const spec = lossSpec(compareReport(), RAW) as unknown as { layer: { encoding: { y: { scale?: { domain?: number[] } } } }[] };
    expect(spec.layer[1].encoding.y.scale?.domain).toBeUndefined();
  });

  it('name the groups with a diverged trial as such in the legend', async () => {
    const svg = await renderSvg(lossSpec(blowUp(), RAW), 'loss');
    expect(svg).toMatch(/>sgd \(1\/3 diverged\)<\/text>/);
    expect(svg).toMatch(/>adam<\/text>/);
  });
});

describe('loss curves as a researcher reads them', () => {
  type Layered = { layer: { mark: { type: string; opacity?: number }; data?: { values: CurvePoint[] } }[] };

  it('are smoothed by default, each seed before the mean, with the raw mean faint behind', async () => {
    const data = compareReport();
    const spec = lossSpec(data) as unknown as Layered;
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['area', 'line', 'line', 'point']);
    const [, faint] = spec.layer;
    expect(faint.mark.opacity).toBeLessThan(0.5);
    // the faint layer is the raw mean; the main data is the mean of each seed's smoothed losses
    expect(faint.data!.values).toEqual(dataOf(lossSpec(data, RAW)));
    const adam = data.trials.filter((t) => t.group === 'adam');
    const smoothedAt = (i: number): number => adam.map((t) => smoothed(t.losses.map(([, y]) => y), 0.6)[i]).reduce((a, b) => a + b) / adam.length;
    const points = (dataOf(spec) as unknown as CurvePoint[]).filter((p) => p.group === 'adam');
    expect(points[5].mean).toBeCloseTo(smoothedAt(5), 12);
    expect(points[5].mean).not.toBeCloseTo(adam.map((t) => t.losses[5][1]).reduce((a, b) => a + b) / adam.length, 6);
    expect([(spec as unknown as { title: { subtitle: string | string[] } }).title.subtitle].flat().join('; ')).toContain('debiased EMA (weight 0.6)');
    expect(items(await renderSvg(lossSpec(data), 'loss'), 'line mark')).toBe(4);
  });

  it('run along epochs (steps per epoch from steps.csv) or wall-clock seconds', () => {
    const data = compareReport();
    const timed: ReportData = {
      ...data,
      trials: data.trials.map((t) => ({ ...t, stepsPerEpoch: 100, losses: t.losses.map(([s, y]) => [s, y, s / 20] as const) })),
    };
    const along = (xAxis: 'epoch' | 'seconds') => dataOf(lossSpec(timed, { ...RAW, xAxis })) as unknown as CurvePoint[];
    expect(along('epoch').filter((p) => p.group === 'adam').map((p) => p.x)).toEqual(STEPS.map((s) => s / 100));
    expect(along('seconds').filter((p) => p.group === 'adam').map((p) => p.x)).toEqual(STEPS.map((s) => s / 20));
    const spec = lossSpec(timed, { ...RAW, xAxis: 'seconds' }) as unknown as { layer: { encoding: { x: { title: string } } }[] };
    expect(spec.layer[1].encoding.x.title).toBe('seconds (wall clock)');
  });

  it('draw a grid of more than eight points as panels of the first path, coloured by the others alike in every panel', async () => {
    const data = gridReport([1e-4, 1e-3, 1e-2], [0.8, 0.9, 0.95]);
    const spec = lossSpec(data) as unknown as { facet: { field: string; sort: string[] }; spec: { layer: { encoding: { color: { field: string; scale: { domain: string[] } } } }[] } };
    expect(spec.facet).toMatchObject({ field: 'panel', sort: ['lr=1e-4', 'lr=0.001', 'lr=0.01'] });
    expect(spec.spec.layer[0].encoding.color).toMatchObject({ field: 'colour', scale: { domain: ['betas.0=0.8', 'betas.0=0.9', 'betas.0=0.95'] } });
    const svg = await renderSvg(lossSpec(data), 'loss');
    expectWellFormedXml(svg);
    expect(svg).toContain('>lr=1e-4</text>');
    expect(ariaLabels(svg)).toContainEqual(expect.stringMatching(/^Symbol legend titled 'betas.0' .* with 3 values: betas.0=0.8, betas.0=0.9, betas.0=0.95$/));
  });
});
