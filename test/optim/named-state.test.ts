/**
 * Optimizer state by tensor, under torch's names (what checkpoints and internals read). After
 * one Adam step from zero moments with gradient g: exp_avg = (1 − β1)·g, exp_avg_sq = (1 − β2)·g²
 * (torch.optim.Adam's algorithm box), here with β = (0.9, 0.999) and g = (1, 2 | 3).
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { createOptimizer, optimizerKinds, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';

const tensors = [
  { name: '0.weight', shape: [2], offset: 0, length: 2 },
  { name: '0.bias', shape: [1], offset: 2, length: 1 },
];
const config = (o: object): OptimizerConfig => optimizerSchema.parse(o) as OptimizerConfig;

describe('optimizer state by tensor', () => {
  it("slices Adam's moments per tensor, named as torch names them", () => {
    const optimizer = createOptimizer(config({ name: 'adam', amsgrad: true }), new Float32Array(3), {}, tensors);
    optimizer.apply(Float32Array.of(1, 2, 3));
    const bias = optimizer.tensorState(tensors[1]);
    expect([...bias.keys()]).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(bias.get('exp_avg')).toEqual(Float32Array.of(Math.fround(0.1 * 3)));
    expect(bias.get('exp_avg_sq')).toEqual(Float32Array.of(Math.fround(Math.fround(0.001) * 9)));
    expect(optimizer.tensorState(tensors[0]).get('exp_avg')).toEqual(Float32Array.of(Math.fround(0.1), Math.fround(0.2)));
  });

  it('leaves out state an option turns off, and keeps none for a frozen tensor', () => {
    const plain = createOptimizer(config({ name: 'adam' }), new Float32Array(3), {}, tensors);
    expect([...plain.tensorState(tensors[0]).keys()]).toEqual(['exp_avg', 'exp_avg_sq']);
    const frozen = createOptimizer(config({ name: 'adam', param_groups: [{ params: ['*.bias'], frozen: true }] }), new Float32Array(3), {}, tensors);
    expect(frozen.tensorState(tensors[1]).size).toBe(0);
    expect(frozen.tensorState(tensors[0]).size).toBe(2);
    // SGD without momentum: torch's momentum_buffer stays None.
    const sgd = createOptimizer(config({ name: 'sgd' }), new Float32Array(3), {}, tensors);
    sgd.apply(Float32Array.of(1, 2, 3));
    expect(sgd.tensorState(tensors[0]).size).toBe(0);
  });

  it('names the momentum buffer as SGD does, and keeps per-vector scalars apart', () => {
    const sgd = createOptimizer(config({ name: 'sgd', momentum: 0.9 }), new Float32Array(3), {}, tensors);
    sgd.apply(Float32Array.of(1, 2, 3));
    expect([...sgd.tensorState(tensors[0]).keys()]).toEqual(['momentum_buffer']);
    expect([...sgd.segmentScalars()[0].keys()]).toEqual(['started']);
  });

  it('gives every optimizer torch-named state of the tensor’s length', () => {
    // Besides torch.optim's: Adafactor's, Prodigy's, Rprop's, ASGD's, schedulefree's and L-BFGS's own names.
    const torchNames = new Set(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'exp_inf', 'momentum_buffer', 'square_avg', 'grad_avg', 'acc_delta', 'sum', 'variance', 's', 'p0', 'prev', 'step_size', 'ax', 'z', 'd', 'prev_flat_grad']);
    // L-BFGS's history lists, one entry per kept pair.
    const isTorchName = (key: string): boolean => torchNames.has(key) || /^old_(dirs|stps)\.\d+$/.test(key);
    // Muon steps matrices only (its state: per-tensor.test.ts's optimizers).
    for (const name of optimizerNames.filter((n) => optimizerKinds[n].tensorProblem([2]) === null)) {
      const optimizer = createOptimizer(config({ name, ...(['sgd', 'rmsprop', 'lars'].includes(name) ? { momentum: 0.5 } : {}) }), new Float32Array(3), {}, tensors);
      optimizer.apply(Float32Array.of(1, 2, 3), undefined, { loss: 1, evaluate: () => 1 });
      const state = optimizer.tensorState(tensors[0]);
      expect(state.size, name).toBeGreaterThan(0);
      for (const [key, values] of state) {
        expect(isTorchName(key), `${name}.${key}`).toBe(true);
        expect(values.length).toBe(2);
      }
    }
  });
});
