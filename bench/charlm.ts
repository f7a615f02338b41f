/**
 * Tokens per second of training configs/charlm-transformer.yaml (4 blocks, 128 wide, context 64,
 * batch 32, AdamW): adam-lab's training step (train/step.ts, as the loop runs it) against the same
 * model in PyTorch (bench/charlm_torch.py) with 1 and 2 threads, in one run so that both see the
 * same machine load. A measurement, not a test.
 *
 *     npm run build && node dist/bench/charlm.js [steps]
 */
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../src/config/load.js';
import type { ExperimentConfig } from '../src/config/schema.js';
import { buildTraining } from '../src/train/build.js';
import { TrainStep } from '../src/train/step.js';
import { textFile } from '../src/data/registry.js';
import { kernelChoice } from '../src/kernels/choice.js';
import { bundledMnistFolder } from '../src/data/mnist.js';
import { describe, torchEnv, torchSetup, type TorchSetup } from './torch.js';

const CONFIG = 'configs/charlm-transformer.yaml';

function adamLab(config: ExperimentConfig, steps: number): number {
  const t = buildTraining(config, CONFIG);
  const step = new TrainStep(t.model, t.optimizer, t.lossKind, t.targets.encoding, t.targets.width, t.accuracy);
  const { batch_size: batch } = config.data!;
  const order = Uint32Array.from({ length: t.dataset.train.size }, (_, i) => i);
  t.dataset.beginEpoch(1);
  for (let s = 0; s < 3; s++) step.run(t.dataset.train, order, s * batch, batch);
  const began = performance.now();
  for (let s = 0; s < steps; s++) step.run(t.dataset.train, order, (s + 3) * batch, batch);
  const seconds = (performance.now() - began) / 1000;
  return (steps * batch * t.dataset.inputShape[0]) / seconds;
}

/** PyTorch in the configuration npm run bench gives it (bench/torch.ts): malloc tunables, OpenBLAS's detected kernels. */
function torch(setup: TorchSetup, threads: number, steps: number, text: string): number {
  const out = execFileSync('/usr/bin/python3', ['bench/charlm_torch.py', String(threads), String(steps), text], {
    encoding: 'utf8',
    env: torchEnv(setup, { kernel: 'detected', ompThreads: threads, blasThreads: threads }),
  });
  return (JSON.parse(out) as { tokens_per_second: number }).tokens_per_second;
}

const steps = Number(process.argv[2] ?? 10);
const config = loadConfig(CONFIG);
const text = config.data?.dataset === 'text' ? textFile(config.data, CONFIG) : '';
const setup = torchSetup(bundledMnistFolder());
if (setup === null) throw new Error('PyTorch is needed: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');
const ours = adamLab(config, steps);
const peers = [1, 2].map((threads) => ({ threads, tokens: torch(setup, threads, steps, text) }));
const best = Math.max(...peers.map((p) => p.tokens));
console.log(`charlm-transformer, ${steps} steps of 32×64 tokens (kernel ${kernelChoice().path}, ${kernelChoice().threads} thread(s))`);
console.log(`adam-lab        ${ours.toFixed(0)} tokens/s`);
for (const p of peers) console.log(`torch ${p.threads} thread(s) ${p.tokens.toFixed(0)} tokens/s (${describe({ kernel: 'detected', ompThreads: p.threads, blasThreads: p.threads }, setup.detectedCore)}, malloc tunables)`);
console.log(`ratio to the best torch: ${(ours / best).toFixed(2)}×`);
