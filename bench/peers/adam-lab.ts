/**
 * adam-lab's own side of `npm run bench`, run like the peers in a process of its own, so that
 * its thread count (ADAM_LAB_THREADS, fixed when the engine loads) and its peak RSS are its own.
 *
 * Usage: node dist/bench/peers/adam-lab.js <mnist folder> <samples> <repeats> <workload>... [--quick]
 * Workloads are named as in bench/workloads.ts, plus `gemm`. ADAM_LAB_THREADS and ADAM_LAB_SHARDS
 * (each batch cut into shards, engine/batch-shards.ts) apply. Prints one JSON object: {"kernel",
 * "note", "blas_core" (the library's core type on the blas path, else null), "threads", "shards", "results": {workload: figure}, "gemm_gflops": {"512", "1024"} or null,
 * "peak_rss_mb"}.
 *
 * The timed loop is the training loop's own step (src/train/step.ts): gather batch + forward +
 * loss + backward + gradient norm + optimizer step, float32, data in memory. The images stay
 * bytes, as a run keeps them, and every step gathers its shuffled batch's rows into the model's
 * input scaled to float32 [0, 1] (Split.gather, on its WebAssembly kernel). The toy draws
 * its fresh batch of 100 uniform points and targets straight into the model's input with the
 * engine's generator (PyTorch's side calls torch.rand). MNIST workloads report the best of
 * `repeats` shuffled epochs of the first `samples` images.
 */
import { optimizerSchema } from '../../src/config/schema.js';
import { Split } from '../../src/data/dataset.js';
import { loadMnistLike } from '../../src/data/mnist.js';
import { arenaOffset } from '../../src/kernels/arena.js';
import { blasLibrary, kernelChoice } from '../../src/kernels/choice.js';
import { createTeam, matmulABReference } from '../../src/kernels/matmul.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds, type LossName } from '../../src/engine/losses/registry.js';
import { chosenShards } from '../../src/engine/batch-shards.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { TrainStep } from '../../src/train/step.js';
import { peakRssMb } from '../common.js';
import { parseWorkload } from '../workloads.js';

const [folder, samplesArg, repeatsArg, ...rest] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const repeats = Number(repeatsArg);
const workloads = rest.filter((a) => !a.startsWith('--'));

function trainer(layers: readonly LayerConfig[], inputShape: number[], loss: LossName, batch: number, encoding: 'index' | 'value'): TrainStep {
  const model = new Model(planModel(layers, inputShape), batch, 0, chosenShards());
  const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as OptimizerConfig, model.values);
  return new TrainStep(model, optimizer, lossKinds[loss], encoding, 1, null);
}

/** W0: the seed toy on a fresh batch of 100 uniform points (and uniform targets) every step; µs per step. */
function seedToy(steps: number): number {
  const step = trainer([{ linear: { out_features: 4, bias: true } }, 'relu', { linear: { out_features: 1, bias: true } }, 'sigmoid'], [2], 'bce', 100, 'value');
  // A split whose rows are the batch itself, refilled in place before every step.
  const features = new Float32Array(200);
  const targets = new Float32Array(100);
  const batch = new Split(100, features, [2], targets, 1, null);
  const order = Uint32Array.from({ length: 100 }, (_, i) => i);
  const rng = new Rng(0, 'data');
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 200; j++) features[j] = rng.uniform();
      for (let j = 0; j < 100; j++) targets[j] = rng.uniform();
      step.run(batch, order, 0, 100);
    }
  };
  run(200);
  const start = performance.now();
  run(steps);
  return ((performance.now() - start) * 1000) / steps;
}

/** Best samples/s over `repeats` shuffled epochs of `layers` on MNIST. */
function mnist(train: Split, layers: readonly LayerConfig[], batch: number): number {
  const step = trainer(layers, [1, 28, 28], 'cross_entropy', batch, 'index');
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  const rng = new Rng(0, 'shuffle');
  let best = 0;
  for (let epoch = 0; epoch < repeats; epoch++) {
    rng.shuffle(order);
    const start = performance.now();
    for (let s = 0; s < train.size; s += batch) step.run(train, order, s, Math.min(batch, train.size - s));
    best = Math.max(best, train.size / ((performance.now() - start) / 1000));
  }
  return best;
}

function mlp(hidden: number[]): LayerConfig[] {
  const layers: LayerConfig[] = [];
  for (const width of hidden) layers.push({ linear: { out_features: width, bias: true } }, 'relu');
  layers.push({ linear: { out_features: 10, bias: true } });
  return layers;
}

/** configs/mnist-cnn-small.yaml's model with `c1`/`c2` channels (8/16 there). */
function cnn([c1, c2]: number[]): LayerConfig[] {
  const conv = (channels: number): LayerConfig => ({ conv2d: { out_channels: channels, kernel_size: 3, stride: 1, padding: 1, dilation: 1, groups: 1, bias: true } });
  const pool: LayerConfig = { maxpool2d: { kernel_size: 2, padding: 0, stride: 2 } };
  return [conv(c1), 'relu', pool, conv(c2), 'relu', pool, 'flatten', { linear: { out_features: 10, bias: true } }];
}

function figure(train: Split, name: string): number {
  const workload = parseWorkload(name);
  if (workload.kind === 'toy') return seedToy(quick ? 2000 : 20000);
  return mnist(train, workload.kind === 'mlp' ? mlp(workload.sizes) : cnn(workload.sizes), workload.batch);
}

/** C = A·B on n×n engine buffers on this process's kernel and thread count, best of several, GFLOP/s. */
function gemm(size: number): number {
  const a = allocFloat32(size * size);
  const b = allocFloat32(size * size);
  const c = allocFloat32(size * size);
  const rng = new Rng(0, 'data');
  for (let i = 0; i < a.length; i++) {
    a[i] = rng.uniform();
    b[i] = rng.uniform();
  }
  const { module, threads } = kernelChoice();
  const blas = blasLibrary();
  const team = module === null || blas !== null ? null : createTeam(module, threads);
  const product = (): void => {
    if (blas !== null) blas.sgemm(arenaOffset(c), size, arenaOffset(a), size, false, arenaOffset(b), size, false, size, size, size, 0);
    else if (team === null) matmulABReference(c, a, b, size, size, size);
    else team.run(arenaOffset(c), size, arenaOffset(a), size, false, arenaOffset(b), size, false, size, size, size, -1);
  };
  product(); // starts the workers and lets the engine optimize the kernel
  let best = Infinity;
  for (let r = 0; r < (team === null && blas === null ? 1 : 10); r++) {
    const start = performance.now();
    product();
    best = Math.min(best, performance.now() - start);
  }
  return (2 * size ** 3) / (best / 1000) / 1e9;
}

const scale = Float64Array.of(1 / 255);
const train = loadMnistLike('mnist', folder, { channels: 1, scale, shift: Float64Array.of(0) }).train.limit(Number(samplesArg));
const result = {
  kernel: kernelChoice().path,
  note: kernelChoice().note,
  blas_core: kernelChoice().blas?.core ?? null,
  threads: kernelChoice().threads,
  shards: kernelChoice().shards,
  results: Object.fromEntries(workloads.filter((w) => w !== 'gemm').map((w) => [w, figure(train, w)])),
  gemm_gflops: workloads.includes('gemm') ? { 512: gemm(512), 1024: gemm(1024) } : null,
  peak_rss_mb: peakRssMb(),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
