/**
 * plots/heatmap.svg, for a sweep over exactly two config paths: the mean of one comparison metric
 * (by default the one the groups are ranked by) at every grid point, on a log colour scale for a
 * loss and a linear one otherwise, with the cells where every seed diverged struck out.
 */
import type { TopLevelSpec } from 'vega-lite';
import { displayNumber } from '../display-number.js';
import type { GroupSummary, ReportData } from '../report-data.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT, relabel, type Layer } from './theme.js';


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
  /** coloured: by the metric; diverged: every seed diverged; empty: no value to colour by. */
  readonly state: 'coloured' | 'diverged' | 'empty';
  readonly value: number | null;
  readonly text: string;
  readonly ink: string;
  /** What a screen reader says for the cell (its aria-label): the group and the annotation. */
  readonly description: string;
}

/** How the cells are coloured: the metric, and whether its scale is logarithmic (a loss whose means are all positive). */
interface ColourScale {
  readonly metric: string;
  readonly logarithmic: boolean;
  readonly percent: boolean;
}

function colourScale(data: ReportData, metric: string): ColourScale {
  const means = data.groups.map((g) => g.metrics[metric]?.mean ?? null).filter((v): v is number => v !== null && Number.isFinite(v));
  return { metric, logarithmic: metric.includes('loss') && means.every((v) => v > 0), percent: metric.endsWith('accuracy') && !metric.includes('_to_') };
}

function formatValue(scale: ColourScale, value: number): string {
  return scale.percent ? `${(100 * value).toFixed(1)}%` : displayNumber(value);
}

