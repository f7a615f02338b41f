import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';

describe('Rng (xoshiro128**)', () => {
  it('repeats a stream exactly for the same seed and stream name', () => {
    const a = new Rng(7, 'init');
    const b = new Rng(7, 'init');
    for (let i = 0; i < 100; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('gives unrelated streams for different names and nearby seeds', () => {
    const draws = (rng: Rng): number[] => Array.from({ length: 8 }, () => rng.nextUint32());
    expect(draws(new Rng(7, 'init'))).not.toEqual(draws(new Rng(7, 'shuffle')));
    expect(draws(new Rng(7, 'init'))).not.toEqual(draws(new Rng(8, 'init')));
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Rng(1, 'data');
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      expect(Math.fround(u)).toBe(u);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws integers below n without bias and shuffles into a permutation', () => {
    const rng = new Rng(3, 'shuffle');
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.below(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    const order = Uint32Array.from({ length: 50 }, (_, i) => i);
    rng.shuffle(order);
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...order]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws standard normals', () => {
    const rng = new Rng(5, 'init');
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
  });
});
