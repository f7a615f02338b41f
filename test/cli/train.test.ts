import { copyFileSync, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, writeConfig } from './run-cli.js';

const SMALL_MNIST = `name: small-mnist
seed: 3
data: {dataset: mnist, batch_size: 64, limit: 2000}
model:
  layers: [{linear: 32}, relu, {linear: 10}]
optimizer: {name: adam, lr: 0.003}
train: {epochs: 2}
`;

function onlyRun(out: string, name: string): string {
  const ids = readdirSync(join(out, name)).filter((id) => id !== 'latest');
  expect(ids).toHaveLength(1);
  return join(out, name, ids[0]);
}

function csvRows(file: string): string[][] {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(','));
}

describe('adam-lab train', () => {

  it('places a problem found once the data are read at its line and column, or at the --set it came from', async () => {
    const fixtures = new URL('../fixtures/torch/', import.meta.url).pathname;
    const config = writeConfig(`data: {dataset: csv, csv: {train: ${JSON.stringify(join(fixtures, 'trajectory_train.csv'))}, label: label}}
model:
  layers: [{linear: 8}, tanh, {linear: 1}]
`);
    const inFile = await runCli('train', config, '--out', tempDir());
    expect(inFile.code).toBe(2);
    expect(inFile.stderr).toMatch(new RegExp(`^${config}:3:31 model\\.layers\\.2: the model has 1 output`));
    const fromSet = await runCli('train', config, '--out', tempDir(), '--set', 'model.layers.2.linear=2');
    expect(fromSet.code).toBe(2);
    expect(fromSet.stderr).toMatch(/^--set model\.layers\.2\.linear=2 model\.layers\.2: the model has 2 output/m);
  });

  it("reruns from its own config.yaml: relative data and init paths are stored absolute", async () => {
    const fixtures = new URL('../fixtures/torch/', import.meta.url).pathname;
    const config = writeConfig(`name: rerun
data: {dataset: csv, csv: {train: rows.csv, label: label}, batch_size: 16, shuffle: true}
model:
  layers: [{linear: 8}, tanh, {linear: 3}]
  init: {from: start.safetensors}
train: {epochs: 2}
`);
    copyFileSync(join(fixtures, 'trajectory_train.csv'), join(dirname(config), 'rows.csv'));
    copyFileSync(join(fixtures, 'trajectory_init.safetensors'), join(dirname(config), 'start.safetensors'));
    const first = tempDir();
    expect((await runCli('train', config, '--out', first, '--quiet')).code).toBe(0);
    const stored = join(onlyRun(first, 'rerun'), 'config.yaml');
    expect(readFileSync(stored, 'utf8')).toContain(`from: ${join(dirname(config), 'start.safetensors')}`);
    const second = tempDir();
    const again = await runCli('train', stored, '--out', second, '--quiet');
    expect(again.stderr).toBe('');
    const steps = (out: string): string[] => csvRows(join(onlyRun(out, 'rerun'), 'steps.csv')).map((row) => row.slice(0, 5).join(','));
    expect(steps(second)).toEqual(steps(first));
  });
  it('trains on a subset of the real MNIST and writes the whole run directory', async () => {
    const out = tempDir();
    const result = await runCli('train', writeConfig(SMALL_MNIST), '--out', out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const dir = onlyRun(out, 'small-mnist');
    expect(readdirSync(dir).sort()).toEqual(['config.yaml', 'epochs.csv', 'manifest.json', 'model.safetensors', 'steps.csv']);
    const steps = csvRows(join(dir, 'steps.csv'));
    expect(steps[0]).toEqual(['step', 'epoch', 'loss', 'lr', 'grad_norm', 'seconds']);
    expect(steps).toHaveLength(1 + 2 * Math.ceil(2000 / 64));
    expect(steps[1].slice(0, 2)).toEqual(['1', '1']);
    expect(Number(steps[1][2])).toBeGreaterThan(2); // ≈ ln 10 before any update
    expect(steps.every((row, i) => i === 0 || row[3] === '0.003')).toBe(true);
    const epochs = csvRows(join(dir, 'epochs.csv'));
    expect(epochs[0]).toEqual(['epoch', 'step', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'seconds']);
    expect(epochs.map((r) => r[1]).slice(1)).toEqual(['32', '64']);
    const testAccuracy = Number(epochs[2][7]);
    expect(testAccuracy).toBeGreaterThan(0.8); // 2 epochs on 2000 digits, evaluated on all 10000 test digits
    expect(Number(epochs[2][6])).toBeLessThan(Number(epochs[1][6]));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'small-mnist', status: 'completed', seed: 3, steps: 64, epochs: 2, parameter_count: 784 * 32 + 32 + 32 * 10 + 10 });
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toMatch(/limit: 2000/);
    expect(result.stdout).toMatch(/^epoch 2\/2 {2}step 64 {2}train_loss /m);
    expect(result.stdout).toContain(`results in ${dir}`);
  });

  it('is deterministic: the same config and seed give the same steps.csv but for seconds', async () => {
    const config = writeConfig(SMALL_MNIST.replace('epochs: 2', 'epochs: 1'));
    const outs = [tempDir(), tempDir()];
    for (const out of outs) expect((await runCli('train', config, '--out', out, '--quiet')).code).toBe(0);
    const [a, b] = outs.map((out) => csvRows(join(onlyRun(out, 'small-mnist'), 'steps.csv')).map((r) => r.slice(0, 5).join(',')));
    expect(a).toEqual(b);
    const other = tempDir();
    await runCli('train', config, '--out', other, '--quiet', '--set', 'seed=4');
    expect(csvRows(join(onlyRun(other, 'small-mnist'), 'steps.csv')).map((r) => r.slice(0, 5).join(','))).not.toEqual(a);
  });

  it('runs the seed toy config as shipped', async () => {
    const out = tempDir();
    const result = await runCli('train', 'configs/seed-simple-nn.yaml', '--out', out, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^completed 100 steps in [\d.]+s: train_loss 0\.\d+, test_loss 0\.\d+\nresults in /);
    const epochs = csvRows(join(onlyRun(out, 'seed-simple-nn'), 'epochs.csv'));
    expect(epochs).toHaveLength(101);
    expect(epochs[100][3]).toBe(''); // random real-valued targets: no accuracy
    // Random targets: the best BCE is the mean binary entropy of U(0,1) targets, 0.5; an untrained net sits near ln 2.
    expect(Number(epochs[100][6])).toBeLessThan(Number(epochs[1][6]));
  });

  it('records a diverging run as diverged, at its step, and exits 1', async () => {
    const out = tempDir();
    const config = writeConfig(SMALL_MNIST.replace('{name: adam, lr: 0.003}', '{name: sgd, lr: 1.0e+30}'));
    const result = await runCli('train', config, '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^diverged: the loss at step \d+ is not finite/);
    const dir = onlyRun(out, 'small-mnist');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('diverged');
    const steps = csvRows(join(dir, 'steps.csv'));
    expect(steps.at(-1)![0]).toBe(String(manifest.diverged_at_step));
    expect(['NaN', 'Infinity']).toContain(steps.at(-1)![2]);
    expect(steps.slice(1, -1).every((r) => Number.isFinite(Number(r[2])))).toBe(true);
  });

  it('stops at max_steps mid-epoch and evaluates there', async () => {
    const out = tempDir();
    const result = await runCli('train', writeConfig(SMALL_MNIST), '--out', out, '--set', 'train.max_steps=10', '--quiet');
    expect(result.code).toBe(0);
    const dir = onlyRun(out, 'small-mnist');
    expect(csvRows(join(dir, 'steps.csv'))).toHaveLength(11);
    expect(csvRows(join(dir, 'epochs.csv')).map((r) => r[1])).toEqual(['step', '10']);
  });
});

