import { afterEach, describe, expect, it } from 'vitest';
import { layerSchema, optimizerSchema, scheduleSchema } from '../../src/config/schema.js';
import { Split } from '../../src/data/dataset.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import { createSchedule, type ScheduleConfig } from '../../src/optim/schedules.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { accuracyRule } from '../../src/train/metrics.js';
import { TrainStep } from '../../src/train/step.js';
import { tensorViews } from '../../src/train/build.js';
import { countTypedArrays } from '../count-allocations.js';

afterEach(() => expect(globalThis.Float32Array.name).toBe('Float32Array'));

describe('a training step', () => {
  for (const name of optimizerNames) {
    it(`allocates no typed arrays after the first (${name}, with dropout, clipping and a schedule)`, () => {
      const layers: LayerConfig[] = [{ linear: { out_features: 16, bias: true } }, 'tanh', { dropout: { p: 0.2 } }, { linear: { out_features: 3, bias: true } }];
      const model = new Model(planModel(layers, [2]), 32, 0);
      // Muon steps the weight matrices; its AdamW group the biases.
      const extra = name === 'sgd' || name === 'rmsprop' ? { momentum: 0.9 } : name === 'muon' ? { param_groups: [{ params: ['*.bias'], optimizer: 'adamw' }] } : {};
      const options = optimizerSchema.parse({ name, ...extra }) as OptimizerConfig;
      const optimizer = createOptimizer(options, model.values, { clip_grad_norm: 0.5, clip_grad_value: 1 }, tensorViews(model));
      const schedule = createSchedule(scheduleSchema.parse({ name: 'cosine_annealing_lr', t_max: 10 }) as ScheduleConfig, optimizer.hypers, 3);
      const data = syntheticDataset({ task: 'spirals', classes: 3, noise: 0.1, n_train: 96, n_test: 10, resample: false }, 0);
      const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, accuracyRule(data.targets, 'index', 0));
      const order = Uint32Array.from({ length: 96 }, (_, i) => i);
      schedule.apply(0, optimizer.hypers);
      step.run(data.train, order, 0, 32);
      const allocations = countTypedArrays(() => {
        for (let s = 1; s < 3; s++) {
          schedule.apply(s, optimizer.hypers);
          step.run(data.train, order, 32 * s, 32);
        }
      });
      expect(allocations).toBe(0);
      expect(countTypedArrays(() => new Float32Array(3).subarray(1))).toBe(2); // the counter itself works
    });
  }
});

describe('a CNN training step', () => {
  for (const augment of [false, true]) {
    it(`allocates no typed arrays after the first (conv, batch norm, both pools, dropout2d, global pool${augment ? ', augmented images' : ''})`, () => {
      const layers = [
        { conv2d: { out_channels: 4, kernel_size: 3, padding: 1, stride: 2 } },
        'batchnorm2d',
        'relu',
        { maxpool2d: 2 },
        { conv2d: { out_channels: 6, kernel_size: 3, padding: 1 } },
        'relu',
        { avgpool2d: { kernel_size: 2, stride: 1 } },
        { dropout2d: 0.2 },
        'global_avg_pool',
        'flatten',
        { linear: 10 },
      ].map((layer) => layerSchema.parse(layer) as LayerConfig);
      const model = new Model(planModel(layers, [3, 12, 12]), 16, 0);
      const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam' }) as OptimizerConfig, model.values, { clip_grad_norm: 1 });
      const samples = 64;
      const pixels = Uint8Array.from({ length: samples * 3 * 12 * 12 }, (_, i) => (i * 37) % 256);
      const labels = Float32Array.from({ length: samples }, (_, i) => i % 10);
      const augmentation = augment ? { randomCrop: 2, horizontalFlip: true, rng: new Rng(0, 'augment') } : null;
      const images = new Split(samples, pixels, [3, 12, 12], labels, 1, { channels: 3, scale: new Float64Array(3).fill(1 / 255), shift: new Float64Array(3) }, augmentation);
      const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, { kind: 'argmax' });
      const order = Uint32Array.from({ length: samples }, (_, i) => i);
      step.run(images, order, 0, 16);
      expect(countTypedArrays(() => [1, 2, 3].forEach((s) => step.run(images, order, 16 * s, 16)))).toBe(0);
      expect(countTypedArrays(() => model.forward(16, 'eval'))).toBe(0);
    });
  }
});
