import { describe, expect, it } from 'vitest';
import { displayNumber } from '../../src/report/display-number.js';
import type { CurvePoint } from '../../src/report/plots/curves.js';
import { evaluationSpec } from '../../src/report/plots/evaluation.js';
import { heatmapAxes, heatmapSpec } from '../../src/report/plots/heatmap.js';
import { lossSpec } from '../../src/report/plots/loss.js';
import { renderSvg } from '../../src/report/plots/render-svg.js';
import type { GroupSummary, ReportData } from '../../src/report/report-data.js';
import type { EvaluationPoint, TrialData } from '../../src/runs/run-reader.js';

// ---------------------------------------------------------------------------------------------
// Hand-built reports

const STEPS = Array.from({ length: 20 }, (_, i) => i * 10); // 0, 10, …, 190

function trial(group: string, seed: number, loss: (step: number) => number, options: { divergedAt?: number; values?: TrialData['values'] } = {}): TrialData {
  const { divergedAt = null, values = {} } = options;
  const steps = STEPS.filter((s) => divergedAt === null || s <= divergedAt);
  const evaluations: EvaluationPoint[] = [1, 2]
    .filter((epoch) => divergedAt === null || epoch * 100 < divergedAt)
    .map((epoch) => ({ epoch, step: epoch * 100, trainLoss: loss(epoch * 100), testLoss: 1.1 * loss(epoch * 100), testAccuracy: 0.9 + 0.02 * epoch - loss(epoch * 100) / 100 }));
  return {
    id: `${group}-s${seed}`,
    group,
    seed,
    status: divergedAt === null ? 'completed' : 'diverged',
    values: { ...values, seed },
    losses: steps.map((s) => [s, s === divergedAt ? Number.NaN : loss(s)] as const),
    evaluations,
    divergedAtStep: divergedAt,
    seconds: 1.5,
  };
}

function summary(group: string, trials: readonly TrialData[], rank: number | null, values: GroupSummary['values'] = {}): GroupSummary {
  const finished = trials.filter((t) => t.status === 'completed');
  const finals = finished.map((t) => t.evaluations[t.evaluations.length - 1].trainLoss!);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  return {
    group,
    values,
    rank,
    trials: trials.length,
    completed: finished.length,
    diverged: trials.length - finished.length,
    failed: 0,
    metrics: { final_train_loss: finals.length === 0 ? null : { mean, std: 0.01, n: finals.length } },
  };
}

/** adam and sgd, three seeds each; sgd's seed 2 diverges at step 120 (its loss there is NaN). */
function compareReport(): ReportData {
  const adam = [0, 1, 2].map((seed) => trial('adam', seed, (s) => 2 * Math.exp(-s / 50) + 0.01 * (seed + 1)));
  const sgd = [0, 1, 2].map((seed) =>
    trial('sgd', seed, (s) => 2 * Math.exp(-s / 150) + 0.05 * (seed + 1), seed === 2 ? { divergedAt: 120 } : {}),
  );
  return {
    kind: 'compare',
    name: 'cmp',
    id: 'sweep-1',
    axes: [],
    trials: [...adam, ...sgd],
    groups: [summary('adam', adam, 1), summary('sgd', sgd, 2)],
    rankBy: { metric: 'final_train_loss', higherIsBetter: false },
  };
}

const LRS = [0.01, 0.001]; // not in numeric order, on purpose
const BETAS = [0.9, 0.8, 0.95];

