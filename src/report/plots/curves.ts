/**
 * The data of the curve plots (loss per step, evaluation per epoch): per group, the mean and the
 * min–max over its seeds at every x where a seed has a value.
 */
import type { TrialData } from '../../runs/run-reader.js';
import type { ReportData } from '../report-data.js';

/** One trial's curve: finite (x, y) points in x order. */
export type Curve = readonly (readonly [number, number])[];

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
export function curve(points: Iterable<readonly [number, number | null]>, logarithmic: boolean): Curve {
  const kept: [number, number][] = [];
  for (const [x, y] of points) {
    if (y !== null && Number.isFinite(x) && Number.isFinite(y) && (!logarithmic || y > 0)) kept.push([x, y]);
  }
  return kept.sort((a, b) => a[0] - b[0]);
}

/** The groups in report order, plus any group that only appears among the trials. */
export function groupNames(data: ReportData): string[] {
  return [...new Set([...data.groups.map((g) => g.group), ...data.trials.map((t) => t.group)])];
}

export function curvesByGroup(data: ReportData, read: (trial: TrialData) => Curve): CurvePoint[] {
  return groupNames(data).flatMap((group) =>
    aggregate(
      group,
      data.trials.filter((t) => t.group === group).map(read).filter((c) => c.length > 0),
    ),
  );
}
