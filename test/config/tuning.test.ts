import { describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../src/config/load.js';
import { expandRerun, expandTuning } from '../../src/config/tuning.js';

const TUNED = `name: toy
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, validation: 0.25}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
train: {epochs: 1}
compare:
  adam: {optimizer: {name: adam}}
`;

const source = (protocol: string) => parseConfigSource(`${TUNED}protocol:\n${protocol}`, 'exp.yaml');
const plan = (protocol: string) => expandTuning(source(protocol), [], null);

describe('the tuned protocol', () => {
  it('has its tuning trials skip the test set, and its reruns evaluate on it', () => {
    const protocol = '  tune: {budget: 3, space: {optimizer.lr: {log_uniform: [1.0e-3, 1.0e-1]}}}\n  rerun: {seeds: 2}\n';
    const tuning = plan(protocol);
    expect(tuning.tuning.trials.map((t) => t.config.train.evaluate_test)).toEqual([false, false, false]);
    const rerun = expandRerun(source(protocol), [], tuning, new Map([['adam', 1]]), tuning.points);
    expect(rerun.trials.map((t) => [t.config.train.evaluate_test, t.config.optimizer.lr])).toEqual([[undefined, 0.01], [undefined, 0.01]]);
  });

  it('labels tuned values with 3 significant digits, more only where two points would read alike', () => {
    const grid = plan('  tune: {budget: 4, space: {optimizer.lr: {log_uniform: [1.0e-4, 1.0]}}}\n');
    expect(grid.tuning.trials.map((t) => t.group)).toEqual(['adam optimizer.lr=0.0001', 'adam optimizer.lr=0.00215', 'adam optimizer.lr=0.0464', 'adam optimizer.lr=1']);
    // The values themselves are not rounded: the trials train with them.
    expect(grid.tuning.trials[1].config.optimizer.lr).toBe(0.00215443469003);
    const close = plan('  tune: {budget: 3, space: {optimizer.lr: {uniform: [0.1, 0.1002]}}}\n');
    expect(close.tuning.trials.map((t) => t.group)).toEqual(['adam optimizer.lr=0.1', 'adam optimizer.lr=0.1001', 'adam optimizer.lr=0.1002']);
    const sizes = plan('  tune: {budget: 2, space: {data.batch_size: {int_uniform: [1000, 1234]}}}\n');
    expect(sizes.tuning.trials.map((t) => t.group)).toEqual(['adam data.batch_size=1000', 'adam data.batch_size=1234']);
  });
});