/** optimizer.lr × optimizer.betas.0, two seeds per point; every seed of (0.01, 0.95) diverges. */
function gridReport(lrs: readonly number[] = LRS, betas: readonly number[] = BETAS): ReportData {
  const trials: TrialData[] = [];
  const groups: GroupSummary[] = [];
  for (const lr of lrs) {
    for (const beta of betas) {
      const group = `optimizer.lr=${lr}, optimizer.betas.0=${beta}`;
      const values = { 'optimizer.lr': lr, 'optimizer.betas.0': beta };
      const diverges = lr === 0.01 && beta === 0.95;
      const point = [0, 1].map((seed) =>
        trial(group, seed, (s) => Math.exp(-s * lr * 10) * beta + 0.001 * (seed + 1), { values, ...(diverges ? { divergedAt: 30 + 10 * seed } : {}) }),
      );
      trials.push(...point);
      groups.push(summary(group, point, diverges ? null : groups.length + 1, values));
    }
  }
  return { kind: 'sweep', name: 'grid', id: 'sweep-2', axes: ['optimizer.lr', 'optimizer.betas.0'], trials, groups, rankBy: { metric: 'final_train_loss', higherIsBetter: false } };
}

// ---------------------------------------------------------------------------------------------
// Reading SVG

/**
 * A small well-formedness check, so that no XML parser has to be added as a dependency: one root
 * element, tags nest and close, attributes are quoted and not repeated, and every & starts a
 * known entity.
 */
function expectWellFormedXml(text: string): void {
  // (stricter than XML inside comments and CDATA, which vega does not write)
  const bare = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bare) throw new Error(`bare & at offset ${bare.index}: ${text.slice(bare.index, bare.index + 60)}`);
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|</g;
  const open: string[] = [];
  let roots = 0;
  let last = 0;
  for (const match of text.matchAll(token)) {
    const [whole, closing, name, attributes, selfClosing] = match;
    const at = `at offset ${match.index}: ${text.slice(match.index, match.index + 60)}`;
    if (whole === '<') throw new Error(`not a tag ${at}`);
    if (open.length === 0 && text.slice(last, match.index).trim() !== '') throw new Error(`text outside the root ${at}`);
    last = match.index + whole.length;
    if (name === undefined) continue; // a comment, processing instruction or CDATA
    if (closing) {
      if (open.pop() !== name) throw new Error(`</${name}> closes nothing open ${at}`);
      continue;
    }
    const names = [...attributes.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"[^"]*"|'[^']*')/g)].map(([, n]) => n);
    if (new Set(names).size !== names.length) throw new Error(`repeated attribute ${at}`);
    if (open.length === 0) roots += 1;
    if (!selfClosing) open.push(name);
  }
  expect(open, 'unclosed elements').toEqual([]);
  expect(roots, 'root elements').toBe(1);
}

/** How many scene items vega drew for marks of a type ("line mark", "area mark", "rect mark", "point" for line points and symbols). */
function items(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

function ariaLabels(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*)"/g)].map(([, label]) => label);
}

function dataOf(spec: object): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}

// ---------------------------------------------------------------------------------------------

describe('the XML check used below', () => {
  it('accepts well-formed XML and rejects broken nesting, bare ampersands and repeated attributes', () => {
    expectWellFormedXml('<svg a="1"><g><text>x &amp; y &lt;&amp;&gt;</text><path d="M0,0"/></g></svg>');
    expect(() => expectWellFormedXml('<svg><g></svg>')).toThrow();
    expect(() => expectWellFormedXml('<svg><text>a & b</text></svg>')).toThrow(/bare &/);
    expect(() => expectWellFormedXml('<svg a="1" a="2"></svg>')).toThrow(/repeated/);
    expectWellFormedXml('<svg a="x=1, x=2"></svg>');
    expect(() => expectWellFormedXml('<svg></svg><svg></svg>')).toThrow();
  });
});

