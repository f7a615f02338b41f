/**
 * Learning-rate sensitivity of a tuned comparison: each tuning trial's validation score against
 * its learning rate (or the first numeric tuned axis), one line per variant. A flat, wide valley
 * is an optimizer that is easy to tune; diverged trials are crosses at the worst score drawn.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Protocol } from '../../config/lab-schema.js';
import { displayNumber } from '../display-number.js';
import type { ReportData } from '../report-data.js';
import { tuningScore } from '../tuning-choice.js';

/** `variants`: the variants in the order (and so the colours) the page's other figures give them. */
export function sensitivitySpec(tuning: ReportData, metric: Protocol['tune']['metric'], at: Protocol['tune']['at'], variants?: readonly string[]): TopLevelSpec | null {
  const axis = tuning.axes.includes('optimizer.lr') ? 'optimizer.lr' : tuning.axes.find((a) => a !== 'variant' && tuning.trials.some((t) => typeof t.values[a] === 'number'));
  if (axis === undefined) return null;
  const points = tuning.trials
    .filter((t) => typeof t.values[axis] === 'number')
    .map((t) => ({ variant: String(t.values.variant), x: t.values[axis] as number, score: tuningScore(t, metric, at), diverged: t.status === 'diverged' }));
  const finite = points.map((p) => p.score).filter((s): s is number => s !== null);
  if (finite.length === 0) return null;
  const worst = metric === 'val_accuracy' ? Math.min(...finite) : Math.max(...finite);
  const xs = points.map((p) => p.x);
  const logX = Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 100;
  const values = points.map((p) => ({ ...p, y: p.score ?? worst, shown: displayNumber(p.score ?? NaN) }));
  const x = { field: 'x', type: 'quantitative', title: axis, scale: logX ? { type: 'log' } : { zero: false }, axis: { format: '~g' } } as const;
  const y = { field: 'y', type: 'quantitative', title: `${metric} (${at})`, scale: { zero: false } } as const;
  const domain = [...new Set([...(variants ?? []), ...points.map((p) => p.variant)])];
  const color = { field: 'variant', type: 'nominal', title: 'variant', scale: { domain, scheme: 'tableau10' } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${tuning.name}: learning-rate sensitivity`, subtitle: `tuning trials on validation data; ✕ = diverged (drawn at the worst score)`, anchor: 'start' },
    width: 520,
    height: 300,
    data: { values },
    layer: [
      { transform: [{ filter: '!datum.diverged' }], mark: { type: 'line', point: true }, encoding: { x, y, color, tooltip: [{ field: 'variant' }, { field: 'x' }, { field: 'shown', title: metric }] } },
      { transform: [{ filter: 'datum.diverged' }], mark: { type: 'point', shape: 'cross', size: 80, filled: true }, encoding: { x, y, color } },
    ],
  } as TopLevelSpec;
}
