import { describe, expect, it } from 'vitest';
import { medianSteps, performanceProfile, workloadTimes } from '../../src/report/profile.js';
import type { ReportData } from '../../src/report/report-data.js';

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

describe("a workload's time to target", () => {
  const rerun = (stepsPerSeed: readonly (number | null)[]): ReportData => ({
    kind: 'compare',
    name: 'w',
    id: 'x',
    axes: [],
    groups: [],
    rankBy: { metric: 'final_test_accuracy', higherIsBetter: true },
    // a seed with steps s reaches accuracy 0.9 at step s; null never gets above 0.5
    trials: stepsPerSeed.map((s, seed) => ({
      id: `a${seed}`,
      group: 'adam',
      seed,
      status: 'completed',
      values: {},
      losses: [],
      evaluations: [
        { epoch: 1, step: 5, trainLoss: 1, testLoss: 1, testAccuracy: 0.5 },
        ...(s === null ? [] : [{ epoch: 2, step: s, trainLoss: 1, testLoss: 1, testAccuracy: 0.9 }]),
      ],
      divergedAtStep: null,
      seconds: 1,
    })),
  });

  it('is not solved when only a minority of the seeds reached the target', () => {
    // one lucky seed of ten: the mean over the seeds that got there would say 40 steps
    expect(workloadTimes(rerun([40, ...Array(9).fill(null)]), ['adam'], 'test_accuracy', 0.8).get('adam')).toBeNull();
    expect(workloadTimes(rerun([40, 60, null, null]), ['adam'], 'test_accuracy', 0.8).get('adam')).toBeNull();
  });

  it('is the median over all seeds, never-reached counting as ∞, when most reached it', () => {
    expect(workloadTimes(rerun([40, 60, 100, null, 20]), ['adam'], 'test_accuracy', 0.8).get('adam')).toBe(60);
    expect(medianSteps([40, 60, 100, null])).toBe(80);
    expect(medianSteps([])).toBeNull();
  });
});
