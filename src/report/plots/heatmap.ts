/**
 * plots/heatmap.svg, for a sweep over exactly two config paths: the mean final train loss of every
 * grid point on a log colour scale, with the cells where every seed diverged struck out.
 */
import type { TopLevelSpec } from 'vega-lite';
import { displayNumber } from '../display-number.js';
import type { GroupSummary, ReportData } from '../report-data.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT, relabel, type Layer } from './theme.js';

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
      const text = mean === null ? 'no data' : displayNumber(mean);
      return heatmapCell(g, x, y, 'empty', null, text + someDiverged, '#333');
    }
    const t = (Math.log(mean) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
    const ink = t < VIRIDIS_DARK_BELOW ? '#fff' : '#111';
    return heatmapCell(g, x, y, 'loss', mean, displayNumber(mean) + someDiverged, ink);
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

/** The x and y encodings every layer places its cells with. */
function cellPositions(axes: readonly [HeatmapAxis, HeatmapAxis]) {
  // y lists its values bottom to top, so both axes grow away from the origin like numeric axes.
  const x = { field: 'x', type: 'ordinal', sort: [...axes[0].labels], title: axes[0].path, axis: { labelAngle: 0 } } as const;
  const y = { field: 'y', type: 'ordinal', sort: [...axes[1].labels].reverse(), title: axes[1].path } as const;
  return { x, y };
}

type CellPositions = ReturnType<typeof cellPositions>;

const only = (state: HeatmapCell['state']) => [{ filter: { field: 'state', equal: state } }];

/** The cells that have a loss, on a log viridis scale with its legend. */
function lossLayer({ x, y }: CellPositions, domain: [number, number]): Layer {
  // labelled like the cells (displayNumber): the domain's ends are raw means such as 0.644467585
  const legendValues = logLegendValues(domain);
  return {
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
        legend: { title: 'final train loss', gradientLength: 160, values: legendValues, labelExpr: relabel('value', new Map(legendValues.map((v) => [v, displayNumber(v)]))) },
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

export function heatmapSpec(data: ReportData): TopLevelSpec | null {
  const axes = heatmapAxes(data);
  if (axes === null) return null;
  const cells = heatmapCells(data, axes);
  const domain = colourDomain(cells.flatMap((c) => (c.loss === null ? [] : [c.loss])));
  const positions = cellPositions(axes);
  return {
    title: figureTitle(`${data.name}: mean final train loss`, 'mean over seeds, log colour scale; struck out in red: every seed diverged'),
    width: { step: 104 },
    height: { step: 56 },
    data: { values: cells.map((c) => ({ ...c })) },
    layer: [lossLayer(positions, domain), ...fixedFillLayers(positions), ...strikeLayers(positions), textLayer(positions)],
    config: { view: { stroke: null }, axis: { ...AXIS_FONTS, domain: false, ticks: false } },
  };
}
