/**
 * TensorBoard's scalar smoothing: a debiased exponential moving average (tensorboard's
 * `resmoothDataset` in vz_line_chart2; W&B's "exponential moving average" is the same). With
 * weight w in [0, 1) and the n-th finite value yₙ (n = 1, 2, …):
 *
 *     aₙ = w · aₙ₋₁ + (1 − w) · yₙ,   a₀ = 0
 *     ŷₙ = aₙ / (1 − wⁿ)
 *
 * Dividing by 1 − wⁿ removes the pull towards a₀ = 0 that a plain EMA has at the start (the same
 * bias correction as Adam's m̂). w = 0 gives the raw values; TensorBoard's slider defaults to 0.6.
 * The average runs over the points as given, so its window is in points, not steps: the same weight
 * smooths a thinned curve over a longer stretch of steps, as it does in TensorBoard.
 */
export function smoothed(ys: readonly number[], weight: number): number[] {
  if (weight === 0) return [...ys];
  let average = 0;
  let count = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y; // a NaN or ∞ is shown as it is and leaves the average alone
    average = weight * average + (1 - weight) * y;
    count += 1;
    return average / (1 - weight ** count);
  });
}
