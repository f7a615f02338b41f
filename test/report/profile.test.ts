import { describe, expect, it } from 'vitest';
import { performanceProfile } from '../../src/report/profile.js';

describe('performance profiles', () => {
  it('count, for each τ, the share of workloads a variant solves within τ× of the fastest', () => {
    // w1: a 100, b 150, c never; w2: a 300, b 200, c 200; w3: a 50, b 400, c never
    const workloads = [
      { workload: 'w1', times: new Map([['a', 100], ['b', 150], ['c', null]]) },
      { workload: 'w2', times: new Map([['a', 300], ['b', 200], ['c', 200]]) },
      { workload: 'w3', times: new Map([['a', 50], ['b', 400], ['c', null]]) },
    ];
    const profile = performanceProfile(workloads, 8, 4); // τ = 1, 2, 4, 8
    expect(profile.taus).toEqual([1, 2, 4, 8]);
    // ratios: a = 1, 1.5, 1; b = 1.5, 1, 8; c = ∞, 1, ∞
    expect(profile.curves.get('a')).toEqual([2 / 3, 1, 1, 1]);
    expect(profile.curves.get('b')).toEqual([1 / 3, 2 / 3, 2 / 3, 1]);
    expect(profile.curves.get('c')).toEqual([1 / 3, 1 / 3, 1 / 3, 1 / 3]);
  });
});
