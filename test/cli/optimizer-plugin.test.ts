/**
 * --optimizer-plugin end to end: a plugin's optimizer trains, is recorded (path, sha256) in the
 * run's manifest, a sweep's sweep.json and the checkpoint, runs on worker threads, and is refused
 * with a clear message (exit 2) when its file is missing, malformed, or not the bytes a run or
 * sweep was started with.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from './run-cli.js';

const EXAMPLE = new URL('../../examples/plugins/sign-momentum.mjs', import.meta.url).pathname;
const FIXTURES = new URL('../fixtures/plugins/', import.meta.url).pathname;

const CONFIG = `name: plugin-run
seed: 1
data: { dataset: synthetic, task: spirals, classes: 3, noise: 0.1, n_train: 128, n_test: 32, batch_size: 32 }
model: { layers: [ { linear: 16 }, relu, { linear: 3 } ] }
loss: cross_entropy
optimizer: { name: sign_momentum, lr: 0.003 }
train: { epochs: 3, checkpoint_every: 5 }
compare:
  sign: { optimizer: { name: sign_momentum, lr: 0.003 } }
  ball: { optimizer: { name: heavy_ball, lr: 0.01 } }
`;

/** A copy of the example plugin in its own folder, and the same plugin with one byte changed. */
function pluginCopies(): { same: string; changed: string } {
  const dir = tempDir();
  const same = join(dir, 'sign.mjs');
  const changed = join(dir, 'sign-changed.mjs');
  copyFileSync(EXAMPLE, same);
  writeFileSync(changed, `${readFileSync(EXAMPLE, 'utf8')}\n// changed\n`);
  return { same, changed };
}

function onlyRun(out: string): string {
  const ids = readdirSync(join(out, 'plugin-run')).filter((id) => id !== 'latest');
  expect(ids).toHaveLength(1);
  return join(out, 'plugin-run', ids[0]);
}

