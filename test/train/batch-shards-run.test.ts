/**
 * Runs with batch shards (ADAM_LAB_SHARDS, engine/batch-shards.ts), each in a fresh Node.js since
 * the kernel choice is made once per process: with 2 shards a run (an MLP, and W3's CNN on MNIST)
 * writes the same steps.csv and epochs.csv (apart from `seconds`) and model.safetensors on 1
 * thread and on 2; the manifest records the shard count;
 * a run interrupted at its first evaluation and resumed equals the uninterrupted one, and resuming
 * with another shard count is refused; 2 shards stay within float32 rounding of 1; a bad value of
 * the variable, or a model it cannot cut, stops with a message naming it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuilt } from '../engine/run-built.js';
import { BIN, tempDir, writeConfig } from '../cli/run-cli.js';

const DIST = new URL('../../dist/src/', import.meta.url).href;

const CONFIG = `name: sharded
seed: 5
data: {dataset: synthetic, task: spirals, classes: 3, n_train: 96, n_test: 40, batch_size: 14, shuffle: true}
model: {layers: [{linear: 24}, relu, {linear: 12}, tanh, {linear: 3}]}
optimizer: {name: adam, lr: 0.01}
train: {max_steps: 24, eval_every: 8, checkpoint_every: 1000}
`;

interface Outcome {
  readonly steps: string;
  readonly epochs: string;
  readonly weights: string;
  readonly manifestShards: number | null;
  /** With `resume`: the run interrupted at its first evaluation, and resumed. */
  readonly resumedSteps?: string;
  readonly resumedWeights?: string;
  readonly stoppedAt?: number;
  readonly stoppedDir?: string;
}

/** Trains the config in `file` uninterrupted (and with `resume`, interrupted at its first evaluation and resumed), in a process of its own with `env`. */
function outcome(file: string, env: Record<string, string>, resume: boolean): Outcome {
  const code = `
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readConfigSource, resolveConfig } from '${DIST}config/load.js';
import { runExperiment } from '${DIST}train/experiment.js';
const file = ${JSON.stringify(file)};
const out = ${JSON.stringify(join(tempDir(), 'runs'))};
const config = resolveConfig(readConfigSource(file), []);
const csv = (dir, name) => { const lines = readFileSync(join(dir, name), 'utf8').trim().split('\\n'); const at = lines[0].split(',').indexOf('seconds'); return lines.map((l) => l.split(',').filter((_, i) => i !== at).join(',')).join('\\n'); };
const weights = (dir) => createHash('sha256').update(readFileSync(join(dir, 'model.safetensors'))).digest('hex');
const reference = await runExperiment(config, { configFile: file, outRoot: out });
const manifest = JSON.parse(readFileSync(join(reference.runDir, 'manifest.json'), 'utf8'));
const result = { steps: csv(reference.runDir, 'steps.csv'), epochs: csv(reference.runDir, 'epochs.csv'), weights: weights(reference.runDir), manifestShards: manifest.batch_shards ?? null };
if (${resume}) {
  const abort = new AbortController();
  const stopped = await runExperiment(config, { configFile: file, outRoot: out, signal: abort.signal, onEvent: (e) => e.type === 'epoch' && abort.abort() });
  const stoppedAt = stopped.steps;
  const resumed = await runExperiment(config, { configFile: file, runDir: stopped.runDir, resume: true });
  Object.assign(result, { resumedSteps: csv(resumed.runDir, 'steps.csv'), resumedWeights: weights(resumed.runDir), stoppedAt, stoppedDir: stopped.runDir });
}
console.log(JSON.stringify(result));
`;
  return JSON.parse(runBuilt(code, env)) as Outcome;
}

function losses(steps: string): number[] {
  return steps.split('\n').slice(1).map((line) => Number(line.split(',')[2]));
}