/** Where a value lies on the colour scale, 0 at its low end and 1 at its high end. */
function position(scale: ColourScale, [lo, hi]: readonly [number, number], value: number): number {
  return scale.logarithmic ? (Math.log(value) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (value - lo) / (hi - lo);
}

function heatmapCells(data: ReportData, axes: readonly [HeatmapAxis, HeatmapAxis], scale: ColourScale): HeatmapCell[] {
  const means = data.groups
    .map((g) => g.metrics[scale.metric]?.mean ?? null)
    .filter((v): v is number => v !== null && Number.isFinite(v) && (!scale.logarithmic || v > 0));
  const domain = colourDomain(means, scale);
  return data.groups.map((g): HeatmapCell => {
    const x = label(g.values[axes[0].path] ?? null);
    const y = label(g.values[axes[1].path] ?? null);
    const someDiverged = g.diverged > 0 ? `\n${g.diverged}/${g.trials} diverged` : '';
    if (g.trials > 0 && g.diverged === g.trials) {
      return heatmapCell(g, x, y, 'diverged', null, `NaN${someDiverged}`, DIVERGED_INK);
    }
    const mean = g.metrics[scale.metric]?.mean ?? null;
    if (mean === null || !Number.isFinite(mean) || (scale.logarithmic && mean <= 0)) {
      const text = mean === null ? 'no data' : formatValue(scale, mean);
      return heatmapCell(g, x, y, 'empty', null, text + someDiverged, '#333');
    }
    const ink = position(scale, domain, mean) < VIRIDIS_DARK_BELOW ? '#fff' : '#111';
    return heatmapCell(g, x, y, 'coloured', mean, formatValue(scale, mean) + someDiverged, ink);
  });
}

function heatmapCell(g: GroupSummary, x: string, y: string, state: HeatmapCell['state'], value: number | null, text: string, ink: string): HeatmapCell {
  return { x, y, group: g.group, state, value, text, ink, description: `${g.group}: ${text.replace('\n', ', ')}` };
}

/** The colour scale's domain; widened around a single value, which a scale cannot span on its own. */
function colourDomain(values: readonly number[], scale: ColourScale): [number, number] {
  if (values.length === 0) return scale.logarithmic ? [0.1, 10] : [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo !== hi) return [lo, hi];
  return scale.logarithmic ? [lo / 2, hi * 2] : [lo - 0.5 * Math.abs(lo || 1), hi + 0.5 * Math.abs(hi || 1)];
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

/** The x and y encodings every layer places its cells with. */
function cellPositions(axes: readonly [HeatmapAxis, HeatmapAxis]) {
  // y lists its values bottom to top, so both axes grow away from the origin like numeric axes.
  const x = { field: 'x', type: 'ordinal', sort: [...axes[0].labels], title: axes[0].path, axis: { labelAngle: 0 } } as const;
  const y = { field: 'y', type: 'ordinal', sort: [...axes[1].labels].reverse(), title: axes[1].path } as const;
  return { x, y };
}

type CellPositions = ReturnType<typeof cellPositions>;

const only = (state: HeatmapCell['state']) => [{ filter: { field: 'state', equal: state } }];

/** The cells that have a value, on a viridis scale with its legend. */
function colouredLayer({ x, y }: CellPositions, domain: [number, number], scale: ColourScale): Layer {
  // labelled like the cells (displayNumber): the domain's ends are raw means such as 0.644467585
  // swatches from end to end of the domain (vega's own ticks can leave out the best cells' colour)
  const legendValues = scale.logarithmic ? logLegendValues(domain) : [0, 0.25, 0.5, 0.75, 1].map((t) => domain[0] + t * (domain[1] - domain[0]));
  const labels = relabel('value', new Map(legendValues.map((v) => [v, formatValue(scale, v)])));
  return {
    transform: only('coloured'),
    mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
    encoding: {
      x,
      y,
      description: { field: 'description' },
      color: {
        field: 'value',
        type: 'quantitative',
        scale: { type: scale.logarithmic ? 'log' : 'linear', scheme: 'viridis', domain, nice: false },
        legend: {
          title: scale.metric,
          // swatches, not a gradient: a gradient is a url(#…) fill, which ImageMagick draws as an empty frame
          type: 'symbol',
          symbolType: 'square',
          symbolSize: 120,
          symbolStrokeWidth: 0,
          values: legendValues,
          labelExpr: labels,
        },
      },
    },
  };
}

/** The cells without a loss, in a fixed fill: every seed diverged, or nothing to colour by. */
function fixedFillLayers({ x, y }: CellPositions): Layer[] {
  return (
    [
      ['diverged', DIVERGED_FILL],
      ['empty', EMPTY_FILL],
    ] as const
  ).map(([state, fill]): Layer => ({
    transform: only(state),
    mark: { type: 'rect', fill, stroke: '#fff', strokeWidth: 1 },
    encoding: { x, y, description: { field: 'description' } },
  }));
}

/** The two diagonals of a diverged cell, corner to corner, faint enough to read the text over. */
function strikeLayers({ x, y }: CellPositions): Layer[] {
  return [0, 1].map((from): Layer => ({
    transform: only('diverged'),
    mark: { type: 'rule', stroke: DIVERGED_INK, strokeWidth: 1, strokeOpacity: 0.35, aria: false },
    encoding: {
      x: { ...x, bandPosition: 0 },
      x2: { field: 'x', bandPosition: 1 },
      y: { ...y, bandPosition: from },
      y2: { field: 'y', bandPosition: 1 - from },
    },
  }));
}

/** Every cell's annotation, in the ink chosen for its background. */
function textLayer({ x, y }: CellPositions): Layer {
  return {
    // hidden from screen readers: the cell's own description already says it
    mark: { type: 'text', lineBreak: '\n', fontSize: LABEL_FONT, baseline: 'middle', aria: false },
    // fill, not color: a second color encoding would have to share the cells' log colour scale
    encoding: { x, y, text: { field: 'text' }, fill: { field: 'ink', type: 'nominal', scale: null } },
  };
}

/** `metric`: a comparison.csv metric (final_test_accuracy, final_train_loss, …); null: the one the groups are ranked by. */
export function heatmapSpec(data: ReportData, metric: string | null = null): TopLevelSpec | null {
  const axes = heatmapAxes(data);
  if (axes === null) return null;
  const scale = colourScale(data, metric ?? data.rankBy.metric);
  const cells = heatmapCells(data, axes, scale);
  const domain = colourDomain(cells.flatMap((c) => (c.value === null ? [] : [c.value])), scale);
  const positions = cellPositions(axes);
  const ranked = scale.metric === data.rankBy.metric ? ` (ranked by, ${data.rankBy.higherIsBetter ? 'higher' : 'lower'} is better)` : '';
  return {
    title: figureTitle(
      `${data.name}: mean ${scale.metric.replaceAll('_', ' ')}`,
      `mean over seeds${ranked}, ${scale.logarithmic ? 'log' : 'linear'} colour scale; struck out in red: every seed diverged`,
    ),
    width: { step: 104 },
    height: { step: 56 },
    data: { values: cells.map((c) => ({ ...c })) },
    layer: [colouredLayer(positions, domain, scale), ...fixedFillLayers(positions), ...strikeLayers(positions), textLayer(positions)],
    config: { view: { stroke: null }, axis: { ...AXIS_FONTS, domain: false, ticks: false } },
  };
}
