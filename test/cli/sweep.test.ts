import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, writeConfig } from './run-cli.js';

const TOY = `name: toy
seeds: [0, 1]
data: {dataset: synthetic, task: moons, n_train: 256, n_test: 128, batch_size: 32}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.1}
train: {epochs: 2}
targets: {test_accuracy: 0.8}
`;

function sweepFolder(out: string, name: string): string {
  const [folder] = readdirSync(join(out, name));
  return join(out, name, folder);
}

/** The trial folders of a sweep (claim files sit beside them). */
function trialFolders(dir: string): string[] {
  return readdirSync(join(dir, 'trials')).filter((name) => !name.includes('.claim.')).sort();
}

function csv(file: string): Record<string, string>[] {
  return parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
}

function manifest(dir: string, trial: string): { status: string; started_at: string; diverged_at_step: number | null; error: string | null } {
  return JSON.parse(readFileSync(join(dir, 'trials', trial, 'manifest.json'), 'utf8'));
}

describe('adam-lab sweep', () => {
  it('runs every trial into its own run folder and tabulates them', async () => {
    const out = tempDir();
    const config = writeConfig(`${TOY}sweep:\n  grid:\n    optimizer.lr: [0.05, 0.5]\n    optimizer.momentum: [0, 0.9]\n`);
    const result = await runCli('sweep', config, '--out', out, '--jobs', '2');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const dir = sweepFolder(out, 'toy');
    expect(dir).toMatch(/sweep-[0-9a-f]{8}$/);
    const summary = csv(join(dir, 'summary.csv'));
    expect(summary).toHaveLength(8);
    expect(Object.keys(summary[0])).toEqual([
      'trial', 'group', 'seed', 'optimizer.lr', 'optimizer.momentum', 'status', 'steps', 'diverged_at_step',
      'final_train_loss', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'steps_to_test_accuracy', 'seconds_to_test_accuracy', 'seconds',
    ]);
    expect(summary.every((r) => r.status === 'completed' && r.steps === '16')).toBe(true);
    for (const row of summary) {
      const trial = join(dir, 'trials', row.trial);
      expect(readdirSync(trial).sort()).toEqual(['config.yaml', 'epochs.csv', 'manifest.json', 'model.safetensors', 'steps.csv']);
      expect(readFileSync(join(trial, 'config.yaml'), 'utf8')).toContain(`seed: ${row.seed}`);
    }
    const comparison = csv(join(dir, 'comparison.csv'));
    expect(comparison).toHaveLength(4);
    expect(comparison.map((r) => r.rank)).toEqual(['1', '2', '3', '4']);
    const best = comparison[0];
    const accuracies = comparison.map((r) => Number(r.final_test_accuracy_mean));
    expect(Number(best.final_test_accuracy_mean)).toBe(Math.max(...accuracies));
    expect(readFileSync(join(dir, 'comparison.md'), 'utf8')).toMatch(/\| rank \| group \| seeds \| diverged \| failed \|/);
    expect(comparison.map((r) => r.reached_test_accuracy).every((n) => Number(n) >= 0 && Number(n) <= 2)).toBe(true);
    // Most of these trials reach 80% test accuracy, so the loop below has rows to check.
    const reached = summary.filter((r) => r.steps_to_test_accuracy !== '');
    expect(reached.length).toBeGreaterThan(0);
    for (const row of reached) expect(Number(row.seconds_to_test_accuracy)).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/^rank {2}group/m);
  });

  it('is resumable: the same command again runs nothing and says so', async () => {
    const out = tempDir();
    const config = writeConfig(`${TOY}sweep: {grid: {optimizer.lr: [0.05, 0.5]}}\n`);
    await runCli('sweep', config, '--out', out, '--jobs', '1', '--quiet');
    const dir = sweepFolder(out, 'toy');
    const before = trialFolders(dir).map((t) => manifest(dir, t).started_at);
    const again = await runCli('sweep', config, '--out', out);
    expect(again.stdout).toContain('4 trials: 4 done, 0 to run');
    expect(trialFolders(dir).map((t) => manifest(dir, t).started_at)).toEqual(before);
    const resumed = await runCli('sweep', '--resume', dir);
    expect(resumed.stdout).toContain('4 trials: 4 done, 0 to run');
  });

  it('records a diverging trial as diverged and carries on', async () => {
    const out = tempDir();
    const config = writeConfig(`${TOY}sweep: {grid: {optimizer.lr: [0.1, 1.0e+38]}}\n`);
    const result = await runCli('sweep', config, '--out', out, '--jobs', '2');
    expect(result.code).toBe(0);
    const dir = sweepFolder(out, 'toy');
    const rows = csv(join(dir, 'summary.csv'));
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'diverged', 'diverged']);
    expect(Number(rows[2].diverged_at_step)).toBe(manifest(dir, rows[2].trial).diverged_at_step);
    expect(csv(join(dir, 'comparison.csv')).map((r) => [r.rank, r.diverged])).toEqual([['1', '0'], ['', '2']]);
  });

  it('records a trial that throws as failed, with its error, and exits 1', async () => {
    const folder = tempDir();
    writeFileSync(join(folder, 'train.csv'), 'a,b,label\n0,1,0\n1,0,4\n1,1,2\n0,0,1\n');
    const config = join(folder, 'exp.yaml');
    writeFileSync(config, `name: csvfail
data: {dataset: csv, csv: {train: train.csv, label: label}, batch_size: 2}
model: {layers: [{linear: 3}]}
sweep: {grid: {optimizer.lr: [0.01, 0.1]}}
`);
    const result = await runCli('sweep', config, '--out', join(folder, 'runs'), '--jobs', '1');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/2 trial\(s\) failed/);
    const dir = sweepFolder(join(folder, 'runs'), 'csvfail');
    const [row] = csv(join(dir, 'summary.csv'));
    expect(row.status).toBe('failed');
    expect(manifest(dir, row.trial).error).toMatch(/model\.layers\.0: the model has 3 output\(s\) but the dataset has 5 classes/);
    expect(result.stdout).toMatch(/failed: .*the model has 3 output/);
    // the table counts the failed trials instead of showing a bare "–"
    expect(csv(join(dir, 'comparison.csv')).map((r) => [r.group, r.completed, r.failed])).toEqual([['optimizer.lr=0.01', '0', '1'], ['optimizer.lr=0.1', '0', '1']]);
    expect(result.stdout).toMatch(/^– +optimizer\.lr=0\.01 +0\/1 +0 +1$/m);
  });

  it('runs disjoint shards that merge into the whole sweep', async () => {
    const config = writeConfig(`${TOY}sweep: {grid: {optimizer.lr: [0.05, 0.1, 0.5]}}\n`);
    const outs = [tempDir(), tempDir()];
    const first = await runCli('sweep', config, '--out', outs[0], '--shard', '1/2', '--quiet');
    const second = await runCli('sweep', config, '--out', outs[1], '--shard', '2/2', '--quiet');
    expect([first.code, second.code]).toEqual([0, 0]);
    const dirs = outs.map((o) => sweepFolder(o, 'toy'));
    const ran = dirs.map(trialFolders);
    expect(ran[0].filter((t) => ran[1].includes(t))).toEqual([]);
    expect(ran[0].length + ran[1].length).toBe(6);
    const merged = join(tempDir(), 'merged');
    const result = await runCli('merge', ...dirs, '--out', merged);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('merged 6 trial(s)');
    expect(csv(join(merged, 'summary.csv')).map((r) => r.status)).toEqual(Array(6).fill('completed'));
  });

  it('reads Slurm array variables as the shard', async () => {
    const config = writeConfig(`${TOY}sweep: {grid: {optimizer.lr: [0.05, 0.1, 0.5]}}\n`);
    const env = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' };
    Object.assign(process.env, env);
    try {
      const result = await runCli('sweep', config, '--out', tempDir(), '--dry-run');
      expect(result.code).toBe(0);
      const full = await runCli('sweep', config, '--out', tempDir());
      expect(full.stdout).toContain('2 trials in this shard (of 6): 0 done, 2 to run');
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
    }
  });

  it('exits 2 on bad input: unknown path, empty grid, wrong type, impossible shard', async () => {
    const cases: [string, string[], RegExp][] = [
      [`${TOY}sweep: {grid: {optimizer.lrr: [0.1]}}\n`, [], /exp\.yaml:8:\d+ optimizer\.lrr: unknown key 'lrr' \(did you mean 'lr'\?\) \(sweep\.grid\)/],
      [`${TOY}sweep: {grid: {optimizer.lr: []}}\n`, [], /sweep\.grid\.optimizer\.lr: needs at least 1 item/],
      [`${TOY}sweep: {grid: {optimizer.lr: [0.1, fast]}}\n`, [], /optimizer\.lr: expected a number, got 'fast' \(sweep\.grid\)/],
      [`${TOY}sweep: {grid: {optimizer.lr: [0.1]}}\n`, ['--shard', '3/2'], /--shard 3\/2: shard 3 does not exist; shards are 1\.\.2/],
      [TOY, [], /sweep: is missing: add a sweep: block/],
    ];
    for (const [text, extra, message] of cases) {
      const result = await runCli('sweep', writeConfig(text), '--out', tempDir(), ...extra);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('lists the trials without running them on --dry-run', async () => {
    const out = tempDir();
    const result = await runCli('sweep', writeConfig(TOY), '--out', out, '--grid', 'optimizer.lr=0.01,0.1', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^4 trials → .*sweep-[0-9a-f]{8}\n/);
    expect(result.stdout).toContain('optimizer.lr=0.1');
    expect(existsSync(join(out, 'toy'))).toBe(false);
  });
});

describe('adam-lab compare', () => {
  it('ranks the variants of a compare block', async () => {
    const out = tempDir();
    const config = writeConfig(`${TOY}compare:\n  slow: {optimizer: {lr: 0.001}}\n  fast: {optimizer: {lr: 0.3, momentum: 0.9}}\n`);
    const result = await runCli('compare', config, '--out', out, '--quiet');
    expect(result.code).toBe(0);
    const dir = sweepFolder(out, 'toy');
    expect(dir).toMatch(/compare-[0-9a-f]{8}$/);
    const comparison = csv(join(dir, 'comparison.csv'));
    expect(comparison.map((r) => [r.rank, r.variant])).toEqual([['1', 'fast'], ['2', 'slow']]);
    expect(csv(join(dir, 'summary.csv')).map((r) => r.variant)).toEqual(['slow', 'slow', 'fast', 'fast']);
  });
});

describe('a sweep killed at any moment', () => {
  it('loses only the trials in flight: a rerun skips the finished ones and completes the summary', async () => {
    const out = tempDir();
    const config = writeConfig(`name: killed
seeds: [0, 1, 2]
data: {dataset: mnist, limit: 1500, batch_size: 64}
model: {layers: [{linear: 16}, relu, {linear: 10}]}
train: {epochs: 1}
sweep: {grid: {optimizer.lr: [0.001, 0.003]}}
`);
    let killed = false;
    const first = await spawnCli(['sweep', config, '--out', out, '--jobs', '1'], (stdout, kill) => {
      if (!killed && stdout.includes('[2/6]')) {
        killed = true;
        kill('SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(first.code).toBe(128);
    const dir = sweepFolder(out, 'killed');
    const finished = trialFolders(dir).filter((t) => existsSync(join(dir, 'trials', t, 'manifest.json')) && manifest(dir, t).status === 'completed');
    expect(finished.length).toBeGreaterThanOrEqual(2);
    const started = new Map(finished.map((t) => [t, manifest(dir, t).started_at]));
    const second = await spawnCli(['sweep', config, '--out', out, '--jobs', '2']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`6 trials: ${finished.length} done, ${6 - finished.length} to run`);
    for (const [trial, at] of started) expect(manifest(dir, trial).started_at).toBe(at);
    const rows = csv(join(dir, 'summary.csv'));
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.trial)).size).toBe(6);
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
  });
});
