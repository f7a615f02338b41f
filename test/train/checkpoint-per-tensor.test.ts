/**
 * Checkpoints carry the per-tensor optimizers' state (LAMB's moments, Adafactor's factored
 * row_var/col_var with their own shapes, Prodigy's θ₀ and its d in double precision, Muon's
 * momentum buffer beside its AdamW group's moments):
 * a run interrupted mid-way and resumed from its checkpoint ends with the uninterrupted run's
 * steps.csv (apart from `seconds`) and model.safetensors, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { runExperiment } from '../../src/train/experiment.js';
import { tempDir, writeConfig } from '../cli/run-cli.js';

const OPTIMIZERS = [
  { name: 'lamb', options: '{name: lamb, lr: 0.01, weight_decay: 0.01}', state: ['exp_avg', 'exp_avg_sq'] },
  { name: 'adafactor', options: '{name: adafactor, weight_decay: 0.01}', state: ['col_var', 'row_var', 'variance'] },
  { name: 'prodigy', options: '{name: prodigy, weight_decay: 0.01}', state: ['exp_avg', 'exp_avg_sq', 'p0', 's'] },
  { name: 'muon', options: "{name: muon, lr: 0.02, param_groups: [{params: ['*.bias'], optimizer: adamw, lr: 0.003}]}", state: ['exp_avg', 'exp_avg_sq', 'momentum_buffer'] },
] as const;

function configFile(optimizer: string): string {
  return writeConfig(`name: per-tensor
seed: 7
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 16, shuffle: true}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: ${optimizer}
train: {max_steps: 12, checkpoint_every: 4}
`);
}

/** steps.csv without its `seconds` column. */
function stepsWithoutSeconds(runDir: string): string {
  return readFileSync(join(runDir, 'steps.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -1).join(','))
    .join('\n');
}

describe('per-tensor optimizers resume from a checkpoint exactly', () => {
  it.each(OPTIMIZERS)('$name', async ({ options, state }) => {
    const file = configFile(options);
    const config = resolveConfig(readConfigSource(file), []);
    const whole = await runExperiment(config, { configFile: file, outRoot: join(tempDir(), 'runs') });

    // Interrupted after step 6: the checkpoint is written as it stops, then the run goes on from it.
    const controller = new AbortController();
    const interrupted = await runExperiment(config, {
      configFile: file,
      outRoot: join(tempDir(), 'runs'),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'progress' && event.step >= 6) controller.abort();
      },
    });
    expect(interrupted.status).toBe('interrupted');
    const saved = decodeSafetensors(readFileSync(join(interrupted.runDir, 'checkpoint', 'optimizer.safetensors')), 'optimizer.safetensors');
    expect([...new Set(saved.map((t) => t.name.split('.').at(-1)!))].sort()).toEqual(state);
    if ((state as readonly string[]).includes('row_var')) expect(saved.find((t) => t.name === '0.weight.row_var')?.shape).toEqual([8, 1]);
    const resumed = await runExperiment(config, { configFile: file, runDir: interrupted.runDir, resume: true });
    expect(resumed.status).toBe('completed');

    expect(stepsWithoutSeconds(resumed.runDir)).toBe(stepsWithoutSeconds(whole.runDir));
    expect(Buffer.compare(readFileSync(join(resumed.runDir, 'model.safetensors')), readFileSync(join(whole.runDir, 'model.safetensors')))).toBe(0);
  });
});
