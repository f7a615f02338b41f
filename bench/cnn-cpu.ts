/**
 * CPU time per training step of the benchmark's MNIST CNN (cnn:<c1>-<c2>, batch 64, Adam) on
 * this process's kernel path: the training loop's own step (TrainStep) on 640 random images,
 * best of 8 chunks of 40 steps after one warm-up chunk. CPU time rather than wall-clock time,
 * so that waiting for a core on a busy machine is not counted (cache contention still is).
 *
 *   node dist/bench/cnn-cpu.js 8 16                       (W3)
 *   ADAM_LAB_KERNEL=blas node dist/bench/cnn-cpu.js 32 64 (the 32/64 scaling row, blas path)
 */
import { loadavg } from 'node:os';
import { optimizerSchema } from '../src/config/schema.js';
import { Rng } from '../src/core/rng.js';
import { Split } from '../src/data/dataset.js';
import type { LayerConfig } from '../src/engine/layers/registry.js';
import { lossKinds } from '../src/engine/losses/registry.js';
import { Model, planModel } from '../src/engine/model.js';
import { kernelChoice } from '../src/kernels/choice.js';
import { createOptimizer, type OptimizerConfig } from '../src/optim/registry.js';
import { TrainStep } from '../src/train/step.js';

const [c1, c2] = process.argv.slice(2).map(Number);
const BATCH = 64;
const IMAGES = 640;
const conv = (channels: number): LayerConfig => ({ conv2d: { out_channels: channels, kernel_size: 3, stride: 1, padding: 1, dilation: 1, groups: 1, bias: true } });
const pool: LayerConfig = { maxpool2d: { kernel_size: 2, padding: 0, stride: 2 } };
const layers = [conv(c1), 'relu', pool, conv(c2), 'relu', pool, 'flatten', { linear: { out_features: 10, bias: true } }] as LayerConfig[];
const model = new Model(planModel(layers, [1, 28, 28]), BATCH, 0);
const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as OptimizerConfig, model.values);
const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, null);
const rng = new Rng(0, 'data');
const features = Float32Array.from({ length: IMAGES * 784 }, () => rng.uniform());
const targets = Float32Array.from({ length: IMAGES }, () => rng.below(10));
const images = new Split(IMAGES, features, [1, 28, 28], targets, 10, null);
const order = Uint32Array.from({ length: IMAGES }, (_, i) => i);
let best = Infinity;
for (let chunk = 0; chunk < 9; chunk++) {
  const start = process.cpuUsage();
  for (let s = 0; s < 40; s++) step.run(images, order, (s % (IMAGES / BATCH)) * BATCH, BATCH);
  const used = process.cpuUsage(start);
  if (chunk > 0) best = Math.min(best, (used.user + used.system) / 40);
}
console.log(`cnn:${c1}-${c2} on ${kernelChoice().path}: ${best.toFixed(0)} CPU µs a step (load average ${loadavg()[0].toFixed(2)})`);
