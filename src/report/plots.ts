/**
 * The report's plots: vega-lite specs built from a ReportData, rendered to SVG strings by vega's
 * headless renderer (no browser, no canvas). Three pictures:
 *
 * - loss: the batch loss per step on a log axis; per group the mean over its seeds as a line and
 *   the min–max over seeds as a band (where at least two seeds have a value);
 * - evaluation: test accuracy per epoch in the same layout, or test loss when no trial measured
 *   accuracy (train loss when there is no test split either); the title says which;
 * - heatmap: for a sweep over exactly two config paths, the mean final train loss of every grid
 *   point on a log colour scale, with the cells where every seed diverged struck out.
 *
 * The specs are plain data and exported so that tests can check what goes into a picture
 * separately from how vega draws it.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TrialData } from '../runs/run-reader.js';
import type { GroupSummary, ReportData } from './report-data.js';

/**
 * `digits` significant digits (trailing zeros dropped), plain notation from 1e-3 to 1e5; the plots
 * and the HTML tables share it so that both show the same number.
 */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(x);
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e5)) return String(Number(x.toPrecision(digits)));
  const [mantissa, exponent] = x.toExponential(digits - 1).split('e');
  return `${String(Number(mantissa))}e${exponent}`;
}

// ---------------------------------------------------------------------------------------------
// Curves: mean and min–max over seeds

/** One trial's curve: finite (x, y) points in x order. */
type Curve = readonly (readonly [number, number])[];

/** A group's curve at one x: the mean, min and max over the seeds that have a value there. */
export interface CurvePoint {
  readonly group: string;
  readonly x: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly seeds: number;
}

/**
 * Aggregates the curves of one group's seeds on the union of their x values. Losses are thinned
 * per trial, and a diverged trial is thinned over fewer steps than its siblings, so the seeds'
 * x values need not coincide: each curve is read at every x inside its own range by linear
 * interpolation between its neighbouring points, and contributes nothing outside that range
 * (a diverged trial simply stops counting where it stopped).
 */
