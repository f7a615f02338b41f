import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { quantilesInPlace, stepSizeColumns, stepSizeQuantiles } from '../../src/optim/internals.js';
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
    stepSizeQuantiles('adam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 1, state }, 1, new Float32Array(1), out);
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
    stepSizeQuantiles('adam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 1, state }, 1, new Float32Array(1), out);
    expect(out[1]).toBeCloseTo(0.0199999996, 9);
  });

  it('RAdam takes γ/(1−β1ᵗ) for every element while ρ_t ≤ 5', () => {
    const options = optimizerSchema.parse({ name: 'radam' }) as OptimizerConfig;
    const out: number[] = [];
    stepSizeQuantiles('radam', { options, hyper: { lr: 1e-3, beta1: 0.9 }, step: 2, state: new Map() }, 4, new Float32Array(4), out);
    expect(out).toEqual([1, 1, 1].map(() => Math.fround(1e-3 / (1 - 0.9 ** 2))));
  });

  it('SGD writes no step-size columns; every other optimizer the three quantiles', () => {
    for (const name of optimizerNames) expect(stepSizeColumns(name)).toEqual(name === 'sgd' ? [] : ['eff_lr_p10', 'eff_lr_p50', 'eff_lr_p90']);
  });

  it('selects the quantiles a sort gives (linear interpolation), with repeated values', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const n of [1, 2, 3, 10, 101, 1000]) {
      const values = Array.from({ length: n }, () => Math.fround(Math.floor(random() * n) / 7));
      const out: number[] = [];
      quantilesInPlace(Float32Array.from(values), [0.1, 0.5, 0.9], out);
      expect(out, `n = ${n}`).toEqual([0.1, 0.5, 0.9].map((q) => sortedQuantile(values, q)));
    }
  });

  it('is NaN where a value is', () => {
    const out: number[] = [];
    quantilesInPlace(Float32Array.of(1, NaN, 2), [0.5], out);
    expect(out).toEqual([NaN]);
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
});
