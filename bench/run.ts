/**
 * `npm run bench`: training speed of adam-lab's engine on fixed workloads, next to peers
 * measured in the same run (PyTorch via /usr/bin/python3 when `import torch` works there).
 * Not a test: it prints a table and writes bench/results.md. `--quick` for a smoke run.
 *
 *   W0  seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh batch of 100 random points per step
 *   W1  MNIST MLP: 784→128→10 ReLU, cross entropy, Adam 1e-3, batch 64, one shuffled epoch
 *
 * Timed loop = gather batch + forward + backward + optimizer step, float32, data in memory.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { optimizerSchema } from '../src/config/schema.js';
import type { Split } from '../src/data/dataset.js';
import { bundledMnistFolder, loadMnistLike } from '../src/data/mnist.js';
import { syntheticDataset } from '../src/data/synthetic.js';
import type { LayerConfig } from '../src/engine/layers/index.js';
import { lossKinds, type LossName } from '../src/engine/losses/index.js';
import { Model, planModel } from '../src/engine/model.js';
import { Rng } from '../src/engine/rng.js';
import { createOptimizer } from '../src/optim/registry.js';
import { KERNEL } from '../src/train/experiment.js';
import { TrainStep } from '../src/train/step.js';

const quick = process.argv.includes('--quick');

function trainer(layers: LayerConfig[], inputShape: number[], loss: LossName, batch: number, encoding: 'index' | 'value'): TrainStep {
  const model = new Model(planModel(layers, inputShape), batch, 0);
  const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as never, model.values);
  return new TrainStep(model, optimizer, lossKinds[loss], encoding, 1, null);
}

function benchSeedToy(steps: number): number {
  const step = trainer([{ linear: { out_features: 4, bias: true } }, 'relu', { linear: { out_features: 1, bias: true } }, 'sigmoid'], [2], 'bce', 100, 'value');
  const data = syntheticDataset({ task: 'uniform', features: 2, targets: 1, n_train: 100, n_test: 1, resample: true }, 0);
  const order = Uint32Array.from({ length: 100 }, (_, i) => i);
  const run = (n: number, from: number): void => {
    for (let i = 0; i < n; i++) {
      data.beginEpoch(from + i);
      step.run(data.train, order, 0, 100);
    }
  };
  run(200, 2);
  const start = performance.now();
  run(steps, 202);
  return ((performance.now() - start) * 1000) / steps;
}

function benchMnistMlp(train: Split): number {
  const step = trainer([{ linear: { out_features: 128, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }], [1, 28, 28], 'cross_entropy', 64, 'index');
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  new Rng(0, 'shuffle').shuffle(order);
  const start = performance.now();
  for (let s = 0; s < train.size; s += 64) step.run(train, order, s, Math.min(64, train.size - s));
  return train.size / ((performance.now() - start) / 1000);
}

interface PeerResult {
  readonly label: string;
  readonly w0: number;
  readonly w1: number;
}

function torchPeers(folder: string): PeerResult[] | string {
  const results: PeerResult[] = [];
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'PyTorch skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)';
  }
  for (const threads of [1, 2]) {
    const args = ['bench/peers/torch_peer.py', folder, String(threads), ...(quick ? ['--quick'] : [])];
    const out = JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8' })) as { torch: string; w0_us_per_step: number; w1_samples_per_s: number };
    results.push({ label: `PyTorch ${out.torch} (${threads} thread${threads > 1 ? 's' : ''})`, w0: out.w0_us_per_step, w1: out.w1_samples_per_s });
  }
  return results;
}

const folder = bundledMnistFolder();
const train = loadMnistLike('mnist', folder, { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) }).train.limit(quick ? 6000 : 60000);
const ours: PeerResult = { label: `adam-lab (${KERNEL} kernels)`, w0: benchSeedToy(quick ? 2000 : 20000), w1: benchMnistMlp(train) };
const peers = torchPeers(folder);
const rows = [ours, ...(typeof peers === 'string' ? [] : peers)];
const table = [
  '| engine | W0 seed toy µs/step | W0 speed-up of adam-lab | W1 MNIST MLP samples/s | W1 ratio adam-lab / peer |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.w0.toFixed(1)} | ${(r.w0 / ours.w0).toFixed(2)}× | ${Math.round(r.w1)} | ${(ours.w1 / r.w1).toFixed(2)}× |`),
];
const notes = [
  `node ${process.version}, ${quick ? 'quick run (W1 on 6000 samples)' : 'full run'}, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  ...(typeof peers === 'string' ? [peers] : []),
];
const report = `${table.join('\n')}\n\n${notes.join('\n\n')}\n`;
process.stdout.write(report);
if (!quick) writeFileSync('bench/results.md', `# adam-lab benchmark (\`npm run bench\`)\n\n${report}`);
