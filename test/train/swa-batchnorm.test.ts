/**
 * SWA through the whole train loop with a batch norm, against torch.optim.swa_utils
 * (test/fixtures/torch/swa_batchnorm.json, from swa_batchnorm.py — its header says what torch runs):
 * the loss of every step (the trained weights, unaffected by the evaluations), the test loss of
 * each evaluation at the average with batch-norm statistics recomputed as update_bn, and the saved
 * model.safetensors: the averaged parameters with the recomputed running_mean, running_var and
 * num_batches_tracked. Tolerance: 1e-5 relative (floor 1e-2), as the optimizer trajectories.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { runExperiment } from '../../src/train/experiment.js';
import { tempDir, writeConfig } from '../cli/run-cli.js';

const fixtures = new URL('../fixtures/torch/', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(join(fixtures, 'swa_batchnorm.json'), 'utf8')) as {
  data: string;
  init: string;
  batch: number;
  steps: number;
  optimizer: Record<string, unknown>;
  average: Record<string, unknown>;
  eval_at: number[];
  loss: number[];
  evaluations: { step: number; test_loss: number; state: Record<string, number[]> }[];
};

const close = (ours: number, torch: number): boolean => Math.abs(ours - torch) <= 1e-5 * Math.max(Math.abs(torch), 1e-2);

function column(file: string, name: string): number[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const at = header.split(',').indexOf(name);
  return rows.map((row) => Number(row.split(',')[at]));
}

describe('train.average swa with batch norm matches torch.optim.swa_utils', () => {
  it('evaluates and saves the average with update_bn statistics', async () => {
    const data = join(fixtures, fixture.data);
    const file = writeConfig(`name: swa-bn
data: {dataset: csv, csv: {train: ${data}, test: ${data}, label: label}, batch_size: ${fixture.batch}, shuffle: false}
model:
  layers: [{linear: 8}, batchnorm1d, tanh, {linear: 3}]
  init: {from: ${join(fixtures, fixture.init)}, strict: false}
optimizer: ${JSON.stringify(fixture.optimizer)}
train: {max_steps: ${fixture.steps}, eval_every: ${fixture.eval_at[0]}, average: ${JSON.stringify(fixture.average)}}
`);
    const result = await runExperiment(resolveConfig(readConfigSource(file), []), { configFile: file, outRoot: join(tempDir(), 'runs') });
    expect(result.status).toBe('completed');
    const losses = column(join(result.runDir, 'steps.csv'), 'loss');
    expect(losses).toHaveLength(fixture.loss.length);
    losses.forEach((loss, i) => expect(close(loss, fixture.loss[i]), `step ${i + 1}: ours ${loss}, torch ${fixture.loss[i]}`).toBe(true));
    const steps = column(join(result.runDir, 'epochs.csv'), 'step');
    const testLosses = column(join(result.runDir, 'epochs.csv'), 'test_loss');
    expect(steps).toEqual(fixture.eval_at);
    testLosses.forEach((loss, i) => expect(close(loss, fixture.evaluations[i].test_loss), `evaluation at step ${steps[i]}: ours ${loss}, torch ${fixture.evaluations[i].test_loss}`).toBe(true));
    const saved = new Map(decodeSafetensors(readFileSync(join(result.runDir, 'model.safetensors')), 'model.safetensors').map((t) => [t.name, t.data]));
    for (const [name, values] of Object.entries(fixture.evaluations.at(-1)!.state)) {
      const ours = saved.get(name);
      expect(ours, name).toBeDefined();
      values.forEach((v, i) => expect(close(Number(ours![i]), v), `${name}[${i}]: ours ${ours![i]}, torch ${v}`).toBe(true));
    }
  });
});