describe('adam-lab train: bad input', () => {
  it('exits 2 with file:line:col and no stack trace for a bad config', async () => {
    const config = writeConfig(`${SMALL_MNIST}\n`.replace('lr: 0.003', 'lr: -0.003'));
    const result = await runCli('train', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${config}:6:29 optimizer.lr: must be > 0, got -0.003\n`);
  });

  it('exits 2 and says how to fix a missing dataset', async () => {
    const config = writeConfig(SMALL_MNIST.replace('dataset: mnist,', 'dataset: mnist, path: nowhere,'));
    const result = await runCli('train', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nowhere\/train-images-idx3-ubyte: file not found \(nor a \.gz of it\)\n {2}hint: mnist needs train-images-idx3-ubyte, /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a malformed --set and on unknown commands or options', async () => {
    expect((await runCli('train', 'configs/seed-simple-nn.yaml', '--set', 'lr')).code).toBe(2);
    expect((await runCli('trian', 'x.yaml')).code).toBe(2);
    expect((await runCli('train', 'configs/seed-simple-nn.yaml', '--frobnicate')).code).toBe(2);
    const missing = await runCli('train', 'no/such.yaml');
    expect(missing).toMatchObject({ code: 2, stderr: 'no/such.yaml: file not found\n' });
  });

  it('points runs/<name>/latest at the newest run, by a relative link', async () => {
    const out = tempDir();
    for (let run = 0; run < 2; run++) expect((await runCli('train', 'configs/seed-simple-nn.yaml', '--out', out, '--quiet', '--set', 'train.epochs=1')).code).toBe(0);
    const name = 'seed-simple-nn';
    const runs = readdirSync(join(out, name)).filter((id) => id !== 'latest').sort();
    expect(runs).toHaveLength(2);
    expect(readlinkSync(join(out, name, 'latest'))).toBe(runs[1]);
    expect(readdirSync(join(out, name)).filter((entry) => entry.includes('.tmp-'))).toEqual([]);
  });

  it('hints at --set for a bare key=value argument', async () => {
    const stray = await runCli('train', 'configs/seed-simple-nn.yaml', 'optimizer.lr=0.1', '--set', 'train.epochs=1');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('hint: a config value is overridden with --set: --set optimizer.lr=0.1\n');
    expect(stray.stderr).not.toContain('--set train.epochs');
  });

  it('shows the stack only with --debug', async () => {
    const result = await runCli('train', 'no/such.yaml', '--debug');
    expect(result.stderr).toMatch(/file not found\n.*ConfigError/s);
  });
});

describe('adam-lab as a process', () => {
  it('finishes the step, writes everything and exits 130 on SIGINT', async () => {
    const out = tempDir();
    const config = writeConfig(SMALL_MNIST.replace('limit: 2000', 'limit: 60000').replace('epochs: 2', 'epochs: 50'));
    let sent = false;
    const result = await spawnCli(['train', config, '--out', out], (stdout, kill) => {
      if (!sent && stdout.includes('data ')) {
        sent = true;
        setTimeout(() => kill('SIGINT'), 500);
      }
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: finishing the current step/);
    const dir = onlyRun(out, 'small-mnist');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('interrupted');
    expect(manifest.steps).toBeGreaterThan(0);
    expect(csvRows(join(dir, 'steps.csv'))).toHaveLength(manifest.steps + 1);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'steps.csv.partial'))).toBe(false);
  });

  it('prints the version and help with examples', async () => {
    const version = await spawnCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n` });
    const help = await spawnCli(['train', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n {2}\$ adam-lab train configs\/mnist-mlp-adam\.yaml/);
  });
});

