import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { Distribution } from '../../src/config/lab-schema.js';
import { fairComparison, fairCsv, fairTable } from '../../src/report/fair.js';
import { chooseTuned } from '../../src/report/tuning-choice.js';
import type { ReportData } from '../../src/report/report-data.js';
import type { TrialData } from '../../src/runs/run-reader.js';

/** A tuning trial of variant `adam` at learning rate `lr` whose validation loss is `loss`. */
function tuningTrial(lr: number, loss: number): TrialData {
  return {
    id: `t${lr}`,
    group: `adam optimizer.lr=${lr}`,
    seed: 0,
    status: 'completed',
    values: { variant: 'adam', 'optimizer.lr': lr },
    losses: [],
    evaluations: [{ epoch: 1, step: 10, trainLoss: loss, testLoss: null, testAccuracy: null, valLoss: loss }],
    divergedAtStep: null,
    seconds: 1,
  };
}

function tuning(points: readonly (readonly [lr: number, loss: number])[]): ReportData {
  return {
    kind: 'sweep',
    name: 'tuning',
    id: 'x',
    axes: ['variant', 'optimizer.lr'],
    trials: points.map(([lr, loss]) => tuningTrial(lr, loss)),
    groups: [],
    rankBy: { metric: 'final_train_loss', higherIsBetter: false },
  };
}

const SPACE: Record<string, Distribution> = { 'optimizer.lr': { log_uniform: [1e-4, 1] } };
const edge = (points: readonly (readonly [number, number])[]): readonly string[] => chooseTuned(tuning(points), 'val_loss', 'final', SPACE)[0].atEdge;

describe('the edge of the search range', () => {
  it('is the configured range, not the smallest or largest value drawn', () => {
    // random draws; the best (3e-3) is the smallest drawn, but 37 % into the log range [1e-4, 1]
    expect(edge([[3e-3, 0.1], [1e-2, 0.2], [3e-2, 0.3], [1e-1, 0.4]])).toEqual([]);
    // the best lies in the outer quarter (1/4 of the range for 4 trials) at the low end
    expect(edge([[1.5e-4, 0.1], [1e-2, 0.2], [3e-2, 0.3], [1e-1, 0.4]])).toEqual(['optimizer.lr']);
    // and at the high end
    expect(edge([[3e-3, 0.4], [1e-2, 0.2], [3e-2, 0.3], [0.6, 0.1]])).toEqual(['optimizer.lr']);
  });

  it('is a grid end point, not the one next to it', () => {
    const grid = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    expect(edge(grid.map((lr) => [lr, lr === 1e-4 ? 0.1 : 0.5] as const))).toEqual(['optimizer.lr']);
    expect(edge(grid.map((lr) => [lr, lr === 1e-3 ? 0.1 : 0.5] as const))).toEqual([]);
  });
});

describe('the tuned table', () => {
  it('gives no spread for a time to target that one seed reached', () => {
    const rerunTrial = (seed: number, accuracies: readonly number[]): TrialData => ({
      ...tuningTrial(1e-2, 0.1),
      id: `r${seed}`,
      group: 'adam',
      seed,
      evaluations: accuracies.map((a, e) => ({ epoch: e + 1, step: 10 * (e + 1), trainLoss: 0.1, testLoss: 0.1, testAccuracy: a, seconds: e + 1 })),
    });
    const rerun: ReportData = {
      ...tuning([]),
      kind: 'compare',
      trials: [rerunTrial(0, [0.7, 0.9]), rerunTrial(1, [0.6, 0.7])],
      rankBy: { metric: 'final_test_accuracy', higherIsBetter: true },
    };
    const choices = chooseTuned(tuning([[1e-2, 0.1]]), 'val_loss', 'final', SPACE);
    const fair = fairComparison(rerun, choices, { test_accuracy: 0.8 }, 0.95, 0.05);
    const table = fairTable(fair);
    expect(table[1][table[0].indexOf('steps to test_accuracy 0.8')]).toBe('20 ± – (1/2)');
    const [row] = parse(fairCsv(fair), { columns: true }) as Record<string, string>[];
    expect([row.reached_test_accuracy, row.steps_to_test_accuracy_mean, row.steps_to_test_accuracy_std, row.steps_to_test_accuracy_ci_low]).toEqual(['1', '20', '', '']);
  });
});
