/**
 * Batch shards (engine/batch-shards.ts): a step's batch cut into shards of rows, each through its
 * own replica of the layers, the gradients added in shard order.
 *
 *  - the cut: fixed by the batch and the shard count, shard 0 never empty, every row once;
 *  - threads decide no bit: with 2 shards, training on 1 thread and on 2 (a shard worker that
 *    is seen to take shards) gives the same losses and weights, for an MLP and a CNN, batches of
 *    a size the shards do not divide included;
 *  - the shard count decides bits only through the gradient's sums: the forward pass (train and
 *    eval) is bit-identical to an uncut one, and the gradient agrees with the uncut one within
 *    float32 rounding of the sums;
 *  - layers that mix samples or draw randomness are refused;
 *  - a sharded step allocates no typed arrays after the first.
 * The uncut model is the reference here; it is checked against PyTorch elsewhere (cnn-torch, torch-layers).
 */
import { describe, expect, it } from 'vitest';
import { layerSchema, optimizerSchema } from '../../src/config/schema.js';
import { Rng } from '../../src/core/rng.js';
import { Split } from '../../src/data/dataset.js';
import { ONE_SHARD, unshardableLayer, type ShardSetting } from '../../src/engine/batch-shards.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { largestShard, shardRows, shardStart } from '../../src/engine/shard-replica.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { TrainStep } from '../../src/train/step.js';
import { countTypedArrays } from '../count-allocations.js';

const layers = (list: unknown[]): LayerConfig[] => list.map((l) => layerSchema.parse(l) as LayerConfig);
const MLP = { layers: layers([{ linear: 32 }, 'relu', { linear: 16 }, 'tanh', { linear: 5 }]), shape: [12] };
const CNN = {
  layers: layers([{ conv2d: { out_channels: 4, kernel_size: 3, padding: 1 } }, 'relu', { maxpool2d: 2 }, { conv2d: { out_channels: 6, kernel_size: 3, padding: 1 } }, 'gelu', { avgpool2d: 2 }, 'flatten', { linear: 5 }]),
  shape: [1, 8, 8],
};
const SAMPLES = 70;
const BATCH = 24; // 70 = 2·24 + 22: the last batch is short, and 3 shards do not divide 22

function data(shape: readonly number[]): Split {
  const width = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(7, 'data');
  const features = Float32Array.from({ length: SAMPLES * width }, () => rng.uniform());
  const targets = Float32Array.from({ length: SAMPLES }, (_, i) => i % 5);
  return new Split(SAMPLES, features, shape, targets, 1, null);
}

function trainer(net: typeof MLP, setting: ShardSetting): { model: Model; step: TrainStep } {
  const model = new Model(planModel(net.layers, net.shape), BATCH, 3, setting);
  const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 0.01 }) as OptimizerConfig, model.values);
  return { model, step: new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, null) };
}

/** Runs forward passes until a shard worker has taken a shard (it starts in the background), so that the run below shares for certain. */
function untilWorkerShares(model: Model): void {
  const since = performance.now();
  while ((model.batchShards?.workerShards ?? 0) === 0 && performance.now() - since < 20_000) model.forward(BATCH, 'eval');
  expect(model.batchShards?.workerShards).toBeGreaterThan(0);
}

/** Two epochs over the data (three batches each, the last short): every loss, the weights, and an eval pass over a batch. */
function train(net: typeof MLP, setting: ShardSetting): { losses: number[]; weights: Float32Array; output: Float32Array; workerShards: number } {
  const { model, step } = trainer(net, setting);
  if (setting.threads > 1) untilWorkerShares(model);
  const split = data(net.shape);
  const order = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
  const losses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) for (let start = 0; start < SAMPLES; start += BATCH) losses.push(step.run(split, order, start, Math.min(BATCH, SAMPLES - start)));
  split.gather(order, 0, BATCH, model.input, step.targets, 'index', 1);
  const output = model.forward(BATCH, 'eval').slice(0, BATCH * 5);
  return { losses, weights: model.values.slice(), output, workerShards: model.batchShards?.workerShards ?? 0 };
}

describe('the cut of a batch into shards', () => {
  it('covers every row once, in order, in shards that differ by at most a row, shard 0 the largest', () => {
    for (const shards of [1, 2, 3, 4, 16]) {
      for (let batch = 1; batch <= 40; batch++) {
        let next = 0;
        for (let s = 0; s < shards; s++) {
          expect(shardStart(batch, shards, s)).toBe(next);
          next += shardRows(batch, shards, s);
          expect([Math.floor(batch / shards), largestShard(batch, shards)]).toContain(shardRows(batch, shards, s));
        }
        expect(next).toBe(batch);
        expect(shardRows(batch, shards, 0)).toBe(largestShard(batch, shards));
      }
    }
    expect([0, 1, 2].map((s) => shardRows(22, 3, s))).toEqual([8, 7, 7]);
  });
});