describe('adam-lab train with validation and early stopping', () => {
  it('fills val_loss and val_accuracy, and stops where early stopping says, recording it', async () => {
    const out = tempDir();
    const config = writeConfig(`name: early
data: {dataset: synthetic, task: moons, n_train: 400, batch_size: 50, validation: 0.25}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
train: {epochs: 10, early_stopping: {metric: val_loss, patience: 1, min_delta: 10}}
`);
    const result = await runCli('train', config, '--out', out, '--quiet');
    expect(result.code).toBe(0);
    const dir = onlyRun(out, 'early');
    const epochs = csvRows(join(dir, 'epochs.csv'));
    expect(epochs).toHaveLength(3); // header + 2 evaluations: the first sets the best, the second cannot beat it by 10
    expect(epochs.slice(1).every((r) => r[1] === String(Number(r[0]) * 6) && Number(r[4]) > 0 && Number(r[5]) > 0)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.early_stopping).toMatchObject({ metric: 'val_loss', stopped_at_step: 12, best_epoch: 1, best_step: 6 });
    expect(manifest.status).toBe('completed');
  });

  it('exits 2 when one_cycle_lr would have a phase with no steps (torch divides by its length)', async () => {
    const config = writeConfig(`data: {dataset: synthetic, task: moons, n_train: 640, batch_size: 64}
model: {layers: [{linear: 2}]}
optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
scheduler: {name: one_cycle_lr, max_lr: 0.1, pct_start: 0.1}
train: {epochs: 1}
`);
    const tooShort = await runCli('train', config, '--out', tempDir());
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/:4:57 scheduler\.pct_start: is 0\.1, which leaves phase 1 of a 10-step cycle with no steps/);
    expect((await runCli('train', config, '--out', tempDir(), '--set', 'train.epochs=2')).code).toBe(0);
  });

  it('exits 2 when early stopping watches a validation metric without validation data', async () => {
    const config = writeConfig(`data: {dataset: synthetic, task: moons}
model: {layers: [{linear: 2}]}
train: {epochs: 2, early_stopping: {metric: val_loss}}
`);
    const result = await runCli('train', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/train\.early_stopping\.metric: watches val_loss: hold out validation data with data\.validation/);
  });

  it('exits 2 when early stopping watches a test metric that train.evaluate_test: false never measures', async () => {
    const config = writeConfig(`data: {dataset: synthetic, task: moons}
model: {layers: [{linear: 2}]}
train: {epochs: 2, evaluate_test: false, early_stopping: {metric: test_loss}}
`);
    const result = await runCli('train', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/train\.early_stopping\.metric: watches test_loss, but train\.evaluate_test is false .*: watch a val_ metric/);
  });
});