function aggregate(group: string, curves: readonly Curve[]): CurvePoint[] {
  const xs = [...new Set(curves.flatMap((curve) => curve.map(([x]) => x)))].sort((a, b) => a - b);
  const next = curves.map(() => 0); // per curve: index of its first point with x ≥ the current x
  return xs.map((x) => {
    const ys: number[] = [];
    curves.forEach((curve, k) => {
      while (next[k] < curve.length && curve[next[k]][0] < x) next[k] += 1;
      const i = next[k];
      if (i === curve.length) return;
      const [x1, y1] = curve[i];
      if (x1 === x) ys.push(y1);
      else if (i > 0) {
        const [x0, y0] = curve[i - 1];
        ys.push(y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
      }
    });
    const mean = ys.reduce((sum, y) => sum + y, 0) / ys.length;
    return { group, x, mean, min: Math.min(...ys), max: Math.max(...ys), seeds: ys.length };
  });
}

/** Keeps the points a plot can show: finite, and positive when the axis is logarithmic. */
function curve(points: Iterable<readonly [number, number | null]>, logarithmic: boolean): Curve {
  const kept: [number, number][] = [];
  for (const [x, y] of points) {
    if (y !== null && Number.isFinite(x) && Number.isFinite(y) && (!logarithmic || y > 0)) kept.push([x, y]);
  }
  return kept.sort((a, b) => a[0] - b[0]);
}

/** The groups in report order, plus any group that only appears among the trials. */
function groupNames(data: ReportData): string[] {
  return [...new Set([...data.groups.map((g) => g.group), ...data.trials.map((t) => t.group)])];
}

function curvesByGroup(data: ReportData, read: (trial: TrialData) => Curve): CurvePoint[] {
  return groupNames(data).flatMap((group) =>
    aggregate(
      group,
      data.trials.filter((t) => t.group === group).map(read).filter((c) => c.length > 0),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Shared look

/** One layer of a layered vega-lite spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** Total width a curve plot aims at (it fits report.html's page); the plot takes what its legend leaves. */
const FIGURE_WIDTH = 1080;
/** tableau10 has ten colours; beyond ten groups the line dash changes every ten groups, so up to ~40 stay distinguishable. */
const PALETTE_SIZE = 10;
const DASHES: readonly (readonly number[])[] = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3]];
const LABEL_FONT = 11;

/** Taller plots for many groups, so that the legend (one row per group) fits beside the plot. */
function curveHeight(groups: number): number {
  return Math.min(520, Math.max(300, 17 * groups));
}

/** Wider plots when the group names are short: vega sizes the legend by 0.8 em per character, plus the axis and symbol. */
function curveWidth(groups: readonly string[]): number {
  const legendWidth = 0.8 * LABEL_FONT * Math.max(5, ...groups.map((g) => g.length)) + 40;
  return Math.round(Math.min(860, Math.max(600, FIGURE_WIDTH - 90 - legendWidth)));
}

/**
 * A vega expression that shows `texts.get(datum.<field>)` for the entries it names and vega's own
 * label for the rest: for labels vega cannot format itself (a group's divergence, numbers rounded
 * like formatNumber rounds them).
 */
function relabel(field: 'label' | 'value', texts: ReadonlyMap<string | number, string>): string {
  return [...texts].reduceRight((rest, [key, text]) => `datum.${field} === ${JSON.stringify(key)} ? ${JSON.stringify(text)} : ${rest}`, 'datum.label');
}

/** `labels` renames groups in the legend only (the data keeps the group's name). */
function legend(groups: readonly string[], labels: ReadonlyMap<string, string> = new Map()) {
  return {
    ...(labels.size === 0 ? {} : { labelExpr: relabel('label', labels) }),
    title: 'group',
    symbolType: 'stroke',
    symbolStrokeWidth: 2.5,
    symbolOpacity: 1, // else the legend takes the band's faint opacity
    // vega estimates text widths (0.8 em per character) without a canvas, so the limit is
    // generous: a grid point's name such as "optimizer.lr=0.001, optimizer.betas.0=0.9" must not be cut.
    labelLimit: 520,
    labelFontSize: LABEL_FONT,
    symbolLimit: Math.max(30, groups.length),
  };
}

/**
 * Colour by group, the domain fixed to the report's order so that a group has the same colour in
 * every plot. Every layer carries the same legend: vega-lite merges them into one, and a layer
 * without a legend would switch the merged one off.
 */
function colorEncoding(groups: readonly string[], labels?: ReadonlyMap<string, string>) {
  return { field: 'group', type: 'nominal', scale: { domain: [...groups], scheme: 'tableau10' }, legend: legend(groups, labels) } as const;
}

/** Line dashes that change every PALETTE_SIZE groups, when colours alone would repeat; merged into the colour legend. */
function dashEncoding(groups: readonly string[], labels?: ReadonlyMap<string, string>) {
  if (groups.length <= PALETTE_SIZE) return {};
  const range = groups.map((_, i) => [...DASHES[Math.floor(i / PALETTE_SIZE) % DASHES.length]]);
  return { strokeDash: { field: 'group', type: 'nominal', scale: { domain: [...groups], range }, legend: legend(groups, labels) } } as const;
}

/**
 * A log-scale y axis labelled at the powers of ten when the data spans two decades or more
 * (vega's own log ticks then crowd the axis with 2s and 3s); below that vega's ticks read well.
 * None above `ceiling`, where the axis is cut off.
 */
function logAxis(title: string, values: readonly number[], ceiling = Infinity) {
  if (values.length === 0) return { title, format: '~g' };
  // a loop, not Math.min(...values): 25 groups × a few thousand points would overflow the call's arguments
  const lo = Math.floor(Math.log10(values.reduce((a, b) => Math.min(a, b))));
  const hi = Math.ceil(Math.log10(Math.min(ceiling, values.reduce((a, b) => Math.max(a, b)))));
  if (hi - lo < 2) return { title, format: '~g' };
  // written as text so the ticks are exact powers of ten (10 ** -5 is 0.000009999999999999999)
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => Number(`1e${lo + i}`));
  return { title, format: '~g', values: ticks.filter((t) => t <= ceiling) };
}

/**
 * Line (mean) over band (min–max) per group, plus optional extra layers. The band is drawn only
 * where at least two seeds have a value: a band around a single seed would be zero-width noise.
 * With `y.ceiling` the y axis ends there and the curves are cut off at it.
 */
function curvesSpec(options: {
  readonly title: { readonly text: string; readonly subtitle: string };
  readonly groups: readonly string[];
  readonly labels?: ReadonlyMap<string, string>;
  readonly points: readonly CurvePoint[];
  readonly x: { readonly title: string };
  readonly y: { readonly title: string; readonly logarithmic: boolean; readonly format?: string; readonly ceiling?: number };
  readonly withPoints: boolean;
  readonly extra?: readonly Layer[];
}): TopLevelSpec {
  const { groups, labels, points, x, y } = options;
  const ceiling = y.ceiling;
  const yValues = points.flatMap((p) => [p.min, p.max]).filter((v) => ceiling === undefined || v <= ceiling);
  // not nice at the top, where rounding out to the next power of ten would move the cut-off inside the plot
  const floor = (x: number): number => (y.logarithmic ? Number(`1e${Math.floor(Math.log10(x))}`) : x);
  const domain = ceiling === undefined ? {} : { domain: [floor(yValues.reduce((a, b) => Math.min(a, b), ceiling)), ceiling], nice: false };
  const yScale = y.logarithmic ? ({ type: 'log', ...domain } as const) : { zero: false, ...domain };
  const yAxis = y.logarithmic ? logAxis(y.title, yValues, ceiling) : { title: y.title, ...(y.format ? { format: y.format } : {}) };
  const clip = ceiling === undefined ? {} : { clip: true };
  // steps and epochs are whole numbers: no tick at epoch 1.5
  const xEncoding = { field: 'x', type: 'quantitative', title: x.title, scale: { nice: false }, axis: { tickMinStep: 1 } } as const;
  return {
    title: { ...options.title, anchor: 'start', subtitleColor: '#555' },
    width: curveWidth(groups),
    height: curveHeight(groups.length),
    data: { values: points.map((p) => ({ ...p })) },
    layer: [
      {
        transform: [{ filter: 'datum.seeds >= 2' }],
        // fainter with many groups, where the bands overlap and would turn the plot to mud
        mark: { type: 'area', opacity: groups.length <= PALETTE_SIZE ? 0.16 : 0.08, ...clip },
        encoding: {
          x: xEncoding,
          y: { field: 'min', type: 'quantitative', scale: yScale, axis: yAxis },
          y2: { field: 'max' },
          color: colorEncoding(groups, labels),
        },
      },
      {
        mark: { type: 'line', strokeWidth: 1.6, ...(options.withPoints ? { point: { size: 24 } } : {}), ...clip },
        encoding: {
          x: xEncoding,
          y: { field: 'mean', type: 'quantitative', scale: yScale, axis: yAxis },
          color: colorEncoding(groups, labels),
          ...dashEncoding(groups, labels),
        },
      },
      ...(options.extra ?? []),
    ],
    config: { view: { stroke: '#ccc' }, axis: { labelFontSize: LABEL_FONT, titleFontSize: 12 } },
  };
}

// ---------------------------------------------------------------------------------------------
// (1) Loss per step

/** A cross drawn as two strokes (a font-independent ✕): marks a diverged trial's last finite loss. */
const CROSS = 'M-1,-1L1,1M-1,1L1,-1';

const LOSS_AXES = { x: 'step', y: 'batch loss (log scale)' } as const;

/**
 * How far the loss axis reaches above the largest first loss of the trials that did not diverge.
 * A diverging trial climbs to 1e37 before its NaN; drawn in full, its climb squeezes every
 * converging curve into a flat line at the bottom of a log axis thirty decades tall.
 */
const LOSS_HEADROOM = 10;

function hasDiverged(trial: TrialData): boolean {
  return trial.status === 'diverged' || trial.divergedAtStep !== null;
}

/** The top of the loss axis: LOSS_HEADROOM × the largest first loss of the trials that did not diverge (none: no limit). */
function lossCeiling(data: ReportData): number | undefined {
  const firsts = data.trials.filter((t) => !hasDiverged(t)).flatMap((t) => curve(t.losses, true).slice(0, 1).map(([, y]) => y));
  return firsts.length === 0 ? undefined : LOSS_HEADROOM * Math.max(...firsts);
}

/** "sgd (1/3 diverged)" in the legend for every group with a diverged trial. */
function divergedLabels(data: ReportData, groups: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const group of groups) {
    const members = data.trials.filter((t) => t.group === group);
    const diverged = members.filter(hasDiverged).length;
    if (diverged > 0) labels.set(group, `${group} (${diverged}/${members.length} diverged)`);
  }
  return labels;
}

