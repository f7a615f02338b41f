/**
 * A checkpoint's optimizer state is PyTorch's (issue 19): optimizer.json is torch's
 * optimizer.state_dict() with each tensor replaced by its name in optimizer.safetensors. After
 * README's snippet builds torch.optim.<Optimizer> and calls load_state_dict from those files, one
 * more torch step with a given gradient equals one more adam-lab step (≤ 1e-6 relative), for Adam,
 * AdamW, SGD with momentum and RMSprop. That part needs /usr/bin/python3 with torch and is
 * skipped without it; the layout and restore checks run everywhere (test/reliability/checkpoint-resume.test.ts
 * shows a resumed run equal to an uninterrupted one).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { Rng } from '../../src/core/rng.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';
import { buildTraining, tensorViews, type Training } from '../../src/train/build.js';
import { readCheckpoint, restoreCheckpoint } from '../../src/train/checkpoint.js';
import { runExperiment } from '../../src/train/experiment.js';
import { tempDir, writeConfig } from '../cli/run-cli.js';

const PYTHON = '/usr/bin/python3';
const HAS_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const OPTIMIZERS = [
  { name: 'adam', torch: 'Adam', options: 'lr: 0.01' },
  { name: 'adamw', torch: 'AdamW', options: 'lr: 0.01, weight_decay: 0.05' },
  { name: 'sgd', torch: 'SGD', options: 'lr: 0.05, momentum: 0.9' },
  { name: 'rmsprop', torch: 'RMSprop', options: 'lr: 0.01, momentum: 0.5' },
] as const;

/** Runs 10 steps with a checkpoint at step 10; returns the run folder and the config it ran. */
async function checkpointedRun(options: string): Promise<{ runDir: string; config: ReturnType<typeof resolveConfig>; file: string }> {
  const file = writeConfig(`name: interop
seed: 5
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 16}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: {name: ${options}}
train: {max_steps: 10, checkpoint_every: 10}
`);
  const config = resolveConfig(readConfigSource(file), []);
  const result = await runExperiment(config, { configFile: file, outRoot: join(tempDir(), 'runs') });
  return { runDir: result.runDir, config, file };
}

/** A fresh run built from the config with the checkpoint put back in. */
function restored(run: Awaited<ReturnType<typeof checkpointedRun>>): Training {
  const training = buildTraining(run.config, run.file);
  const { folder, state } = readCheckpoint(run.runDir, run.config, run.file);
  restoreCheckpoint(training, folder, state);
  return training;
}

/** A gradient for one more step, the same on both sides. */
function gradient(length: number): Float32Array {
  const rng = new Rng(11, 'init');
  return Float32Array.from({ length }, () => rng.normal() * 0.1);
}

/** README's snippet (with a stand-in for safetensors.torch.load_file where the package is missing), then one step. */
const TORCH_STEP = `
import json, sys, torch
try:
    from safetensors.torch import load_file
except ImportError:  # Debian's python3-torch comes without safetensors: a length, a JSON header, raw float32
    def load_file(path):
        raw = open(path, "rb").read(); n = int.from_bytes(raw[:8], "little"); header = json.loads(raw[8:8 + n])
        return {k: torch.frombuffer(bytearray(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]), dtype=torch.float32).reshape(v["shape"]) for k, v in header.items() if k != "__metadata__"}
ckpt, Optimizer, grad_file = sys.argv[1], getattr(torch.optim, sys.argv[2]), sys.argv[3]

model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
model.load_state_dict(load_file(f"{ckpt}/model.safetensors"))
saved, tensors = json.load(open(f"{ckpt}/optimizer.json")), load_file(f"{ckpt}/optimizer.safetensors")
optimizer = Optimizer(model.parameters(), lr=saved["param_groups"][0]["lr"])  # the groups' options come with load_state_dict
state = {int(i): {k: tensors[v] if isinstance(v, str) else torch.tensor(float(v)) for k, v in s.items()} for i, s in saved["state"].items()}
optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})

grads = load_file(grad_file)
for name, p in model.named_parameters():
    p.grad = grads[name].clone()
optimizer.step()
print(json.dumps({name: p.detach().flatten().tolist() for name, p in model.named_parameters()}))
`;

