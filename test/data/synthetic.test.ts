import { describe, expect, it } from 'vitest';
import type { Split } from '../../src/data/dataset.js';
import { syntheticDataset, type SyntheticConfig } from '../../src/data/synthetic.js';
import { AllocationError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';

const uniform: SyntheticConfig = { task: 'uniform', features: 3, targets: 2, n_train: 200, n_test: 50, resample: false };
const moons: SyntheticConfig = { task: 'moons', noise: 0.1, n_train: 200, n_test: 50, resample: false };
const spirals: SyntheticConfig = { task: 'spirals', classes: 3, noise: 0.2, n_train: 200, n_test: 50, resample: false };

const snapshot = (split: Split) => ({ features: Array.from(split.features), targets: Array.from(split.targets) });

function labelCounts(split: Split, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const t of split.targets) {
    expect(Number.isInteger(t) && t >= 0 && t < classes, `label ${t}`).toBe(true);
    counts[t]++;
  }
  return counts;
}

describe('syntheticDataset', () => {
  it.each([uniform, moons, spirals])('$task: the same seed gives identical data, another seed different data', (config) => {
    const a = syntheticDataset(config, 7);
    const b = syntheticDataset(config, 7);
    const c = syntheticDataset(config, 8);
    expect(snapshot(a.train)).toEqual(snapshot(b.train));
    expect(snapshot(a.test!)).toEqual(snapshot(b.test!));
    expect(snapshot(a.train).features).not.toEqual(snapshot(c.train).features);
    expect(snapshot(a.test!).features).not.toEqual(snapshot(c.test!).features);
    // Train and test are distinct draws.
    expect(snapshot(a.train).features.slice(0, 20)).not.toEqual(snapshot(a.test!).features.slice(0, 20));
  });

  it('draws the test split first, so its points do not depend on n_train', () => {
    const small = syntheticDataset({ ...moons, n_train: 10 }, 3);
    const large = syntheticDataset({ ...moons, n_train: 500 }, 3);
    expect(snapshot(small.test!)).toEqual(snapshot(large.test!));
  });

  it('uniform: shapes, and features and targets uniform in [0, 1)', () => {
    const big = { ...uniform, n_train: 4000 };
    const data = syntheticDataset(big, 1);
    expect(data.inputShape).toEqual([3]);
    expect(data.targets).toEqual({ kind: 'values', width: 2, binary: false });
    expect([data.train.size, data.test!.size]).toEqual([4000, 50]);
    expect(data.train.shape).toEqual([3]);
    expect(data.train.targetWidth).toBe(2);
    expect(data.train.features.length).toBe(4000 * 3);
    expect(data.train.targets.length).toBe(4000 * 2);
    for (const values of [data.train.features, data.train.targets]) {
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThan(1);
      expect(min).toBeLessThan(0.01);
      expect(max).toBeGreaterThan(0.99);
      // Mean of n uniforms: sd = sqrt(1/12/n) ≈ 0.0026 for n = 12000; allow 5 sd.
      expect(Math.abs(sum / values.length - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / values.length));
    }
  });

  it('moons: two balanced classes on the two half circles (exact with noise 0)', () => {
    const data = syntheticDataset({ ...moons, noise: 0, n_train: 101 }, 2);
    expect(data.inputShape).toEqual([2]);
    expect(data.targets).toEqual({ kind: 'class', classes: 2 });
    expect(labelCounts(data.train, 2)).toEqual([51, 50]);
    expect(labelCounts(data.test!, 2)).toEqual([25, 25]);
    const f = data.train.features;
    for (let i = 0; i < data.train.size; i++) {
      const [x, y] = [f[2 * i], f[2 * i + 1]];
      if (data.train.targets[i] === 0) {
        // Upper half of the unit circle.
        expect(Math.abs(Math.hypot(x, y) - 1)).toBeLessThan(1e-6);
        expect(y).toBeGreaterThanOrEqual(-1e-7);
      } else {
        // Lower half of the unit circle centred at (1, 0.5).
        expect(Math.abs(Math.hypot(x - 1, y - 0.5) - 1)).toBeLessThan(1e-6);
        expect(y).toBeLessThanOrEqual(0.5 + 1e-7);
      }
    }
  });

  it('moons: noise moves points off the circles by about its standard deviation', () => {
    const data = syntheticDataset({ ...moons, noise: 0.1, n_train: 2000 }, 4);
    const f = data.train.features;
    let sumSq = 0;
    for (let i = 0; i < data.train.size; i++) {
      const [x, y] = [f[2 * i], f[2 * i + 1]];
      const radial = data.train.targets[i] === 0 ? Math.hypot(x, y) - 1 : Math.hypot(x - 1, y - 0.5) - 1;
      sumSq += radial * radial;
    }
    // The radial part of an isotropic Gaussian offset (σ = 0.1) from a unit circle has rms ≈ σ.
    const rms = Math.sqrt(sumSq / data.train.size);
    expect(rms).toBeGreaterThan(0.06);
    expect(rms).toBeLessThan(0.15);
  });

  it('spirals: labels balanced and in range; with noise 0 each arm follows angle = 2πk/C + 4r', () => {
    const classes = 4;
    const data = syntheticDataset({ ...spirals, classes, noise: 0, n_train: 203 }, 5);
    expect(data.inputShape).toEqual([2]);
    expect(data.targets).toEqual({ kind: 'class', classes });
    const counts = labelCounts(data.train, classes);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b)).toBe(203);
    const f = data.train.features;
    for (let i = 0; i < data.train.size; i++) {
      const [x, y] = [f[2 * i], f[2 * i + 1]];
      const r = Math.hypot(x, y);
      expect(r).toBeLessThan(1);
      if (r < 1e-3) continue; // the angle is meaningless at the centre
      const expected = (2 * Math.PI * data.train.targets[i]) / classes + 4 * r;
      const diff = Math.atan2(x, y) - expected;
      const wrapped = diff - 2 * Math.PI * Math.round(diff / (2 * Math.PI));
      expect(Math.abs(wrapped), `point ${i}`).toBeLessThan(1e-4 / r);
    }
  });

  it('spirals: the class count follows the config', () => {
    const data = syntheticDataset({ ...spirals, classes: 5, n_train: 50 }, 6);
    expect(labelCounts(data.train, 5)).toEqual([10, 10, 10, 10, 10]);
  });

  it('resample: fresh training points from beginEpoch(2) on; the test split stays', () => {
    const data = syntheticDataset({ ...moons, resample: true }, 9);
    const test = data.test!;
    const testBefore = snapshot(test);
    const first = data.train;
    const firstSnapshot = snapshot(first);
    data.beginEpoch(1);
    expect(data.train).toBe(first);
    data.beginEpoch(2);
    const second = data.train;
    expect(second).not.toBe(first);
    expect(second.size).toBe(first.size);
    expect(snapshot(second).features).not.toEqual(firstSnapshot.features);
    expect(labelCounts(second, 2)).toEqual([100, 100]);
    data.beginEpoch(3);
    expect(snapshot(data.train).features).not.toEqual(snapshot(second).features);
    expect(data.test).toBe(test);
    expect(snapshot(data.test!)).toEqual(testBefore);
    // The split handed out before is not changed in place.
    expect(snapshot(first)).toEqual(firstSnapshot);
  });

  it('resample is reproducible from the seed', () => {
    const a = syntheticDataset({ ...spirals, resample: true }, 12);
    const b = syntheticDataset({ ...spirals, resample: true }, 12);
    a.beginEpoch(2);
    b.beginEpoch(2);
    expect(snapshot(a.train)).toEqual(snapshot(b.train));
  });

  it('without resample the training points never change', () => {
    const data = syntheticDataset(uniform, 9);
    const first = snapshot(data.train);
    for (let epoch = 1; epoch <= 3; epoch++) data.beginEpoch(epoch);
    expect(snapshot(data.train)).toEqual(first);
  });

  it('a split longer than a typed array can be is an AllocationError: the config asks for too much', () => {
    const error = thrown(AllocationError, () => syntheticDataset({ ...moons, n_train: Number.MAX_SAFE_INTEGER }, 0));
    expect(error).toBeInstanceOf(RangeError);
  });
});