export function lossSpec(data: ReportData): TopLevelSpec {
  const groups = groupNames(data);
  const labels = divergedLabels(data, groups);
  const points = curvesByGroup(data, (trial) => curve(trial.losses, true));
  const limit = lossCeiling(data);
  const ceiling = limit !== undefined && points.some((p) => p.max > limit) ? limit : undefined;
  // A diverged trial's curve ends at its last finite loss; the cross says it ended there by
  // diverging, drawn at the top edge when that loss is above the cut-off axis.
  const ends = data.trials.flatMap((trial) => {
    if (!hasDiverged(trial)) return [];
    const kept = curve(trial.losses, true);
    if (kept.length === 0) return [];
    const [x, y] = kept[kept.length - 1];
    return [{ group: trial.group, trial: trial.id, x, y: ceiling === undefined ? y : Math.min(y, ceiling) }];
  });
  const diverged = ends.length > 0 ? ', ✕ where a trial diverged' : '';
  const cut = ceiling === undefined ? '' : `; axis cut at ${formatNumber(ceiling)} (${LOSS_HEADROOM}× the largest first loss of the trials that did not diverge)`;
  return curvesSpec({
    title: {
      text: `${data.name}: training loss`,
      subtitle: `batch loss per step; line = mean over seeds, band = min–max over seeds${diverged}${cut}`,
    },
    groups,
    labels,
    points,
    x: { title: LOSS_AXES.x },
    y: { title: LOSS_AXES.y, logarithmic: true, ceiling },
    withPoints: false,
    extra:
      ends.length === 0
        ? []
        : [
            {
              data: { values: ends },
              mark: { type: 'point', shape: CROSS, size: 70, strokeWidth: 2, filled: false, opacity: 1 },
              encoding: {
                // the same titles as the line layer: vega-lite joins different ones into one axis title
                x: { field: 'x', type: 'quantitative', title: LOSS_AXES.x },
                y: { field: 'y', type: 'quantitative', title: LOSS_AXES.y },
                color: colorEncoding(groups, labels),
              },
            },
          ],
  });
}

