import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { SAMPLE_SIZE, stepSizeColumns, stepSizeQuantiles, stepSizeScratch } from '../../src/optim/internals.js';
import { orderStatistics } from '../../src/optim/order-statistics.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import { tensorViews } from '../../src/train/build.js';
import { InternalsRecorder } from '../../src/train/internals.js';
import { accuracyRule } from '../../src/train/metrics.js';
import { TrainStep } from '../../src/train/step.js';
import { countTypedArrays } from '../count-allocations.js';

/** numpy's default quantile (linear), by sorting: the reference of the selection. */
function sortedQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const k = Math.floor(position);
  return k === position ? sorted[k] : sorted[k] + (position - k) * (sorted[k + 1] - sorted[k]);
}

describe('effective step sizes', () => {
  it("Adam's, for one element after its first step, by hand", () => {
    // g = 0.5, γ = 1e-3, β = (0.9, 0.999), ε = 1e-8, t = 1:
    //   v = (1 − 0.999)·0.25 = 2.5e-4,  v̂ = v/(1 − 0.999) = 0.25,  √v̂ = 0.5
    //   step size = γ/(1 − β1) / (√v̂ + ε) = 1e-3/0.1 / 0.50000001 = 0.0199999996
    const options = optimizerSchema.parse({ name: 'adam' }) as OptimizerConfig;
    const state = new Map([['exp_avg_sq', Float32Array.of(2.5e-4)]]);
    const out: number[] = [];
    stepSizeQuantiles('adam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 1, state }, stepSizeScratch(1), out);
    expect(out).toHaveLength(3);
    for (const q of out) expect(q).toBeCloseTo(0.0199999996, 9);
  });

  it('AMSGrad divides by the running maximum of v', () => {
    const options = optimizerSchema.parse({ name: 'adam', amsgrad: true }) as OptimizerConfig;
    const state = new Map([
      ['exp_avg_sq', Float32Array.of(1e-6)],
      ['max_exp_avg_sq', Float32Array.of(2.5e-4)],
    ]);
    const out: number[] = [];
    stepSizeQuantiles('adam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 1, state }, stepSizeScratch(1), out);
    expect(out[1]).toBeCloseTo(0.0199999996, 9);
  });

  it('RAdam takes γ/(1−β1ᵗ) for every element while ρ_t ≤ 5', () => {
    const options = optimizerSchema.parse({ name: 'radam' }) as OptimizerConfig;
    const out: number[] = [];
    stepSizeQuantiles('radam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 2, state: new Map([['exp_avg_sq', Float32Array.of(1, 2, 3, 4)]]) }, stepSizeScratch(4), out);
    expect(out).toEqual([1, 1, 1].map(() => 1e-3 / (1 - 0.9 ** 2)));
  });

  it('SGD writes no step-size columns, nor those without a per-element rate (L-BFGS: a line-searched t·d); every other optimizer the three quantiles', () => {
    const withoutStepSizes = ['sgd', 'lion', 'lamb', 'lars', 'adafactor', 'muon', 'prodigy', 'lbfgs'];
    for (const name of optimizerNames) expect(stepSizeColumns(name)).toEqual(withoutStepSizes.includes(name) ? [] : ['eff_lr_p10', 'eff_lr_p50', 'eff_lr_p90']);
  });

  it('selects the quantiles a sort of the step sizes gives (linear interpolation), with repeated values, either way the size runs', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const adagrad = optimizerSchema.parse({ name: 'adagrad', lr: 0.1 }) as OptimizerConfig;
    const adadelta = optimizerSchema.parse({ name: 'adadelta' }) as OptimizerConfig;
    for (const n of [1, 2, 3, 10, 101, 1000, 5000]) {
      // Values spread over decades, some repeated, some 0 (a gradient that was always 0).
      const sum = Float32Array.from({ length: n }, () => (random() < 0.2 ? 0 : Math.fround(10 ** (4 * Math.floor(random() * 50) / 50 - 3))));
      const adagradSizes = [...sum].map((s) => 0.1 / (Math.sqrt(s) + 1e-10));
      const out: number[] = [];
      stepSizeQuantiles('adagrad', { options: adagrad, hyper: { lr: 0.1 }, step: 1, state: new Map([['sum', sum]]) }, stepSizeScratch(n), out);
      expect(out, `adagrad, n = ${n}`).toEqual([0.1, 0.5, 0.9].map((q) => sortedQuantile(adagradSizes, q)));
      const squareAvg = Float32Array.from(sum, (s) => s + 1);
      const accDelta = Float32Array.from({ length: n }, () => Math.fround(random()));
      const adadeltaSizes = [...squareAvg].map((v, i) => Math.fround(Math.sqrt(accDelta[i] + 1e-6) / Math.sqrt(v + 1e-6)));
      stepSizeQuantiles('adadelta', { options: adadelta, hyper: { lr: 1 }, step: 1, state: new Map([['square_avg', squareAvg], ['acc_delta', accDelta]]) }, stepSizeScratch(n), out);
      expect(out, `adadelta, n = ${n}`).toEqual([0.1, 0.5, 0.9].map((q) => sortedQuantile(adadeltaSizes, q)));
    }
  });

  it('samples a tensor larger than SAMPLE_SIZE: each quantile within 0.5 % of rank of the exact one, whatever the layout', () => {
    const adagrad = optimizerSchema.parse({ name: 'adagrad', lr: 0.1 }) as OptimizerConfig;
    const n = 100352; // the MNIST MLP's 128 × 784 weight
    // A layout that a strided sample would alias with: every 7th column holds much larger sums.
    const sum = Float32Array.from({ length: n }, (_, i) => Math.fround((1 + ((i * 7919) % 1000)) * (i % 7 === 0 ? 1000 : 1)));
    const out: number[] = [];
    stepSizeQuantiles('adagrad', { options: adagrad, hyper: { lr: 0.1 }, step: 1, state: new Map([['sum', sum]]) }, stepSizeScratch(n), out);
    const sizes = [...sum].map((s) => 0.1 / (Math.sqrt(s) + 1e-10)).sort((a, b) => a - b);
    [0.1, 0.5, 0.9].forEach((q, i) => {
      const rank = sizes.findIndex((x) => x >= out[i]) / (n - 1);
      expect(Math.abs(rank - q), `quantile ${q}`).toBeLessThan(0.005);
    });
    expect(SAMPLE_SIZE).toBeLessThan(n);
  });

  it('reads order statistics off the bits without reordering, negative numbers, zeros and infinities included', () => {
    const values = Float32Array.of(3, -1, 0, -0, Infinity, -Infinity, 2.5, 3, 1e-30, -1e30);
    const copy = values.slice();
    const ranks = [0, 1, 2, 5, 8, 9];
    const out: number[] = [];
    expect(orderStatistics(values, ranks, new Int32Array(values.length), out)).toBe(true);
    const sorted = [...values].sort((a, b) => a - b);
    expect(out).toEqual(ranks.map((r) => sorted[r]));
    expect(values).toEqual(copy);
    expect(orderStatistics(Float32Array.of(1, NaN, 2), [1], new Int32Array(3), out)).toBe(false);
  });

  it('is NaN where a step size is', () => {
    const options = optimizerSchema.parse({ name: 'adam' }) as OptimizerConfig;
    const out: number[] = [];
    stepSizeQuantiles('adam', { options, hyper: { lr: 1e-3 }, step: 3, state: new Map([['exp_avg_sq', Float32Array.of(1, NaN, 2)]]) }, stepSizeScratch(3), out);
    expect(out).toEqual([NaN, NaN, NaN]);
  });
});

describe('the internals recorder', () => {
  it('allocates no typed arrays on the steps it does not record', () => {
    const model = new Model(planModel([{ linear: { out_features: 16, bias: true } }, 'tanh', { linear: { out_features: 3, bias: true } }], [2]), 32, 0);
    const config = optimizerSchema.parse({ name: 'adam', param_groups: [{ params: ['0.*'], lr: 1e-4 }] }) as OptimizerConfig;
    const optimizer = createOptimizer(config, model.values, { clip_grad_norm: 0.5 }, tensorViews(model));
    const data = syntheticDataset({ task: 'spirals', classes: 3, noise: 0.1, n_train: 192, n_test: 10, resample: false }, 0);
    const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, accuracyRule(data.targets, 'index', 0));
    const recorder = new InternalsRecorder(3, config, optimizer, model);
    step.observer = recorder;
    const order = Uint32Array.from({ length: 192 }, (_, i) => i);
    for (let s = 0; s < 3; s++) step.run(data.train, order, 32 * s, 32);
    expect(recorder.take().map((r) => r.step)).toEqual(['3', '3', '3', '3']);
    expect(countTypedArrays(() => [3, 4].forEach((s) => step.run(data.train, order, 32 * s, 32)))).toBe(0);
    expect(recorder.take()).toEqual([]);
  });

  it("gives a group that names another optimizer that optimizer's step sizes, or none", () => {
    const model = new Model(planModel([{ linear: { out_features: 4, bias: true } }, 'tanh', { linear: { out_features: 3, bias: true } }], [2]), 8, 0);
    const config = optimizerSchema.parse({ name: 'adam', lr: 0.01, param_groups: [{ params: ['*.bias'], optimizer: 'sgd', lr: 0.1 }] }) as OptimizerConfig;
    const optimizer = createOptimizer(config, model.values, {}, tensorViews(model));
    const data = syntheticDataset({ task: 'spirals', classes: 3, noise: 0.1, n_train: 8, n_test: 4, resample: false }, 0);
    const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, accuracyRule(data.targets, 'index', 0));
    const recorder = new InternalsRecorder(1, config, optimizer, model);
    step.observer = recorder;
    step.run(data.train, Uint32Array.from({ length: 8 }, (_, i) => i), 0, 8);
    const rows = new Map(recorder.take().map((r) => [r.tensor, r]));
    // Adam's tensors have Adam's step sizes; SGD's biases have none (every element steps by its lr).
    expect(Number(rows.get('0.weight')?.eff_lr_p50)).toBeGreaterThan(0);
    expect(rows.get('0.bias')?.eff_lr_p50).toBeUndefined();
    expect(rows.get('2.bias')?.group).toBe('param_groups.0');
  });
});
