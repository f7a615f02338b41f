/**
 * Two parts of the training step that issue 23 asked to fuse away (bench/NOTES.md, "The batch's
 * uint8 → float32 scaling" and "The gradient norm's pass"). Not a test, and not part of
 * `npm run bench`:
 *
 *   npm run build && ADAM_LAB_THREADS=1 node dist/bench/step-parts.js
 *
 * On W1 (MNIST MLP 784-128-10, batch 64) and W2 (784-256-256-10, batch 128) with Adam, on real
 * MNIST batches: the whole step (TrainStep.run); the gather of a batch by Split.gather's own loop
 * (into an ordinary array) and on its kernel (into the model's input); and the gradient-norm pass
 * (Optimizer.gradNorm) and Adam's step (Optimizer.apply), each after restoring the same gradients,
 * beside the restoring alone. Each is timed in rounds that alternate the variants, best round
 * kept; CPU microseconds per call (on a shared machine, waiting for a core is not counted). The
 * load average is printed with the figures.
 */
import { loadavg } from 'node:os';
import { optimizerSchema } from '../src/config/schema.js';
import { Rng } from '../src/core/rng.js';
import { bundledMnistFolder, loadMnistLike } from '../src/data/mnist.js';
import type { LayerConfig } from '../src/engine/layers/registry.js';
import { lossKinds } from '../src/engine/losses/registry.js';
import { Model, planModel } from '../src/engine/model.js';
import { createOptimizer, type OptimizerConfig } from '../src/optim/registry.js';
import { TrainStep } from '../src/train/step.js';

const ROUNDS = 7;
const CALLS = 300;
const train = loadMnistLike('mnist', bundledMnistFolder(), { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) }).train;
const order = Uint32Array.from({ length: train.size }, (_, i) => i);
new Rng(0, 'shuffle').shuffle(order);

/** This process's CPU time in µs: on a shared machine, waiting for a core is not counted. */
function cpu(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Best CPU µs per call of each variant over ROUNDS rounds, the variants alternating within a round. */
function best(variants: Record<string, (call: number) => void>): Record<string, number> {
  const result: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, Infinity]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const start = cpu();
      for (let call = 0; call < CALLS; call++) run(call);
      result[name] = Math.min(result[name], (cpu() - start) / CALLS);
    }
  }
  return result;
}

function workload(name: string, hidden: number[], batch: number): void {
  const layers: LayerConfig[] = hidden.flatMap((width): LayerConfig[] => [{ linear: { out_features: width, bias: true } }, 'relu']);
  layers.push({ linear: { out_features: 10, bias: true } });
  const model = new Model(planModel(layers, [1, 28, 28]), batch, 0);
  const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as OptimizerConfig, model.values);
  const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, null);
  const batches = Math.floor(train.size / batch);
  const plainInput = new Float32Array(batch * train.featureSize);
  const targets = new Float32Array(batch);
  // Gradients of a real step, restored before each optimizer call so that every call sees the same.
  step.run(train, order, 0, batch);
  const grads = Float32Array.from(model.grads);
  const restore = (): void => model.grads.set(grads);
  const timings = {
    ...best({ step: (c) => step.run(train, order, (c % batches) * batch, batch) }),
    ...best({
      'gather, own loop': (c) => train.gather(order, (c % batches) * batch, batch, plainInput, targets, 'index', 1),
      'gather, kernel': (c) => train.gather(order, (c % batches) * batch, batch, model.input, targets, 'index', 1),
    }),
    ...best({
      'restore grads only': restore,
      'norm pass': () => {
        restore();
        optimizer.gradNorm(model.grads);
      },
      apply: () => {
        restore();
        optimizer.apply(model.grads);
      },
    }),
  };
  const cells = Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`);
  process.stdout.write(`${name} (${model.values.length} parameters, batch ${batch}), CPU µs per call: ${cells.join(', ')}\n`);
}

process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
workload('W1', [128], 64);
workload('W2', [256, 256], 128);