describe('a run with batch shards', () => {
  it('gives the same bits on 1 and 2 threads, records its shard count, resumes exactly, and stays within rounding of 1 shard', () => {
    const file = writeConfig(CONFIG);
    const one = outcome(file, { ADAM_LAB_SHARDS: '2', ADAM_LAB_THREADS: '1' }, true);
    const two = outcome(file, { ADAM_LAB_SHARDS: '2', ADAM_LAB_THREADS: '2' }, true);
    expect(two.steps).toBe(one.steps);
    expect(two.epochs).toBe(one.epochs);
    expect(two.weights).toBe(one.weights);
    expect(one.manifestShards).toBe(2);
    for (const run of [one, two]) {
      expect(run.stoppedAt).toBe(8);
      expect(run.resumedSteps).toBe(run.steps);
      expect(run.resumedWeights).toBe(run.weights);
    }
    const uncut = outcome(file, { ADAM_LAB_SHARDS: '', ADAM_LAB_THREADS: '1' }, false);
    expect(uncut.manifestShards).toBeNull();
    const [cutLosses, uncutLosses] = [losses(one.steps), losses(uncut.steps)];
    expect(cutLosses).toHaveLength(24);
    // The first loss comes before any update: the forward pass is the same bits cut or not.
    expect(cutLosses[0]).toBe(uncutLosses[0]);
    cutLosses.forEach((loss, i) => expect(Math.abs(loss - uncutLosses[i])).toBeLessThan(1e-4 * uncutLosses[i]));

    // The checkpoint of a 2-shard run is not resumed with 1 shard.
    const refused = spawnSync(process.execPath, [BIN, 'train', '--resume', one.stoppedDir as string], { encoding: 'utf8', env: { ...process.env, ADAM_LAB_SHARDS: '1', ADAM_LAB_THREADS: '1' } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/batch_shards 2 there, none here/);
    expect(refused.stderr).toMatch(/ADAM_LAB_SHARDS=2/);
  });

  it('a CNN on MNIST (W3) gives the same steps.csv, epochs.csv and weights on 1 and 2 threads', () => {
    const file = writeConfig(readFileSync(new URL('../../configs/mnist-cnn-small.yaml', import.meta.url), 'utf8').replace('train: {epochs: 6}', 'train: {max_steps: 12, eval_every: 6}'));
    const [one, two] = ['1', '2'].map((threads) => outcome(file, { ADAM_LAB_SHARDS: '2', ADAM_LAB_THREADS: threads }, false));
    expect(losses(one.steps)).toHaveLength(12);
    expect(one.epochs.split('\n')).toHaveLength(3);
    expect(two.steps).toBe(one.steps);
    expect(two.epochs).toBe(one.epochs);
    expect(two.weights).toBe(one.weights);
  });

  it('refuses a bad ADAM_LAB_SHARDS, naming the variable', () => {
    const code = `import { kernelChoice } from '${DIST}kernels/choice.js';
try { console.log(kernelChoice().shards); } catch (error) { console.log(error.constructor.name + ': ' + error.message); }`;
    for (const bad of ['two', '0', '17', '1.5', '-2']) expect(runBuilt(code, { ADAM_LAB_SHARDS: bad })).toMatch(/^UsageError: ADAM_LAB_SHARDS=.* must be a whole number from 1 to 16/);
    expect(runBuilt(code, { ADAM_LAB_SHARDS: '16' })).toBe('16');
    expect(runBuilt(code, { ADAM_LAB_SHARDS: '' })).toBe('1');
  });

  it('refuses a model with dropout at the layer, with exit 2', () => {
    const file = writeConfig(CONFIG.replace('{linear: 24}, relu,', '{linear: 24}, relu, {dropout: 0.1},'));
    const run = spawnSync(process.execPath, [BIN, 'train', file, '--out', join(tempDir(), 'runs')], { encoding: 'utf8', env: { ...process.env, ADAM_LAB_SHARDS: '2' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/model\.layers\.2/);
    expect(run.stderr).toMatch(/dropout cannot run on shards of a batch \(ADAM_LAB_SHARDS=2\)/);
  });
});