// ---------------------------------------------------------------------------------------------
// (2) Evaluation per epoch

const EVALUATION_METRICS = [
  { key: 'testAccuracy', title: 'test accuracy', logarithmic: false },
  { key: 'testLoss', title: 'test loss', logarithmic: true },
  { key: 'trainLoss', title: 'train loss (evaluation)', logarithmic: true },
] as const;

export function evaluationSpec(data: ReportData): TopLevelSpec {
  const evaluations = data.trials.flatMap((t) => t.evaluations);
  const metric =
    EVALUATION_METRICS.find(({ key }) => evaluations.some((e) => e[key] !== null && Number.isFinite(e[key]))) ??
    EVALUATION_METRICS[0];
  // Epochs are the natural x, unless a trial evaluates more than once per epoch.
  const byStep = data.trials.some((t) => new Set(t.evaluations.map((e) => e.epoch)).size < t.evaluations.length);
  const xKey = byStep ? 'step' : 'epoch';
  const points = curvesByGroup(data, (trial) =>
    curve(
      trial.evaluations.map((e) => [e[xKey], e[metric.key]] as const),
      metric.logarithmic,
    ),
  );
  const percent = metric.key === 'testAccuracy';
  return curvesSpec({
    title: {
      text: `${data.name}: ${metric.title} per ${xKey}`,
      subtitle:
        points.length === 0
          ? 'no evaluations recorded'
          : `line = mean over seeds, band = min–max over seeds${percent ? '' : '; no trial recorded test accuracy'}`,
    },
    groups: groupNames(data),
    points,
    x: { title: xKey },
    y: { title: metric.logarithmic ? `${metric.title} (log scale)` : metric.title, logarithmic: metric.logarithmic, ...(percent ? { format: '.1~%' } : {}) },
    withPoints: true,
  });
}

// ---------------------------------------------------------------------------------------------
// (3) Heatmap of a two-axis grid

/** The summary metric the heatmap colours by (GroupSummary.metrics key). */
const HEATMAP_METRIC = 'final_train_loss';

type Value = string | number | boolean | null;

function label(value: Value): string {
  return value === null ? 'null' : String(value);
}