describe('loss curves', () => {
  it('draw one mean line and one min–max band per group on a log axis, with the groups in the legend', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(lossSpec(compareReport()), 'loss', warnings);
    expect(warnings).toEqual([]);
    expectWellFormedXml(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(items(svg, 'line mark')).toBe(2);
    expect(items(svg, 'area mark')).toBe(2);
    expect(items(svg, 'point')).toBe(1); // the cross where sgd's seed 2 diverged
    const labels = ariaLabels(svg);
    expect(labels).toContainEqual(expect.stringMatching(/^Y-axis titled 'batch loss \(log scale\)' for a log scale/));
    expect(labels).toContainEqual(expect.stringMatching(/^Symbol legend titled 'group' .* with 2 values: adam, sgd$/));
    expect(svg).toMatch(/>adam<\/text>/);
    expect(svg).toMatch(/>sgd \(1\/3 diverged\)<\/text>/);
  });

  it('draw no band for a group with a single seed, and keep odd group names well-formed', async () => {
    const data = compareReport();
    const name = 'single <&> "quoted"';
    const single = trial(name, 0, (s) => 1 / (s + 1));
    const svg = await renderSvg(lossSpec({ ...data, trials: [...data.trials, single], groups: [...data.groups, summary(name, [single], 3)] }), 'loss');
    expectWellFormedXml(svg);
    expect(svg).toContain('>single &lt;&amp;&gt; "quoted"</text>');
    expect(items(svg, 'line mark')).toBe(3);
    expect(items(svg, 'area mark')).toBe(2);
  });

  it('average the seeds present at each step; a diverged trial stops counting where it diverged', () => {
    const data = compareReport();
    const points = dataOf(lossSpec(data)) as unknown as CurvePoint[];
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
    const crosses = (lossSpec(data) as { layer: { data?: { values: unknown[] } }[] }).layer[2].data!.values;
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
    const points = dataOf(lossSpec(thinned)) as unknown as CurvePoint[];
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
    const spec = lossSpec(data) as unknown as { layer: { encoding: { y: { scale?: { domain?: number[] } } } }[] };
    const top = spec.layer[1].encoding.y.scale!.domain![1];
    expect(top).toBeGreaterThan(largestFirstLoss(data));
    expect(top).toBeLessThanOrEqual(10 * largestFirstLoss(data));
    const svg = await renderSvg(lossSpec(data), 'loss');
    const axis = ariaLabels(svg).find((l) => l.startsWith("Y-axis titled 'batch loss"))!;
    const [, high] = /values from (\S+) to (\S+)$/.exec(axis)!.slice(1).map(Number);
    expect(high).toBeLessThanOrEqual(100); // not 1e37: the converging curves keep their decades
    // the cross of the diverged trial sits on the axis' top edge, not far above it
    const crosses = (lossSpec(data) as unknown as { layer: { data?: { values: { y: number }[] } }[] }).layer[2].data!.values;
    expect(crosses.map((c) => c.y)).toEqual([top]);
  });

  it('leave the axis alone when nothing climbs above it', () => {
    const spec = lossSpec(compareReport()) as unknown as { layer: { encoding: { y: { scale?: { domain?: number[] } } } }[] };
    expect(spec.layer[1].encoding.y.scale?.domain).toBeUndefined();
  });

  it('name the groups with a diverged trial as such in the legend', async () => {
    const svg = await renderSvg(lossSpec(blowUp()), 'loss');
    expect(svg).toMatch(/>sgd \(1\/3 diverged\)<\/text>/);
    expect(svg).toMatch(/>adam<\/text>/);
  });
});

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