describe('batch shards', () => {
  for (const [name, net] of [['MLP', MLP], ['CNN', CNN]] as const) {
    it(`${name}: 2 shards train to the same bits on 1 thread and on 2`, () => {
      const one = train(net, { count: 2, threads: 1 });
      const two = train(net, { count: 2, threads: 2 });
      expect(two.workerShards).toBeGreaterThan(0);
      expect(one.workerShards).toBe(0);
      expect(two.losses).toEqual(one.losses);
      expect(Buffer.from(two.weights.buffer).equals(Buffer.from(one.weights.buffer))).toBe(true);
      expect(Buffer.from(two.output.buffer).equals(Buffer.from(one.output.buffer))).toBe(true);
    });

    it(`${name}: 3 shards on 2 threads (a worker and this thread claiming in turn) give the bits of 3 on 1`, () => {
      const one = train(net, { count: 3, threads: 1 });
      const two = train(net, { count: 3, threads: 2 });
      expect(two.losses).toEqual(one.losses);
      expect(Buffer.from(two.weights.buffer).equals(Buffer.from(one.weights.buffer))).toBe(true);
    });

    it(`${name}: shards leave forward bit-identical and the gradient within float32 rounding of the uncut one`, () => {
      const split = data(net.shape);
      const order = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
      const results = [ONE_SHARD, { count: 2, threads: 1 }, { count: 3, threads: 1 }].map((setting) => {
        const { model, step } = trainer(net, setting);
        split.gather(order, 0, 22, model.input, step.targets, 'index', 1);
        const evaluated = model.forward(22, 'eval').slice(0, 22 * 5);
        const out = model.forward(22, 'train');
        const loss = lossKinds.cross_entropy.loss.compute(out, step.targets, 22, 5, model.outputGrad);
        model.backward(22);
        return { evaluated, trained: out.slice(0, 22 * 5), loss, grads: model.grads.slice() };
      });
      const [uncut, ...cut] = results;
      const scale = Math.max(...uncut.grads.map(Math.abs));
      for (const r of cut) {
        expect(Buffer.from(r.evaluated.buffer).equals(Buffer.from(uncut.evaluated.buffer))).toBe(true);
        expect(Buffer.from(r.trained.buffer).equals(Buffer.from(uncut.trained.buffer))).toBe(true);
        expect(r.loss).toBe(uncut.loss);
        let worst = 0;
        for (let i = 0; i < r.grads.length; i++) worst = Math.max(worst, Math.abs(r.grads[i] - uncut.grads[i]));
        // Partial sums of at most 22·64 terms, each rounded to float32 (2⁻²⁴ ≈ 6e-8 relative).
        expect(worst).toBeLessThan(1e-5 * scale);
      }
    });

    it(`${name}: a sharded step allocates no typed arrays after the first`, () => {
      const { model, step } = trainer(net, { count: 2, threads: 1 });
      const split = data(net.shape);
      const order = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
      step.run(split, order, 0, BATCH);
      expect(countTypedArrays(() => step.run(split, order, BATCH, BATCH))).toBe(0);
      expect(model.batchShards?.count).toBe(2);
    });
  }

  it('CNN: an evaluation batch larger than a training one goes forward in rounds, the bits of an uncut pass, on 1 thread and on 2', () => {
    const split = data(CNN.shape);
    const order = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
    const outputs = [ONE_SHARD, { count: 2, threads: 1, trainBatch: BATCH }, { count: 3, threads: 2, trainBatch: BATCH }].map((setting) => {
      const model = new Model(planModel(CNN.layers, CNN.shape), SAMPLES, 3, setting);
      if (setting.threads > 1) untilWorkerShares(model);
      split.gather(order, 0, SAMPLES, model.input, new Float32Array(SAMPLES), 'index', 1);
      return model.forward(SAMPLES, 'eval').slice();
    });
    for (const output of outputs.slice(1)) expect(Buffer.from(output.buffer).equals(Buffer.from(outputs[0].buffer))).toBe(true);
    const model = new Model(planModel(CNN.layers, CNN.shape), SAMPLES, 3, { count: 2, threads: 1, trainBatch: BATCH });
    expect(() => model.forward(BATCH + 1, 'train')).toThrow(/more than the 24 the shards were made for/);
  });

  it('a layer that mixes samples or draws randomness cannot be cut, nor a tied head', () => {
    const plan = (list: unknown[], shape: number[]): ReturnType<typeof planModel> => planModel(layers(list), shape);
    expect(unshardableLayer(plan([{ linear: 4 }, 'relu', { linear: 2 }], [3]))).toBeNull();
    expect(unshardableLayer(plan([{ linear: 4 }, { dropout: 0.5 }, { linear: 2 }], [3]))).toBe(1);
    expect(unshardableLayer(plan([{ linear: 4 }, 'batchnorm1d', { linear: 2 }], [3]))).toBe(1);
    expect(unshardableLayer(plan([{ embedding: { num_embeddings: 7, embedding_dim: 4 } }, { linear: { out_features: 7, tie_weight: 0 } }], [3]))).toBe(0);
    expect(() => new Model(plan([{ linear: 4 }, { dropout: 0.5 }], [3]), 4, 0, { count: 2, threads: 1 })).toThrow(/layer 1 cannot run on shards/);
  });
});
