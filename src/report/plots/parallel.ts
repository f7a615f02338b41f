/**
 * plots/parallel.svg, for a sweep over three paths or more, or a random search: parallel
 * coordinates, one line per completed trial through its value of every varied path and, last, its
 * ranked metric; the line coloured by the metric, so the good region of the space shows as a bundle.
 * A numeric path is placed on a log scale when its values span two decades or more (learning
 * rates), a path of other values spaces them evenly in order of appearance.
 */
import type { TopLevelSpec } from 'vega-lite';
import { trialResults, type ResultMetric } from '../../runs/run-reader.js';
import { shortAxisNames, valueLabel } from '../axis-names.js';
import { displayNumber } from '../display-number.js';
import type { ReportData } from '../report-data.js';
import { hasManyAxes } from './importance.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT } from './theme.js';

type Value = string | number | boolean | null;

/** Where each value sits on its vertical axis (0 bottom, 1 top), and the labels to write along it. */
function placement(values: readonly Value[]): { at(value: Value): number; ticks: { at: number; text: string }[] } {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === values.length && numbers.length > 0) {
    const lo = Math.min(...numbers);
    const hi = Math.max(...numbers);
    const log = lo > 0 && hi / lo >= 100;
    const f = (v: number): number => (log ? Math.log(v) : v);
    const at = (v: Value): number => (hi === lo ? 0.5 : (f(v as number) - f(lo)) / (f(hi) - f(lo)));
    const distinct = [...new Set(numbers)].sort((a, b) => a - b);
    const shown = distinct.length <= 6 ? distinct : [lo, hi];
    return { at, ticks: shown.map((v) => ({ at: at(v), text: displayNumber(v, 3) })) };
  }
  const order = [...new Set(values.map((v) => valueLabel(v)))];
  const at = (v: Value): number => (order.length === 1 ? 0.5 : order.indexOf(valueLabel(v)) / (order.length - 1));
  return { at, ticks: order.map((text, i) => ({ at: order.length === 1 ? 0.5 : i / (order.length - 1), text })) };
}

export function parallelSpec(data: ReportData): TopLevelSpec | null {
  if (!hasManyAxes(data)) return null;
  const metric = data.rankBy.metric as ResultMetric;
  const trials = data.trials
    .filter((t) => t.status === 'completed')
    .map((t) => ({ id: t.id, values: t.values, score: trialResults(t)[metric] }))
    .filter((t): t is typeof t & { score: number } => t.score !== null && Number.isFinite(t.score));
  if (trials.length === 0) return null;
  const names = [...shortAxisNames(data.axes), metric];
  const columns = [...data.axes.map((axis) => trials.map((t) => t.values[axis] ?? null)), trials.map((t) => t.score)];
  const placements = columns.map(placement);
  const lines = trials.flatMap((t, row) => names.map((name, k) => ({ trial: t.id, axis: name, y: placements[k].at(columns[k][row]), score: t.score })));
  const ticks = names.flatMap((name, k) => placements[k].ticks.map((tick) => ({ axis: name, y: tick.at, text: tick.text })));
  const x = { field: 'axis', type: 'nominal', scale: { type: 'point', padding: 0.3 }, sort: names, title: null, axis: { labelAngle: 0, labelFontSize: LABEL_FONT + 1, labelLimit: 240, labelPadding: 18, domain: false, ticks: false } } as const;
  const y = { field: 'y', type: 'quantitative', axis: null, scale: { domain: [0, 1] } } as const;
  const percent = metric.endsWith('accuracy');
  return {
    title: figureTitle(
      `${data.name}: parallel coordinates`,
      `one line per completed trial through its values, coloured by ${metric} (${data.rankBy.higherIsBetter ? 'higher' : 'lower'} is better); two-decade ranges on a log scale`,
    ),
    width: Math.max(420, 150 * names.length),
    height: 300,
    layer: [
      { data: { values: names.map((axis) => ({ axis })) }, mark: { type: 'rule', color: '#999' }, encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } } },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.4, opacity: 0.75 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'score', type: 'quantitative', title: metric, scale: { scheme: 'viridis', reverse: !data.rankBy.higherIsBetter }, legend: { format: percent ? '.1~%' : '~g', type: 'symbol', symbolType: 'stroke', symbolStrokeWidth: 3 } }, // no gradient: see heatmap.ts
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: LABEL_FONT - 1, color: '#333' },
        encoding: { x, y, text: { field: 'text' } },
      },
    ],
    config: { view: { stroke: null }, axis: { ...AXIS_FONTS } },
  } as TopLevelSpec;
}