describe('the heatmap', () => {
  it('has one cell per grid point, the axes in numeric order, and the all-diverged cell marked', async () => {
    const data = gridReport();
    const spec = heatmapSpec(data)!;
    const warnings: string[] = [];
    const svg = await renderSvg(spec, 'heatmap', warnings);
    expect(warnings).toEqual([]);
    expectWellFormedXml(svg);
    expect(items(svg, 'rect mark')).toBe(6);
    const labels = ariaLabels(svg);
    expect(labels).toContainEqual("X-axis titled 'optimizer.lr' for a discrete scale with 2 values: 0.001, 0.01");
    expect(labels).toContainEqual("Y-axis titled 'optimizer.betas.0' for a discrete scale with 3 values: 0.95, 0.9, 0.8");
    for (const g of data.groups) expect(labels.filter((l) => l.startsWith(`${g.group}: `))).toHaveLength(1);
    expect(labels).toContainEqual('optimizer.lr=0.01, optimizer.betas.0=0.95: NaN, 2/2 diverged');
    expect(labels.filter((l) => l.includes('NaN'))).toHaveLength(1);
    // the diverged cell: its own fill, struck out by two diagonal rules, annotated NaN
    expect(svg.split('fill="#f3c4c0"').length - 1).toBe(1);
    expect(svg.split('class="mark-rule').length - 1).toBe(2);
    expect(svg).toMatch(/>NaN</);
    // every other cell is annotated with its value
    const cells = dataOf(spec) as { state: string; loss: number | null; text: string }[];
    expect(cells.filter((c) => c.state === 'loss')).toHaveLength(5);
    for (const c of cells.filter((c) => c.state === 'loss')) expect(svg).toContain(`>${displayNumber(c.loss!)}<`);
  });

  it('labels its colour legend with the same rounding as the cells', async () => {
    // means between 0.64 and 0.82: no 1, 2 or 5 × 10^k inside, so the legend shows the raw ends
    const data = gridReport();
    const means = [0.644467585, 0.7, 0.75, 0.8, 0.81234567];
    const groups = data.groups.map((g, i) => (i >= means.length ? g : { ...g, metrics: { final_train_loss: { mean: means[i], std: 0.01, n: 2 } } }));
    const svg = await renderSvg(heatmapSpec({ ...data, groups })!, 'heatmap');
    expect(svg).toContain('>0.6445</text>');
    expect(svg).toContain('>0.8123</text>');
    const texts = [...svg.matchAll(/>([\d.e+-]+)<\/text>/g)].map(([, t]) => t);
    for (const t of texts) expect(t.replace(/^0\.0*|\.|e.*$/g, '').length, t).toBeLessThanOrEqual(4);
  });

  it('colours by the mean final train loss on a log scale', () => {
    const spec = heatmapSpec(gridReport()) as unknown as { layer: { encoding: { color?: { field: string; scale: { type: string } } } }[] };
    expect(spec.layer[0].encoding.color).toMatchObject({ field: 'loss', scale: { type: 'log' } });
  });

  it('is drawn only for a sweep over exactly two paths with two values or more each', () => {
    expect(heatmapAxes(gridReport())?.map((a) => a.labels)).toEqual([
      ['0.001', '0.01'],
      ['0.8', '0.9', '0.95'],
    ]);
    expect(heatmapSpec(compareReport())).toBeNull();
    expect(heatmapSpec(gridReport([0.001]))).toBeNull();
    expect(heatmapSpec({ ...gridReport(), axes: ['optimizer.lr', 'optimizer.betas.0', 'optimizer.eps'] })).toBeNull();
  });
});

describe('rendering', () => {
  it('is deterministic, whatever was rendered before, with ids namespaced per plot', async () => {
    const spec = heatmapSpec(gridReport())!;
    const first = await renderSvg(spec, 'heatmap');
    await renderSvg(lossSpec(compareReport()), 'loss');
    await renderSvg(spec, 'other');
    expect(await renderSvg(spec, 'heatmap')).toBe(first);
    const ids = [...first.matchAll(/\bid="([^"]+)"/g)].map(([, id]) => id);
    expect(ids.length).toBeGreaterThan(0); // the colour legend's gradient
    expect(ids.every((id) => id.startsWith('heatmap-'))).toBe(true);
    for (const [, ref] of first.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
  });
});

describe('displayNumber', () => {
  it('gives four significant digits, plain between 1e-3 and 1e5', () => {
    expect(displayNumber(0.012345678)).toBe('0.01235');
    expect(displayNumber(2.5)).toBe('2.5');
    expect(displayNumber(0)).toBe('0');
    expect(displayNumber(1.23456e-5)).toBe('1.235e-5');
    expect(displayNumber(123456789)).toBe('1.235e+8');
    expect(displayNumber(0.0123, 2)).toBe('0.012');
    expect(displayNumber(Number.NaN)).toBe('NaN');
    expect(displayNumber(-Infinity)).toBe('−∞');
  });
});
