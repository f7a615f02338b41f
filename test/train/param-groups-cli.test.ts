/**
 * Parameter groups end to end through the CLI, against PyTorch: a config whose
 * optimizer.param_groups freezes the first layer and gives one tensor its own rate and weight
 * decay, trained on csv_trajectory.py's CSV from its initial weights with a step_lr schedule.
 *
 * Fixture: the `cli` part of test/fixtures/torch/param_groups.json, written by
 * test/fixtures/torch/param_groups.py (run with /usr/bin/python3); CI only reads it.
 *
 * Checked: the loss of every step (1e-5 relative, plus torch's own float32 drift from the float64
 * run), steps.csv's lr as the default group's rate (1e-7 relative: torch's step_lr is recursive),
 * and the frozen tensors of model.safetensors bit for bit those of the init file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, type NamedTensor } from '../../src/engine/safetensors.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

interface CliFixture {
  data: { csv: string; label: string };
  init: string;
  batch_size: number;
  shuffle: boolean;
  steps: number;
  optimizer: { name: string; param_groups: { params: string[]; frozen?: boolean }[] } & Record<string, unknown>;
  scheduler: Record<string, unknown>;
  train: { max_steps: number };
  loss: number[];
  lr: number[];
  float32_drift: { loss: number[] };
}

const fixtures = new URL('../fixtures/torch/', import.meta.url).pathname;
const expected = (JSON.parse(readFileSync(join(fixtures, 'param_groups.json'), 'utf8')) as { cli: CliFixture }).cli;

const tensors = (file: string): Map<string, NamedTensor> => new Map(decodeSafetensors(readFileSync(file), file).map((t) => [t.name, t]));
const bytesOf = (t: NamedTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('a training run with param_groups through the CLI matches PyTorch', () => {
  it('freezes a group, trains the others at their own rates, and records the default group\'s lr', async () => {
    const init = join(fixtures, expected.init);
    const config = writeConfig(`name: param-groups
data:
  dataset: csv
  csv: {train: ${JSON.stringify(join(fixtures, expected.data.csv))}, label: ${expected.data.label}}
  batch_size: ${expected.batch_size}
  shuffle: ${expected.shuffle}
model:
  layers: [{linear: 8}, tanh, {linear: 3}]
  init: {from: ${JSON.stringify(init)}}
loss: cross_entropy
optimizer: ${JSON.stringify(expected.optimizer)}
scheduler: ${JSON.stringify(expected.scheduler)}
train: ${JSON.stringify(expected.train)}
`);
    const out = tempDir();
    const result = await runCli('train', config, '--out', out, '--quiet');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [runId] = readdirSync(join(out, 'param-groups')).filter((id) => id !== 'latest');
    const dir = join(out, 'param-groups', runId);

    const lines = readFileSync(join(dir, 'steps.csv'), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const [lossAt, lrAt] = [header.indexOf('loss'), header.indexOf('lr')];
    const rows = lines.slice(1).map((r) => r.split(','));
    expect(rows).toHaveLength(expected.steps);
    rows.forEach((row, i) => {
      const loss = Number(row[lossAt]);
      const lr = Number(row[lrAt]);
      expect(Math.abs(loss - expected.loss[i]), `step ${i + 1} loss: ours ${loss}, torch ${expected.loss[i]}`).toBeLessThanOrEqual(
        1e-5 * expected.loss[i] + expected.float32_drift.loss[i],
      );
      expect(Math.abs(lr - expected.lr[i]), `step ${i + 1} lr: ours ${lr}, torch ${expected.lr[i]}`).toBeLessThanOrEqual(1e-7 * expected.lr[i]);
    });

    const before = tensors(init);
    const after = tensors(join(dir, 'model.safetensors'));
    const frozen = expected.optimizer.param_groups.filter((g) => g.frozen === true).flatMap((g) => g.params);
    expect(frozen).toEqual(['0.*']);
    for (const name of ['0.weight', '0.bias']) expect(bytesOf(after.get(name)!).equals(bytesOf(before.get(name)!)), `${name} is frozen`).toBe(true);
    for (const name of ['2.weight', '2.bias']) expect(bytesOf(after.get(name)!).equals(bytesOf(before.get(name)!)), `${name} is trained`).toBe(false);
  });
});
