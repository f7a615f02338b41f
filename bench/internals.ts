/**
 * The cost of the optimizer internals (train.internals: {every: K}; issue 18 asks under 10 % at
 * K = 10 on the MNIST MLP). Not a test, and not part of `npm run bench`:
 *
 *   npm run build && node dist/bench/internals.js [--quick] [--every K]
 *
 * W1 of bench/run.ts — MNIST MLP 784→128→10 ReLU, cross entropy, Adam 1e-3, batch 64, one
 * shuffled epoch of 60000 samples (6000 with --quick) — timed through the training loop's own
 * step (src/train/step.ts) without internals and with the recorder the loop installs, whose rows
 * are written to an internals.csv in a temporary folder after each epoch, as a run writes them.
 * The two are timed in alternation, 5 epochs each (2 with --quick), and each reports its best
 * epoch, so that other work on a shared machine slows both alike; the overhead is best with over
 * best without, in CPU time (the verdict's) and in wall-clock time. Prints one table and the verdict.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { optimizerSchema } from '../src/config/schema.js';
import type { Split } from '../src/data/dataset.js';
import { bundledMnistFolder, loadMnistLike } from '../src/data/mnist.js';
import type { LayerConfig } from '../src/engine/layers/registry.js';
import { lossKinds } from '../src/engine/losses/registry.js';
import { Model, planModel } from '../src/engine/model.js';
import { Rng } from '../src/core/rng.js';
import { createOptimizer, type OptimizerConfig } from '../src/optim/registry.js';
import { RunWriter } from '../src/runs/run-writer.js';
import { tensorViews } from '../src/train/build.js';
import { InternalsRecorder } from '../src/train/internals.js';
import { TrainStep } from '../src/train/step.js';
import { machineLine, verdict } from './common.js';

const quick = process.argv.includes('--quick');
const everyAt = process.argv.indexOf('--every');
const every = everyAt < 0 ? 10 : Number(process.argv[everyAt + 1]);
const epochs = quick ? 2 : 5;
const BATCH = 64;
const GOAL = 0.1;
const LAYERS: LayerConfig[] = [{ linear: { out_features: 128, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }];

/** One training setup: the step, and the recorder and writer when internals are on. */
function setup(withInternals: boolean, dir: string): { step: TrainStep; flush: () => void } {
  const model = new Model(planModel(LAYERS, [1, 28, 28]), BATCH, 0);
  const config = optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as OptimizerConfig;
  const optimizer = createOptimizer(config, model.values, {}, tensorViews(model));
  const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, null);
  if (!withInternals) return { step, flush: () => {} };
  const recorder = new InternalsRecorder(every, config, optimizer, model);
  step.observer = recorder;
  const writer = new RunWriter(dir);
  return { step, flush: () => writer.appendInternals(config.name, recorder.take()) };
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall-clock and CPU seconds (this process, all its threads) for one shuffled epoch. */
function epoch(train: Split, run: { step: TrainStep; flush: () => void }, rng: Rng, order: Uint32Array): Timing {
  rng.shuffle(order);
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let s = 0; s < train.size; s += BATCH) run.step.run(train, order, s, Math.min(BATCH, train.size - s));
  run.flush();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const best = (a: Timing, b: Timing): Timing => ({ wall: Math.min(a.wall, b.wall), cpu: Math.min(a.cpu, b.cpu) });

const loadBefore = loadavg()[0];
const scale = Float64Array.of(1 / 255);
const train = loadMnistLike('mnist', bundledMnistFolder(), { channels: 1, scale, shift: Float64Array.of(0) }).train.limit(quick ? 6000 : 60000);
const dir = mkdtempSync(join(tmpdir(), 'adam-lab-internals-'));
try {
  const off = setup(false, dir);
  const on = setup(true, dir);
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  const rng = new Rng(0, 'shuffle');
  epoch(train, off, rng, order); // warm-up: kernels compiled, buffers touched
  epoch(train, on, rng, order);
  let bestOff: Timing = { wall: Infinity, cpu: Infinity };
  let bestOn: Timing = { wall: Infinity, cpu: Infinity };
  for (let e = 0; e < epochs; e++) {
    bestOff = best(bestOff, epoch(train, off, rng, order));
    bestOn = best(bestOn, epoch(train, on, rng, order));
  }
  const percent = (on: number, off: number): string => `${((on / off - 1) * 100).toFixed(1)} %`;
  const rate = (t: Timing): string => `${Math.round(train.size / t.wall)} samples/s wall, ${Math.round(train.size / t.cpu)} per CPU-second`;
  // CPU time is the steadier figure on a shared machine: waiting for a core is not counted.
  const overhead = bestOn.cpu / bestOff.cpu - 1;
  process.stdout.write(
    [
      `internals overhead, MNIST MLP 784→128→10, Adam, batch ${BATCH}, ${train.size} samples an epoch, best of ${epochs} epochs each`,
      `  without internals  ${rate(bestOff)}`,
      `  every: ${every.toString().padEnd(10)} ${rate(bestOn)}`,
      `  overhead           ${percent(bestOn.cpu, bestOff.cpu)} CPU time, ${percent(bestOn.wall, bestOff.wall)} wall clock${every === 10 ? ` (goal: under ${GOAL * 100} %, ${verdict(overhead < GOAL)})` : ''}`,
      `  ${machineLine(loadBefore)}`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