/** A value's number when it is one (sweep values read back from CSV may be numeric strings). */
function numeric(value: Value): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** An axis's distinct values as labels: numbers in numeric order, then anything else in order of appearance. */
function axisLabels(groups: readonly GroupSummary[], path: string): string[] {
  const values = new Map<string, Value>();
  for (const g of groups) values.set(label(g.values[path] ?? null), g.values[path] ?? null);
  const entries = [...values];
  const numbers = entries.filter(([, v]) => numeric(v) !== null).sort((a, b) => numeric(a[1])! - numeric(b[1])!);
  return [...numbers, ...entries.filter(([, v]) => numeric(v) === null)].map(([text]) => text);
}

export interface HeatmapAxis {
  readonly path: string;
  readonly labels: readonly string[];
}

/** The heatmap's x and y axes: only for a sweep over exactly two paths with at least two values each. */
export function heatmapAxes(data: ReportData): readonly [HeatmapAxis, HeatmapAxis] | null {
  if (data.axes.length !== 2) return null;
  const [x, y] = data.axes.map((path) => ({ path, labels: axisLabels(data.groups, path) }));
  return x.labels.length >= 2 && y.labels.length >= 2 ? [x, y] : null;
}

/** Viridis is dark below about 60% of its range: white text reads there, black above. */
const VIRIDIS_DARK_BELOW = 0.6;
const DIVERGED_FILL = '#f3c4c0';
const DIVERGED_INK = '#a50f15';
const EMPTY_FILL = '#eeeeee';

interface HeatmapCell {
  readonly x: string;
  readonly y: string;
  readonly group: string;
  /** loss: coloured by the metric; diverged: every seed diverged; empty: no value to colour by. */
  readonly state: 'loss' | 'diverged' | 'empty';
  readonly loss: number | null;
  readonly text: string;
  readonly ink: string;
  /** What a screen reader says for the cell (its aria-label): the group and the annotation. */
  readonly description: string;
}

function heatmapCells(data: ReportData, axes: readonly [HeatmapAxis, HeatmapAxis]): HeatmapCell[] {
  const losses = data.groups
    .map((g) => g.metrics[HEATMAP_METRIC]?.mean ?? null)
    .filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const [lo, hi] = colourDomain(losses);
  return data.groups.map((g): HeatmapCell => {
    const x = label(g.values[axes[0].path] ?? null);
    const y = label(g.values[axes[1].path] ?? null);
    const someDiverged = g.diverged > 0 ? `\n${g.diverged}/${g.trials} diverged` : '';
    if (g.trials > 0 && g.diverged === g.trials) {
      return heatmapCell(g, x, y, 'diverged', null, `NaN${someDiverged}`, DIVERGED_INK);
    }
    const mean = g.metrics[HEATMAP_METRIC]?.mean ?? null;
    if (mean === null || !Number.isFinite(mean) || mean <= 0) {
      const text = mean === null ? 'no data' : formatNumber(mean);
      return heatmapCell(g, x, y, 'empty', null, text + someDiverged, '#333');
    }
    const t = (Math.log(mean) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
    const ink = t < VIRIDIS_DARK_BELOW ? '#fff' : '#111';
    return heatmapCell(g, x, y, 'loss', mean, formatNumber(mean) + someDiverged, ink);
  });
}

function heatmapCell(g: GroupSummary, x: string, y: string, state: HeatmapCell['state'], loss: number | null, text: string, ink: string): HeatmapCell {
  return { x, y, group: g.group, state, loss, text, ink, description: `${g.group}: ${text.replace('\n', ', ')}` };
}

/** The colour scale's domain; widened around a single value, which a log scale cannot span on its own. */
function colourDomain(losses: readonly number[]): [number, number] {
  if (losses.length === 0) return [0.1, 10];
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  return lo === hi ? [lo / 2, hi * 2] : [lo, hi];
}

/** 1, 2 and 5 times the powers of ten inside the domain (vega labels a short log gradient with one or two ticks only); the ends when fewer than two fall inside. */
function logLegendValues([lo, hi]: readonly [number, number]): number[] {
  const values: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = Number(`${m}e${k}`);
      if (v >= lo && v <= hi) values.push(v);
    }
  }
  return values.length >= 2 ? values : [lo, hi];
}

