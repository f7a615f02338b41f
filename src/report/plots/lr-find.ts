/**
 * The learning-rate range test's figure (lr-find.svg): the smoothed loss against the rate on a
 * log axis, one line per seed (the raw batch losses faint behind), and a rule at each suggestion
 * over the seeds (valley solid, steep dashed), as fastai's `plot_lr_find` marks them.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface LrFindCurve {
  readonly seed: number;
  readonly points: readonly { readonly lr: number; readonly loss: number; readonly smoothed: number }[];
}

export function lrFindSpec(name: string, curves: readonly LrFindCurve[], suggestions: { readonly steep: number | null; readonly valley: number | null }, beta: number): TopLevelSpec {
  const values = curves.flatMap((c) => c.points.map((p) => ({ seed: `seed ${c.seed}`, lr: p.lr, loss: p.loss, smoothed: p.smoothed })));
  // The losses can jump by orders of magnitude where the ramp diverges: the axis reaches the lowest
  // loss of either curve and the smoothed losses up to half again the starting loss, above
  // which the curve only says "diverged" (it is clipped there).
  const finite = (xs: number[]): number[] => xs.filter(Number.isFinite);
  const low = Math.min(...finite(values.flatMap((v) => [v.loss, v.smoothed])));
  const start = Math.max(...finite(curves.map((c) => c.points[0]?.smoothed ?? NaN)));
  const high = Math.min(Math.max(...finite(values.map((v) => v.smoothed))), Number.isFinite(start) ? 1.5 * start : Infinity);
  const pad = 0.05 * (high - low || 1);
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log' }, axis: { format: '~g' } } as const;
  const y = { type: 'quantitative', title: `training loss (smoothed, β = ${beta})`, scale: { domain: [low - pad, high + pad], clamp: true } } as const;
  const color = { field: 'seed', type: 'nominal', title: null, scale: { scheme: 'tableau10' } } as const;
  const rules = (['valley', 'steep'] as const)
    .filter((kind) => suggestions[kind] !== null)
    .map((kind) => ({
      data: { values: [{ lr: suggestions[kind], label: `${kind} ${Number(suggestions[kind]!.toPrecision(3))}` }] },
      layer: [
        { mark: { type: 'rule', color: '#444', strokeDash: kind === 'steep' ? [4, 3] : [] }, encoding: { x } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: kind === 'valley' ? -6 : 8, color: '#444' }, encoding: { x, y: { value: kind === 'valley' ? 10 : 24 }, text: { field: 'label' } } },
      ],
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${name}: learning-rate range test`, subtitle: `${curves.length} seed${curves.length === 1 ? '' : 's'}; rules: valley (solid), steepest (dashed)`, anchor: 'start' },
    width: 520,
    height: 300,
    resolve: { legend: { color: 'independent' } },
    layer: [
      // The smoothed curves first: the legend takes its symbols from them, not from the faint raw ones.
      { data: { values }, mark: { type: 'line', clip: true }, encoding: { x, y: { ...y, field: 'smoothed' }, color } },
      { data: { values }, mark: { type: 'line', opacity: 0.2, clip: true }, encoding: { x, y: { ...y, field: 'loss' }, color: { ...color, legend: null } } },
      ...rules,
    ],
  } as TopLevelSpec;
}
