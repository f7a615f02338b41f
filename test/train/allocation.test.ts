import { afterEach, describe, expect, it } from 'vitest';
import { optimizerSchema, scheduleSchema } from '../../src/config/schema.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { lossKinds } from '../../src/engine/losses/index.js';
import { Model, planModel } from '../../src/engine/model.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import { createSchedule } from '../../src/optim/schedules.js';
import { accuracyRule } from '../../src/train/metrics.js';
import { TrainStep } from '../../src/train/step.js';

/**
 * Counts every typed array created while `body` runs: constructions through the global
 * constructors, and views or copies made with subarray/slice/map/filter.
 */
function countTypedArrays(body: () => void): number {
  let count = 0;
  const names = ['Float32Array', 'Float64Array', 'Uint32Array', 'Int32Array', 'Uint8Array', 'Uint16Array'] as const;
  const originals = names.map((name) => globalThis[name]);
  const prototype = Object.getPrototypeOf(Float32Array.prototype) as Record<string, (...args: unknown[]) => unknown>;
  const methods = ['subarray', 'slice', 'map', 'filter'];
  const originalMethods = methods.map((m) => prototype[m]);
  names.forEach((name, i) => {
    (globalThis as Record<string, unknown>)[name] = new Proxy(originals[i], {
      construct(target, args) {
        count++;
        return Reflect.construct(target, args);
      },
    });
  });
  methods.forEach((m, i) => {
    prototype[m] = function (this: unknown, ...args: unknown[]) {
      count++;
      return originalMethods[i].apply(this, args);
    };
  });
  try {
    body();
  } finally {
    names.forEach((name, i) => ((globalThis as Record<string, unknown>)[name] = originals[i]));
    methods.forEach((m, i) => (prototype[m] = originalMethods[i]));
  }
  return count;
}

afterEach(() => expect(globalThis.Float32Array.name).toBe('Float32Array'));

describe('a training step', () => {
  for (const name of optimizerNames) {
    it(`allocates no typed arrays after the first (${name}, with dropout, clipping and a schedule)`, () => {
      const layers = [{ linear: { out_features: 16, bias: true } }, 'tanh', { dropout: { p: 0.2 } }, { linear: { out_features: 3, bias: true } }];
      const model = new Model(planModel(layers, [2]), 32, 0);
      const options = optimizerSchema.parse({ name, ...(name === 'sgd' || name === 'rmsprop' ? { momentum: 0.9 } : {}) }) as OptimizerConfig;
      const optimizer = createOptimizer(options, model.values, { clip_grad_norm: 0.5, clip_grad_value: 1 });
      const schedule = createSchedule(scheduleSchema.parse({ name: 'cosine_annealing_lr', t_max: 10 }), optimizer.hyper, 3);
      const data = syntheticDataset({ task: 'spirals', classes: 3, noise: 0.1, n_train: 96, n_test: 10, resample: false }, 0);
      const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, accuracyRule(data.targets, 'index', 0));
      const order = Uint32Array.from({ length: 96 }, (_, i) => i);
      schedule.apply(0, optimizer.hyper);
      step.run(data.train, order, 0, 32);
      const allocations = countTypedArrays(() => {
        for (let s = 1; s < 3; s++) {
          schedule.apply(s, optimizer.hyper);
          step.run(data.train, order, 32 * s, 32);
        }
      });
      expect(allocations).toBe(0);
      expect(countTypedArrays(() => new Float32Array(3).subarray(1))).toBe(2); // the counter itself works
    });
  }
});
