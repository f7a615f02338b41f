import { describe, expect, it } from 'vitest';
import { smoothed } from '../../../src/report/plots/smoothing.js';

describe("TensorBoard's debiased EMA", () => {
  it('follows aₙ = w·aₙ₋₁ + (1−w)·yₙ, ŷₙ = aₙ/(1−wⁿ), worked by hand for w = 0.5', () => {
    // a₁ = 0.5·4 = 2, ŷ₁ = 2/0.5 = 4 (the first value, unbiased)
    // a₂ = 0.5·2 + 0.5·2 = 2, ŷ₂ = 2/0.75 = 8/3
    // a₃ = 0.5·2 + 0.5·8 = 5, ŷ₃ = 5/0.875 = 40/7
    expect(smoothed([4, 2, 8], 0.5)).toEqual([4, 8 / 3, 40 / 7].map((v) => expect.closeTo(v, 12)));
  });

  it('leaves a constant curve and weight 0 as they are, and skips non-finite values', () => {
    expect(smoothed([3, 3, 3, 3], 0.9).map((v) => Number(v.toFixed(12)))).toEqual([3, 3, 3, 3]);
    expect(smoothed([1, 5, 2], 0)).toEqual([1, 5, 2]);
    const [a, nan, b] = smoothed([2, Number.NaN, 4], 0.5);
    expect([a, nan]).toEqual([2, Number.NaN]);
    expect(b).toBeCloseTo((0.5 * 1 + 0.5 * 4) / 0.75, 12); // the NaN neither counts nor moves the average
  });
});
