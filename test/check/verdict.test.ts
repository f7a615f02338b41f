import { describe, expect, it } from 'vitest';
import { expectSchema } from '../../src/config/expect-schema.js';
import { judge } from '../../src/check/verdict.js';
import type { EvaluationPoint, TrialData } from '../../src/runs/run-reader.js';

/** A trial whose evaluations are given as [step, train_loss, test_loss, test_accuracy]. */
function trial(seed: number, rows: [number, number, number, number][], status = 'completed'): TrialData {
  const evaluations: EvaluationPoint[] = rows.map(([step, trainLoss, testLoss, testAccuracy], i) => ({ epoch: i + 1, step, trainLoss, testLoss, testAccuracy }));
  return { id: `t${seed}`, group: 'g', seed, status, values: {}, losses: [], evaluations, divergedAtStep: status === 'diverged' ? 7 : null, seconds: 1 };
}

const trials = [
  trial(0, [[100, 0.5, 0.45, 0.85], [200, 0.3, 0.32, 0.93]]),
  trial(1, [[100, 0.6, 0.5, 0.8], [200, 0.35, 0.34, 0.91]]),
];

const verdictsOf = (expectations: unknown, runs = trials) => judge(expectSchema.parse(expectations), runs);

describe('judging expectations', () => {
  it('bounds the mean over seeds by default and every seed with worst: true', () => {
    expect(verdictsOf({ final_train_loss: { max: 0.33 } })[0]).toMatchObject({ pass: true, measured: '0.325 ± 0.03536 (2 seeds)', bound: '≤ 0.33 (mean)' });
    expect(verdictsOf({ final_train_loss: { max: 0.33, worst: true } })[0]).toMatchObject({ pass: false, measured: 'worst 0.35 (2 seeds)' });
    expect(verdictsOf({ final_test_loss: { max: 0.34, worst: true } })[0].pass).toBe(true);
    expect(verdictsOf({ final_test_loss: { min: 0.4 } })[0].pass).toBe(false);
  });

  it('reads test accuracy at the final or the best evaluation', () => {
    const dipping = [trial(0, [[100, 0.5, 0.4, 0.95], [200, 0.4, 0.45, 0.9]])];
    expect(verdictsOf({ test_accuracy: { min: 0.92 } }, dipping)[0]).toMatchObject({ expectation: 'test_accuracy (final)', pass: false });
    expect(verdictsOf({ test_accuracy: { min: 0.92, at: 'best' } }, dipping)[0]).toMatchObject({ expectation: 'test_accuracy (best)', pass: true });
    // The final 0.9 would meet max 0.92; the best, 0.95, does not.
    expect(verdictsOf({ test_accuracy: { max: 0.92 } }, dipping)[0].pass).toBe(true);
    expect(verdictsOf({ test_accuracy: { max: 0.92, at: 'best' } }, dipping)[0]).toMatchObject({ pass: false, measured: '0.95 ± 0 (1 seed)' });
    expect(verdictsOf({ test_accuracy: { min: 0.96, at: 'best' } }, dipping)[0].pass).toBe(false);
  });

  it('counts steps to a target, failing a seed that never reaches it', () => {
    expect(verdictsOf({ steps_to: { test_accuracy: 0.9, max: 200 } })[0]).toMatchObject({ pass: true, values: [200, 200] });
    expect(verdictsOf({ steps_to: { test_accuracy: 0.84, max: 150 } })[0]).toMatchObject({ pass: true, values: [100, 200] });
    expect(verdictsOf({ steps_to: { test_accuracy: 0.84, max: 150, worst: true } })[0].pass).toBe(false);
    expect(verdictsOf({ steps_to: { train_loss: 0.32, max: 500 } })[0]).toMatchObject({ pass: false, measured: 'seed 1 not reached' });
  });

  it('counts steps to a loss target from above, for test and train loss', () => {
    // test losses: seed 0 0.45 then 0.32, seed 1 0.5 then 0.34
    expect(verdictsOf({ steps_to: { test_loss: 0.46, max: 150 } })[0]).toMatchObject({ expectation: 'steps_to test_loss ≤ 0.46', pass: true, values: [100, 200] });
    expect(verdictsOf({ steps_to: { test_loss: 0.46, max: 149 } })[0]).toMatchObject({ pass: false, values: [100, 200] });
    expect(verdictsOf({ steps_to: { test_loss: 0.33, max: 500 } })[0]).toMatchObject({ pass: false, measured: 'seed 1 not reached' });
    // train losses: seed 0 0.5 then 0.3, seed 1 0.6 then 0.35 (a target is reached at equality)
    expect(verdictsOf({ steps_to: { train_loss: 0.35, max: 200, worst: true } })[0]).toMatchObject({ expectation: 'steps_to train_loss ≤ 0.35', pass: true, values: [200, 200] });
    expect(verdictsOf({ steps_to: { train_loss: 0.5, max: 150 } })[0]).toMatchObject({ pass: true, values: [100, 200] });
  });

  it('fails a metric on a seed that diverged, naming it', () => {
    const runs = [trials[0], trial(1, [], 'diverged')];
    expect(verdictsOf({ final_train_loss: { max: 1 } }, runs)[0]).toMatchObject({ pass: false, measured: 'seed 1 diverged' });
    expect(verdictsOf({ no_divergence: true }, runs)[0]).toMatchObject({ pass: false, measured: '1 of 2 diverged' });
    expect(verdictsOf({ no_divergence: true })[0].pass).toBe(true);
    expect(verdictsOf({ diverges: true }, runs)[0].pass).toBe(false);
    expect(verdictsOf({ diverges: true }, [trial(0, [], 'diverged')])[0].pass).toBe(true);
  });

  it('has a bound exactly at the limit pass, and the next value past it fail', () => {
    const runs = [trial(0, [[10, 0.25, 1, 0.5]]), trial(1, [[10, 0.5, 1, 0.5]])]; // mean exactly 0.375
    expect(verdictsOf({ final_train_loss: { max: 0.375 } }, runs)[0].pass).toBe(true);
    expect(verdictsOf({ final_train_loss: { min: 0.375 } }, runs)[0].pass).toBe(true);
    expect(verdictsOf({ final_train_loss: { max: 0.37499999 } }, runs)[0].pass).toBe(false);
    expect(verdictsOf({ final_train_loss: { max: 0.5, worst: true } }, runs)[0].pass).toBe(true);
    expect(verdictsOf({ final_train_loss: { max: 0.49999, worst: true } }, runs)[0].pass).toBe(false);
  });
});