describe('--optimizer-plugin', () => {
  it('trains with the plugin and records it in the manifest and the checkpoint; a resume needs the same bytes', async () => {
    const config = writeConfig(CONFIG);
    const out = tempDir();
    const { same, changed } = pluginCopies();
    const trained = await runCli('train', config, '--out', out, '-q', '--optimizer-plugin', same);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const runDir = onlyRun(out);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    expect(manifest.optimizer_plugin).toEqual({ name: 'sign_momentum', path: same, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const state = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.optimizer_plugin).toEqual(manifest.optimizer_plugin);
    expect(readFileSync(join(runDir, 'config.yaml'), 'utf8')).toContain('name: sign_momentum');

    const without = await runCli('train', '--resume', runDir, '-q');
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`manifest.json: was made with the optimizer plugin 'sign_momentum' (${same}): give --optimizer-plugin ${same}`);
    const other = await runCli('train', '--resume', runDir, '-q', '--optimizer-plugin', changed);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("was made with another version of the optimizer plugin 'sign_momentum'");
    const again = await runCli('train', '--resume', runDir, '-q', '--optimizer-plugin', same);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('resumed from the checkpoint');
  });

  it('is needed for a config that names its optimizer, and its file must be a plugin', async () => {
    const config = writeConfig(CONFIG);
    const missing = await runCli('validate', config);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("optimizer.name: unknown optimizer 'sign_momentum'");
    const noFile = await runCli('validate', config, '--optimizer-plugin', join(tempDir(), 'none.mjs'));
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/none\.mjs: cannot be read as an optimizer plugin/);
    const wrong = await runCli('validate', config, '--optimizer-plugin', join(FIXTURES, 'no-schema.mjs'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`${join(FIXTURES, 'no-schema.mjs')}: its name 'adam' is a built-in optimizer's: choose another name; exports options as nothing`);
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const twice = await runCli('validate', config, '--optimizer-plugin', EXAMPLE, '--optimizer-plugin', pluginCopies().same);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("its name 'sign_momentum' is taken by another plugin");
    const valid = await runCli('validate', config, '--optimizer-plugin', EXAMPLE);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/beta: 0\.9/);
  });

  it('runs the learning-rate range test (lr-find)', async () => {
    const { code, stdout, stderr } = await runCli('lr-find', writeConfig(CONFIG), '--out', tempDir(), '-q', '--seeds', '0', '--num-iter', '20', '--optimizer-plugin', EXAMPLE);
    expect(stderr).toBe('');
    expect([0, 1]).toContain(code);
    expect(stdout).toMatch(/^suggested lr /m);
  });

  it('is listed and shown by adam-lab optimizers', async () => {
    const { code, stdout } = await runCli('optimizers', 'sign_momentum', '--optimizer-plugin', EXAMPLE);
    expect(code).toBe(0);
    expect(stdout).toContain(`sign_momentum — plugin ${EXAMPLE}`);
    expect(stdout).toMatch(/ {2}beta +\= 0\.9 +momentum β/);
  });

  it('runs on worker threads in a comparison, recorded in sweep.json; a sweep folder refuses other plugin bytes', async () => {
    const config = writeConfig(CONFIG);
    const out = tempDir();
    const { same, changed } = pluginCopies();
    const ball = join(FIXTURES, 'heavy-ball.mjs');
    const compared = await runCli('compare', config, '--out', out, '-q', '-j', '2', '--optimizer-plugin', same, '--optimizer-plugin', ball);
    expect(compared.stderr).toBe('');
    expect(compared.code).toBe(0);
    const folder = join(out, 'plugin-run', readdirSync(join(out, 'plugin-run'))[0]);
    const sweep = JSON.parse(readFileSync(join(folder, 'sweep.json'), 'utf8'));
    expect(sweep.optimizer_plugins.map((p: { name: string }) => p.name).sort()).toEqual(['heavy_ball', 'sign_momentum']);
    const trials = readdirSync(join(folder, 'trials')).filter((name) => !name.includes('.claim'));
    expect(trials).toHaveLength(2);
    for (const trial of trials) expect(JSON.parse(readFileSync(join(folder, 'trials', trial, 'manifest.json'), 'utf8')).status).toBe('completed');

    const other = await runCli('compare', config, '--out', out, '-q', '--optimizer-plugin', changed, '--optimizer-plugin', ball);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('sweep.json: was started with other optimizer plugins');
    const resumedWithout = await runCli('compare', '--resume', folder, '-q');
    expect(resumedWithout.code).toBe(2);
    expect(resumedWithout.stderr).toContain('sweep.json: was made with the optimizer plugin');
  });

  it('takes part in a tuned comparison: tuned, then rerun over seeds on worker threads', async () => {
    const config = writeConfig(`${CONFIG.replace('name: plugin-run', 'name: plugin-tuned').replace('n_train: 128', 'n_train: 128, validation: 0.25')}protocol:
  tune: { metric: val_accuracy, search: grid, budget: 2, space: { optimizer.lr: { log_uniform: [1.0e-3, 1.0e-2] } } }
  rerun: { seeds: 2 }
`);
    const out = tempDir();
    const tuned = await runCli('compare', config, '--out', out, '-q', '-j', '2', '--optimizer-plugin', EXAMPLE, '--optimizer-plugin', join(FIXTURES, 'heavy-ball.mjs'));
    expect(tuned.stderr).toBe('');
    expect(tuned.code).toBe(0);
    expect(tuned.stdout).toMatch(/^ +\d +sign +optimizer\.lr=0\.0\d+ +0\/2 /m);
    const folder = join(out, 'plugin-tuned', readdirSync(join(out, 'plugin-tuned'))[0]);
    for (const phase of ['tuning', 'rerun']) expect(JSON.parse(readFileSync(join(folder, phase, 'sweep.json'), 'utf8')).optimizer_plugins).toHaveLength(2);
  });

  it('merges shards only when they ran with the same plugin bytes', async () => {
    const config = writeConfig(CONFIG);
    const { same, changed } = pluginCopies();
    const ball = join(FIXTURES, 'heavy-ball.mjs');
    const [one, two] = [tempDir(), tempDir()];
    expect((await runCli('compare', config, '--out', one, '-q', '-j', '1', '--shard', '1/2', '--optimizer-plugin', same, '--optimizer-plugin', ball)).code).toBe(0);
    expect((await runCli('compare', config, '--out', two, '-q', '-j', '1', '--shard', '2/2', '--optimizer-plugin', changed, '--optimizer-plugin', ball)).code).toBe(0);
    const folder = (out: string): string => join(out, 'plugin-run', readdirSync(join(out, 'plugin-run'))[0]);
    const merged = await runCli('merge', folder(one), folder(two), '--out', join(tempDir(), 'merged'));
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain(`${folder(two)} ran with other optimizer plugin files than ${folder(one)} (sha256 differs)`);
  });
});
