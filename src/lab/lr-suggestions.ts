/**
 * Learning rates suggested from a range test's smoothed losses, as fastai defines them
 * (fastai/callback/schedule.py, `steep` and `valley`, used by `Learner.lr_find`), on the curve
 * fastai uses: the first ⌊iterations/10⌋ points and the last 5 dropped (warm-up and blow-up).
 */
import type { RangePoint } from '../train/lr-range.js';

export interface Suggestions {
  /** Where the smoothed loss falls fastest per unit of log(lr). */
  readonly steep: number;
  /** fastai's default: in the longest stretch of decreasing loss, about half way in from its start. */
  readonly valley: number;
}

/** Null when the trimmed curve has fewer than 2 points (a ramp that diverged at once). */
export function suggest(points: readonly RangePoint[], iterations: number): Suggestions | null {
  const kept = points.slice(Math.floor(iterations / 10), Math.max(0, points.length - 5));
  if (kept.length < 2) return null;
  const lrs = kept.map((p) => p.lr);
  const losses = kept.map((p) => p.smoothed);
  return { steep: steep(lrs, losses), valley: valley(lrs, losses) };
}

/** lrs[argmin of (loss_{i+1} − loss_i) / (log lr_{i+1} − log lr_i)]. */
export function steep(lrs: readonly number[], losses: readonly number[]): number {
  let best = 0;
  let bestSlope = Infinity;
  for (let i = 0; i + 1 < lrs.length; i++) {
    const slope = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (slope < bestSlope) [best, bestSlope] = [i, slope];
  }
  return lrs[best];
}

/**
 * The longest decreasing subsequence of the losses (lds[i]: its length ending at i) spans
 * [start, end]; the suggestion is at start + ⌊s⌋ + ⌊s/2⌋ with s = (end − start)/3, fastai's
 * index, i.e. about half way along the valley.
 */
export function valley(lrs: readonly number[], losses: readonly number[]): number {
  const n = losses.length;
  const lds = new Array<number>(n).fill(1);
  let [start, end] = [0, 0];
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[end] < lds[i]) {
        end = i;
        start = end - lds[end];
      }
    }
  }
  const sections = (end - start) / 3;
  // fastai's start can be −1 (a valley from the first point), and its index then too, which
  // Python reads as the last element; the first is meant.
  return lrs[Math.max(0, start + Math.trunc(sections) + Math.trunc(sections / 2))];
}
