/**
 * An analytic objective f: ℝⁿ → ℝ whose parameters are the coordinates (DESIGN.md, Objectives).
 * Value and gradient sit side by side in one function, as a layer's forward and backward do, in
 * float64 over the float32 coordinates.
 *
 * Some objectives are families of functions, one per step: an online sequence (Reddi et al. 2018,
 * f_t cycles with a period) or a random draw per step (their stochastic variant). `which` picks
 * the member; a fixed objective has the one member 0.
 */
import type { Rng } from '../../core/rng.js';

/** How a training step picks the member of the family it sees. */
export type Family =
  | { readonly kind: 'fixed' }
  /** Step t (from 1) sees member (t − 1) mod period: the objective's data are `period` samples, in order. */
  | { readonly kind: 'cycle'; readonly period: number }
  /** Each step draws member i with probability probabilities[i], from the model's random stream. */
  | { readonly kind: 'random'; readonly probabilities: readonly number[] };

export interface Objective {
  /** The number of coordinates (the length of `start`). */
  readonly dimension: number;
  readonly family: Family;
  /** f_which(x); with `grad` (length dimension), ∇f_which(x) is written there too. */
  evaluate(x: ArrayLike<number>, which: number, grad: Float64Array | null): number;
  /** The minimizer (over the domain, when there is one), when it is known: marked on contour plots, the comparator of the regret. */
  readonly minimizer: readonly number[] | null;
}

/** A box [low_i, high_i] per coordinate: the iterate is projected back onto it after every optimizer step. */
export interface Box {
  readonly low: readonly number[];
  readonly high: readonly number[];
}

/** x clamped to the box, coordinate by coordinate: the projection after every optimizer step. */
export function projectOnto(box: Box, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(box.high[i], Math.max(box.low[i], x[i]));
}

/** The family's member a training step sees: from its sample index (cycle) or drawn (random). */
export function memberFor(family: Family, sample: number, rng: Rng): number {
  if (family.kind === 'fixed') return 0;
  if (family.kind === 'cycle') return sample;
  let u = rng.uniform();
  for (let i = 0; i < family.probabilities.length - 1; i++) {
    u -= family.probabilities[i];
    if (u < 0) return i;
  }
  return family.probabilities.length - 1;
}

/**
 * The objective's value without the step's randomness: the fixed function, the mean over one
 * period of an online sequence, or the expectation of a random draw. Evaluation reports this.
 */
export function expectedValue(objective: Objective, x: ArrayLike<number>): number {
  const { family } = objective;
  if (family.kind === 'fixed') return objective.evaluate(x, 0, null);
  if (family.kind === 'cycle') {
    let sum = 0;
    for (let i = 0; i < family.period; i++) sum += objective.evaluate(x, i, null);
    return sum / family.period;
  }
  return family.probabilities.reduce((sum, p, i) => sum + p * objective.evaluate(x, i, null), 0);
}
