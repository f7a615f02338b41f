/**
 * The data of the curve plots (loss, evaluations): per group, the mean and the min–max over its
 * seeds at every x where a seed has a value, x being steps, epochs or seconds.
 */
import type { EvaluationPoint, TrialData } from '../../runs/run-reader.js';
import type { XAxis } from '../options.js';
import type { ReportData } from '../report-data.js';
import { smoothed } from './smoothing.js';

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
  /** The data it was measured on (test, validation), where a figure shows more than one. */
  readonly split?: string;
  /** Its panel and colour key in a panelled grid (group-style.ts). */
  readonly panel?: string;
  readonly colour?: string;
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

/** `tag` adds each group's panel and colour key, where the figure is panelled. */
export function curvesByGroup(data: ReportData, read: (trial: TrialData) => Curve, tag: (group: string) => object = () => ({})): CurvePoint[] {
  return groupNames(data).flatMap((group) => {
    const points = aggregate(
      group,
      data.trials.filter((t) => t.group === group).map(read).filter((c) => c.length > 0),
    );
    const fields = tag(group);
    return Object.keys(fields).length === 0 ? points : points.map((p) => ({ ...p, ...fields }));
  });
}

/** Where a step lies on the x axis: the step, its epoch (fractional: step / steps per epoch), or null when the trial does not say. */
function epochAt(trial: TrialData, step: number): number | null {
  return trial.stepsPerEpoch === undefined ? null : step / trial.stepsPerEpoch;
}

/** A trial's batch losses along the x axis; points without an x there (no seconds recorded) are left out. */
export function lossPoints(trial: TrialData, axis: XAxis): [number, number | null][] {
  return trial.losses.flatMap(([step, loss, seconds]): [number, number][] => {
    const x = axis === 'step' ? step : axis === 'epoch' ? epochAt(trial, step) : seconds;
    return x === null || x === undefined ? [] : [[x, loss]];
  });
}

/** Where an evaluation lies on the x axis; an epoch from its step where the trial knows its epoch's length (eval_every evaluates inside epochs). */
export function evaluationX(trial: TrialData, evaluation: EvaluationPoint, axis: XAxis): number | null {
  if (axis === 'step') return evaluation.step;
  if (axis === 'epoch') return epochAt(trial, evaluation.step) ?? evaluation.epoch;
  return evaluation.seconds ?? null;
}

/** A curve smoothed by TensorBoard's debiased EMA (smoothing.ts), in x order. */
export function smoothCurve(points: Curve, weight: number): Curve {
  const ys = smoothed(points.map(([, y]) => y), weight);
  return points.map(([x], i) => [x, ys[i]] as const);
}

/** The x axis' title. */
export function xTitle(axis: XAxis): string {
  return axis === 'seconds' ? 'seconds (wall clock)' : axis;
}
