/**
 * Central finite differences for gradient checks on float32 buffers.
 *
 * The engine stores everything in Float32Array, so the point x ± h we evaluate at is itself a
 * float32 after rounding. `numericGradient` therefore divides by the step that was actually
 * taken (stored x+h minus stored x−h), not by 2h, and restores the exact original value
 * afterwards. The objective is a float64 number (e.g. Σ y·r summed in doubles), so the only
 * float32 noise left is the rounding of the outputs that the perturbation changed.
 */
import { Rng } from '../../src/core/rng.js';

export interface Tolerance {
  /** Relative part, against max(|analytic|, |numeric|). */
  readonly rtol: number;
  /** Absolute floor, for derivatives that are (close to) zero. */
  readonly atol: number;
}

/** ∂objective/∂values[i] for each i in `indices` (all of `values` when omitted), by central differences. */
export function numericGradient(values: Float32Array, objective: () => number, h: number, indices?: Iterable<number>): Float64Array {
  const grad = new Float64Array(values.length).fill(Number.NaN);
  const which = indices ?? values.keys();
  for (const i of which) {
    const original = values[i];
    values[i] = original + h;
    const plus = values[i];
    const lossPlus = objective();
    values[i] = original - h;
    const minus = values[i];
    const lossMinus = objective();
    values[i] = original;
    grad[i] = (lossPlus - lossMinus) / (plus - minus);
  }
  return grad;
}

/** The objective L = Σ_{i<n} y[i]·r[i], summed in float64. */
export function project(y: Float32Array, r: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i] * r[i];
  return sum;
}

/**
 * The worst disagreement between two gradients over the first n entries, as a multiple of the
 * tolerance (≤ 1 passes). NaN anywhere counts as a failure (Infinity), so a gradient that was
 * never written (the tests pre-fill gradient buffers with NaN) cannot pass.
 */
export function worstMismatch(
  analytic: ArrayLike<number>,
  numeric: ArrayLike<number>,
  n: number,
  tol: Tolerance,
): { ratio: number; index: number; analytic: number; numeric: number } {
  let worst = { ratio: 0, index: -1, analytic: 0, numeric: 0 };
  for (let i = 0; i < n; i++) {
    const a = analytic[i];
    const d = numeric[i];
    const allowed = tol.atol + tol.rtol * Math.max(Math.abs(a), Math.abs(d));
    const error = Math.abs(a - d);
    const ratio = Number.isNaN(error) ? Infinity : error / allowed;
    if (ratio > worst.ratio || worst.index < 0) worst = { ratio, index: i, analytic: a, numeric: d };
  }
  return worst;
}

/** A message for a failed comparison, naming the worst entry. */
export function describeMismatch(label: string, w: ReturnType<typeof worstMismatch>): string {
  return `${label}[${w.index}]: analytic ${w.analytic} vs finite difference ${w.numeric} (${w.ratio.toFixed(2)}× the tolerance)`;
}

/** n float32 values uniform in [low, high), from a seeded stream. */
export function uniformArray(rng: Rng, n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniformIn(low, high);
  return out;
}

/** n float32 values with |v| in [gap, high) and a random sign: never within `gap` of a kink at 0. */
export function awayFromZero(rng: Rng, n: number, gap: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformIn(gap, high);
  return out;
}