describe('checkpoint files in torch layout', () => {
  it('optimizer.json is a torch state_dict whose tensors optimizer.safetensors holds, per parameter tensor', async () => {
    const run = await checkpointedRun('adam, lr: 0.01');
    const folder = join(run.runDir, 'checkpoint');
    const saved = JSON.parse(readFileSync(join(folder, 'optimizer.json'), 'utf8')) as { step: number; state: Record<string, Record<string, string | number>>; param_groups: Record<string, unknown>[] };
    const tensors = new Map(decodeSafetensors(readFileSync(join(folder, 'optimizer.safetensors')), 'optimizer.safetensors').map((t) => [t.name, t]));
    const names = ['0.weight', '0.bias', '2.weight', '2.bias'];
    expect(saved.step).toBe(10);
    expect(saved.param_groups).toEqual([{ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, decoupled_weight_decay: false, params: [0, 1, 2, 3] }]);
    expect(Object.keys(saved.state)).toEqual(['0', '1', '2', '3']);
    const model = new Map(decodeSafetensors(readFileSync(join(folder, 'model.safetensors')), 'model.safetensors').map((t) => [t.name, t]));
    names.forEach((name, i) => {
      expect(saved.state[String(i)]).toEqual({ step: 10, exp_avg: `${name}.exp_avg`, exp_avg_sq: `${name}.exp_avg_sq` });
      expect(tensors.get(`${name}.exp_avg`)?.shape).toEqual(model.get(name)?.shape);
    });
    expect([...tensors.keys()].sort()).toEqual(names.flatMap((n) => [`${n}.exp_avg`, `${n}.exp_avg_sq`]).sort());
  });

  it.each(OPTIMIZERS)('$name: restoring puts back the final weights, the step count and every state array', async ({ name, options }) => {
    const run = await checkpointedRun(`${name}, ${options}`);
    const training = restored(run);
    expect(training.optimizer.step).toBe(10);
    // The checkpoint is at the run's last step, so its weights are the run's final ones.
    const final = new Map(decodeSafetensors(readFileSync(join(run.runDir, 'model.safetensors')), 'model.safetensors').map((t) => [t.name, t]));
    const saved = new Map(decodeSafetensors(readFileSync(join(run.runDir, 'checkpoint', 'optimizer.safetensors')), 'optimizer.safetensors').map((t) => [t.name, t]));
    for (const view of tensorViews(training.model)) {
      expect(Array.from(training.model.values.subarray(view.offset, view.offset + view.length))).toEqual(Array.from(final.get(view.name)!.data));
      const state = training.optimizer.tensorState(view);
      expect(state.size).toBeGreaterThan(0);
      for (const [stateName, values] of state) expect(Array.from(values)).toEqual(Array.from(saved.get(`${view.name}.${stateName}`)!.data));
    }
  });
});

describe.skipIf(!HAS_TORCH)('the checkpoint loads into torch.optim (needs /usr/bin/python3 with torch)', () => {
  it.each(OPTIMIZERS)('$torch: one more torch step equals one more adam-lab step (≤ 1e-6 relative)', async ({ name, torch, options }) => {
    const run = await checkpointedRun(`${name}, ${options}`);
    const training = restored(run);
    const views = tensorViews(training.model);
    const g = gradient(training.model.values.length);
    const gradFile = join(tempDir(), 'grad.safetensors');
    writeFileSync(gradFile, encodeSafetensors(views.map((v) => ({ name: v.name, shape: v.shape, data: g.subarray(v.offset, v.offset + v.length) }))));
    training.optimizer.apply(Float32Array.from(g));
    const stepped = spawnSync(PYTHON, ['-', join(run.runDir, 'checkpoint'), torch, gradFile], { input: TORCH_STEP, encoding: 'utf8' });
    expect(stepped.status, stepped.stderr).toBe(0);
    const after = JSON.parse(stepped.stdout) as Record<string, number[]>;
    let worst = 0;
    for (const view of views) {
      const ours = training.model.values.subarray(view.offset, view.offset + view.length);
      const scale = Math.max(...after[view.name].map(Math.abs));
      after[view.name].forEach((theirs, i) => {
        worst = Math.max(worst, Math.abs(ours[i] - theirs) / scale);
      });
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});