export function heatmapSpec(data: ReportData): TopLevelSpec | null {
  const axes = heatmapAxes(data);
  if (axes === null) return null;
  const cells = heatmapCells(data, axes);
  const domain = colourDomain(cells.flatMap((c) => (c.loss === null ? [] : [c.loss])));
  // labelled like the cells (formatNumber): the domain's ends are raw means such as 0.644467585
  const legendValues = logLegendValues(domain);
  // y lists its values bottom to top, so both axes grow away from the origin like numeric axes.
  const x = { field: 'x', type: 'ordinal', sort: [...axes[0].labels], title: axes[0].path, axis: { labelAngle: 0 } } as const;
  const y = { field: 'y', type: 'ordinal', sort: [...axes[1].labels].reverse(), title: axes[1].path } as const;
  const only = (state: HeatmapCell['state']) => [{ filter: { field: 'state', equal: state } }];
  return {
    title: {
      text: `${data.name}: mean final train loss`,
      subtitle: 'mean over seeds, log colour scale; struck out in red: every seed diverged',
      anchor: 'start',
      subtitleColor: '#555',
    },
    width: { step: 104 },
    height: { step: 56 },
    data: { values: cells.map((c) => ({ ...c })) },
    layer: [
      {
        transform: only('loss'),
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
        encoding: {
          x,
          y,
          description: { field: 'description' },
          color: {
            field: 'loss',
            type: 'quantitative',
            scale: { type: 'log', scheme: 'viridis', domain, nice: false },
            legend: { title: 'final train loss', gradientLength: 160, values: legendValues, labelExpr: relabel('value', new Map(legendValues.map((v) => [v, formatNumber(v)]))) },
          },
        },
      },
      ...(
        [
          ['diverged', DIVERGED_FILL],
          ['empty', EMPTY_FILL],
        ] as const
      ).map(([state, fill]): Layer => ({
        transform: only(state),
        mark: { type: 'rect', fill, stroke: '#fff', strokeWidth: 1 },
        encoding: { x, y, description: { field: 'description' } },
      })),
      // the two diagonals of a diverged cell, corner to corner, faint enough to read the text over
      ...[0, 1].map((from): Layer => ({
        transform: only('diverged'),
        mark: { type: 'rule', stroke: DIVERGED_INK, strokeWidth: 1, strokeOpacity: 0.35, aria: false },
        encoding: {
          x: { ...x, bandPosition: 0 },
          x2: { field: 'x', bandPosition: 1 },
          y: { ...y, bandPosition: from },
          y2: { field: 'y', bandPosition: 1 - from },
        },
      })),
      {
        // hidden from screen readers: the cell's own description already says it
        mark: { type: 'text', lineBreak: '\n', fontSize: LABEL_FONT, baseline: 'middle', aria: false },
        // fill, not color: a second color encoding would have to share the cells' log colour scale
        encoding: { x, y, text: { field: 'text' }, fill: { field: 'ink', type: 'nominal', scale: null } },
      },
    ],
    config: { view: { stroke: null }, axis: { labelFontSize: LABEL_FONT, titleFontSize: 12, domain: false, ticks: false } },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * vega numbers its clip paths and gradients (clip1, gradient_0, …) from counters shared by the
 * whole process. Renumbering them by order of appearance under a per-plot prefix makes a file the
 * same whatever was rendered before it, and keeps the SVGs inlined in one HTML page from
 * capturing each other's url(#…) references.
 */
function namespaceIds(svg: string, prefix: string): string {
  const pattern = /(id="|url\(#|href="#)((?:p_)?(?:clip|gradient_)\d+)/g;
  const names = new Map<string, string>();
  for (const [, , id] of svg.matchAll(pattern)) if (!names.has(id)) names.set(id, `${prefix}-${names.size + 1}`);
  return svg.replace(pattern, (_, head: string, id: string) => head + names.get(id));
}

/**
 * Compiles a vega-lite spec and renders it to an SVG string, headlessly. Warnings from vega-lite
 * and vega go to `warnings` when given, and nowhere otherwise (nothing below the CLI prints).
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string, warnings?: string[]): Promise<string> {
  // Loaded on the first plot, not with the module: vega and vega-lite take about half of the
  // CLI's start-up (0.6 s → 0.3 s for `adam-lab --version`), and most processes never draw.
  const [{ logger, parse, View, Warn }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const log = logger(Warn, 'warn', (_method, _level, args) => warnings?.push(args.map(String).join(' ')));
  const view = new View(parse(compile(spec, { logger: log }).spec), { renderer: 'none', logger: log });
  try {
    return namespaceIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}
