/**
 * Resuming runs whose optimizer keeps state beyond torch.optim's classic moments (the evaluation
 * point's z and averages, Lookahead's slow weights, ASGD's η and μ, Rprop's step sizes): a run
 * interrupted at its first evaluation (step 10, mid-epoch) and resumed with --resume ends with the
 * files of the uninterrupted run — steps.csv and epochs.csv equal apart from `seconds`, and
 * model.safetensors (saved at the evaluation point) byte for byte. The checkpoint holds the new
 * state under its names. Then: what is saved is the evaluation point, computed from the state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { runExperiment } from '../../src/train/experiment.js';
import { tempDir, writeConfig } from '../cli/run-cli.js';

const CASES = [
  { label: 'schedule_free_adamw', optimizer: '{name: schedule_free_adamw, lr: 0.01, warmup_steps: 5}', train: '', state: ['0.weight.z', '0.weight.exp_avg_sq'] },
  { label: 'lookahead around adam', optimizer: '{name: adam, lr: 0.01, lookahead: {k: 3, alpha: 0.5}}', train: '', state: ['0.weight.lookahead_slow_buff', '0.weight.exp_avg'] },
  { label: 'ema around adam', optimizer: '{name: adam, lr: 0.01}', train: ', average: {kind: ema, decay: 0.9}', state: ['0.weight.average', '0.weight.exp_avg'] },
  { label: 'swa around sgd', optimizer: '{name: sgd, lr: 0.1, momentum: 0.9}', train: ', average: {kind: swa, start: 5, every: 3}', state: ['0.weight.average', '0.weight.momentum_buffer'] },
  { label: 'asgd', optimizer: '{name: asgd, lr: 0.05, t0: 4}', train: '', state: ['0.weight.ax'] },
  { label: 'rprop', optimizer: '{name: rprop, step_sizes: [1.0e-6, 0.05]}', train: '', state: ['0.weight.prev', '0.weight.step_size'] },
  // Full batch, as L-BFGS is meant to run: its history (and func_evals, n_iter) carry over.
  { label: 'lbfgs, strong_wolfe, full batch', optimizer: '{name: lbfgs, max_iter: 5, history_size: 4, line_search_fn: strong_wolfe}', train: '', batch: 96, state: ['0.weight.d', '0.weight.old_dirs.0', '0.weight.old_stps.3'] },
] as const;

function withoutSeconds(file: string): string {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const at = lines[0].split(',').indexOf('seconds');
  return lines.map((line) => line.split(',').filter((_, i) => i !== at).join(',')).join('\n');
}

describe('--resume continues the optimizers that change the loop exactly', () => {
  for (const c of CASES) {
    it(c.label, async () => {
      const file = writeConfig(`name: resumed
seed: 4
data: {dataset: synthetic, task: moons, n_train: 96, n_test: 32, batch_size: ${'batch' in c ? c.batch : 8}, shuffle: true}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: ${c.optimizer}
train: {max_steps: 30, eval_every: 10, checkpoint_every: 1000${c.train}}
`);
      const config = resolveConfig(readConfigSource(file), []);
      const reference = await runExperiment(config, { configFile: file, outRoot: join(tempDir(), 'runs') });
      expect(reference.status).toBe('completed');

      const abort = new AbortController();
      const stopped = await runExperiment(config, {
        configFile: file,
        outRoot: join(tempDir(), 'runs'),
        signal: abort.signal,
        onEvent: (event) => event.type === 'epoch' && abort.abort(),
      });
      expect(stopped.status).toBe('interrupted');
      expect(stopped.steps).toBe(10);
      const saved = decodeSafetensors(readFileSync(join(stopped.runDir, 'checkpoint', 'optimizer.safetensors')), 'optimizer.safetensors').map((t) => t.name);
      expect(saved).toEqual(expect.arrayContaining([...c.state]));

      const resumed = await runExperiment(config, { configFile: file, runDir: stopped.runDir, resume: true });
      expect(resumed.status).toBe('completed');
      for (const name of ['steps.csv', 'epochs.csv']) expect(withoutSeconds(join(resumed.runDir, name)), name).toBe(withoutSeconds(join(reference.runDir, name)));
      expect(Buffer.compare(readFileSync(join(resumed.runDir, 'model.safetensors')), readFileSync(join(reference.runDir, 'model.safetensors')))).toBe(0);
      // L-BFGS counts its closure calls over the run in the manifest, resumed or not; the others have no count.
      const evaluations = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { function_evaluations?: number }).function_evaluations;
      expect(evaluations(resumed.runDir)).toBe(evaluations(reference.runDir));
      if (c.label.startsWith('lbfgs')) expect(evaluations(reference.runDir)).toBeGreaterThan(30);
      else expect(evaluations(reference.runDir)).toBeUndefined();
    });
  }
});

describe('the saved weights are the evaluation point', () => {
  it('schedule_free_sgd saves x = y/β + (1 − 1/β)·z, from the trained y and z its last checkpoint holds', async () => {
    const file = writeConfig(`name: saved-x
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 16}
model: {layers: [{linear: 4}, tanh, {linear: 2}]}
optimizer: {name: schedule_free_sgd, lr: 0.5, momentum: 0.8}
train: {max_steps: 12, checkpoint_every: 12}
`);
    const result = await runExperiment(resolveConfig(readConfigSource(file), []), { configFile: file, outRoot: join(tempDir(), 'runs') });
    const tensors = (path: string): Map<string, Float32Array> => new Map(decodeSafetensors(readFileSync(path), path).map((t) => [t.name, t.data as Float32Array]));
    const trained = tensors(join(result.runDir, 'checkpoint', 'model.safetensors'));
    const state = tensors(join(result.runDir, 'checkpoint', 'optimizer.safetensors'));
    const saved = tensors(join(result.runDir, 'model.safetensors'));
    for (const [name, y] of trained) {
      const z = state.get(`${name}.z`)!;
      const x = saved.get(name)!;
      expect(x, name).toEqual(Float32Array.from(y, (yi, i) => yi / 0.8 + (1 - 1 / 0.8) * z[i]));
      expect(x, `${name} differs from the trained weights`).not.toEqual(y);
    }
  });
});
