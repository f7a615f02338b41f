import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge } from '../../src/check/verdict.js';
import { expectSchema } from '../../src/config/expect-schema.js';
import type { TrialData } from '../../src/runs/run-reader.js';
import { runCli, tempDir, writeConfig } from './run-cli.js';

/** 256 samples in batches of 32: 8 steps an epoch, 16 in all; internals at steps 5, 10 and 15. */
const RUN = `name: internals
seeds: [0, 1]
data: {dataset: synthetic, task: spirals, classes: 3, n_train: 256, n_test: 64, batch_size: 32}
model: {layers: [{linear: 8}, tanh, {linear: 3}]}
optimizer:
  name: adam
  lr: 0.01
  param_groups:
    - {params: ["2.*"], lr: 0.001}
train: {epochs: 2, internals: {every: 5}}
`;

function onlyRun(out: string): string {
  const ids = readdirSync(join(out, 'internals')).filter((id) => id !== 'latest');
  expect(ids).toHaveLength(1);
  return join(out, 'internals', ids[0]);
}

function trial(seed: number, maxUpdateRatio: number | null): TrialData {
  return { id: `t${seed}`, group: 'g', seed, status: 'completed', values: {}, losses: [], evaluations: [], divergedAtStep: null, seconds: 1, internals: { points: [], maxUpdateRatio } };
}

describe('optimizer internals', () => {
  it('adam-lab train writes internals.csv: every trainable tensor at steps K, 2K, ..., in model order, with its group', async () => {
    const out = tempDir();
    const result = await runCli('train', writeConfig(RUN), '--out', out, '--quiet');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = readFileSync(join(onlyRun(out), 'internals.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('step,tensor,group,param_norm,grad_norm,update_norm,update_ratio,eff_lr_p10,eff_lr_p50,eff_lr_p90');
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows.map((r) => r.slice(0, 3).join(','))).toEqual(
      [5, 10, 15].flatMap((step) => [`${step},0.weight,default`, `${step},0.bias,default`, `${step},2.weight,param_groups.0`, `${step},2.bias,param_groups.0`]),
    );
    for (const row of rows) {
      const [paramNorm, , updateNorm, ratio, p10, p50, p90] = row.slice(3).map(Number);
      expect(ratio).toBeCloseTo(updateNorm / paramNorm, 6);
      expect(p10 <= p50 && p50 <= p90).toBe(true);
    }
  });

  it('adam-lab check judges max_update_ratio: PASS under a loose bound, FAIL (exit 1) under a tight one', async () => {
    const loose = await runCli('check', writeConfig(`${RUN}expect: {max_update_ratio: 10}\n`), '--out', tempDir(), '--quiet');
    expect(loose.code).toBe(0);
    expect(loose.stdout).toMatch(/max_update_ratio +≤ 10 \(every seed\) +worst [0-9.e-]+ \(2 seeds\) +PASS/);
    const tight = await runCli('check', writeConfig(`${RUN}expect: {max_update_ratio: 1.0e-6}\n`), '--out', tempDir(), '--quiet');
    expect(tight.code).toBe(1);
    expect(tight.stdout).toMatch(/max_update_ratio .* FAIL/);
  });

  it('refuses max_update_ratio without train.internals, at its line', async () => {
    const config = writeConfig(`${RUN.replace(', internals: {every: 5}', '')}expect: {max_update_ratio: 0.1}\n`);
    const result = await runCli('check', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${config}:11:\\d+ expect\\.max_update_ratio: .*train\\.internals`));
  });

  it('bounds every seed: one seed above the ceiling fails, a seed without rows fails by name', () => {
    const verdict = (trials: TrialData[]) => judge(expectSchema.parse({ max_update_ratio: 0.1 }), trials)[0];
    expect(verdict([trial(0, 0.05), trial(1, 0.08)])).toMatchObject({ pass: true, measured: 'worst 0.08 (2 seeds)', bound: '≤ 0.1 (every seed)' });
    expect(verdict([trial(0, 0.05), trial(1, 0.2)]).pass).toBe(false);
    expect(verdict([trial(0, 0.05), trial(1, NaN)]).pass).toBe(false);
    expect(verdict([trial(0, 0.05), trial(1, null)])).toMatchObject({ pass: false, measured: 'seed 1 no internals.csv rows' });
  });
});
