/**
 * Training on an objective (DESIGN.md, Objectives): trajectory.csv from the start point to the
 * final weights; the domain holds after every step; a parameter group over the tensor `x`; and a
 * run with gradient noise and random members (the stochastic Reddi problem) interrupted and
 * resumed from its checkpoint equals the uninterrupted run — steps.csv apart from `seconds`,
 * trajectory.csv (regret included) and the weights byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { runExperiment } from '../../src/train/experiment.js';
import { tempDir, writeConfig } from '../cli/run-cli.js';

async function run(text: string, signal?: AbortSignal, runDir?: string) {
  const file = writeConfig(text);
  const config = resolveConfig(readConfigSource(file), []);
  const controller = new AbortController();
  return runExperiment(config, {
    configFile: file,
    outRoot: join(tempDir(), 'runs'),
    ...(runDir === undefined ? {} : { runDir, resume: true }),
    signal: signal ?? controller.signal,
  });
}

function csv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));
}

function weightsOf(runDir: string): number[] {
  const [x] = decodeSafetensors(readFileSync(join(runDir, 'model.safetensors')), 'model.safetensors');
  expect(x.name).toBe('x');
  return Array.from(x.data as Float32Array);
}

function withoutSeconds(file: string): string {
  return csv(file)
    .map(({ seconds: _seconds, ...rest }) => JSON.stringify(rest))
    .join('\n');
}

describe('an objective run', () => {
  it('writes trajectory.csv from the start point to the final weights, and the objective value as loss', async () => {
    const result = await run('objective: {name: rosenbrock, start: [-1.5, 2.0]}\noptimizer: {name: adam, lr: 0.05}\ntrain: {max_steps: 40, eval_every: 10}\n');
    const trajectory = csv(join(result.runDir, 'trajectory.csv'));
    expect(Object.keys(trajectory[0])).toEqual(['step', 'x0', 'x1', 'loss']);
    expect(trajectory).toHaveLength(41);
    expect(trajectory[0]).toEqual({ step: '0', x0: '-1.5', x1: '2', loss: '12.5' });
    const last = trajectory[40];
    expect([Math.fround(Number(last.x0)), Math.fround(Number(last.x1))]).toEqual(weightsOf(result.runDir));
    // steps.csv's loss at step k+1 is f at the point after k steps (float32 there).
    const steps = csv(join(result.runDir, 'steps.csv'));
    expect(Math.fround(Number(steps[10].loss))).toBe(Math.fround(Number(trajectory[10].loss)));
    // An epoch is one step of a fixed objective; evaluation is the objective at the point reached.
    const epochs = csv(join(result.runDir, 'epochs.csv'));
    expect(epochs.map((e) => e.step)).toEqual(['10', '20', '30', '40']);
    expect(Math.fround(Number(epochs[3].test_loss))).toBe(Math.fround(Number(last.loss)));
  });

  it('stays inside its domain: every point is projected after its step', async () => {
    const result = await run('objective: {name: saddle, start: [0.5, 0.01], domain: [[-1, 1], [-0.3, 0.3]]}\noptimizer: {name: sgd, lr: 0.5}\ntrain: {max_steps: 30}\n');
    const ys = csv(join(result.runDir, 'trajectory.csv')).map((row) => Number(row.x1));
    expect(Math.max(...ys)).toBeCloseTo(0.3, 6);
    expect(ys.every((y) => y <= 0.3 + 1e-7)).toBe(true);
  });

  it('takes parameter groups over the tensor x (frozen: it never moves)', async () => {
    const result = await run('objective: {name: beale, start: [1, 1]}\noptimizer: {name: sgd, lr: 0.01, param_groups: [{params: ["x"], frozen: true}]}\ntrain: {max_steps: 5}\n');
    expect(weightsOf(result.runDir)).toEqual([1, 1]);
  });

  it('interrupted and resumed equals the uninterrupted run, with noise and random members', async () => {
    const text = `objective: {name: reddi2018_stochastic, start: [0.5], domain: [-1, 1], noise: 0.5}
optimizer: {name: adam, lr: 0.01, betas: [0.9, 0.99]}
train: {max_steps: 200, checkpoint_every: 13, eval_every: 50}
`;
    const reference = await run(text);
    const controller = new AbortController();
    controller.abort();
    const interrupted = await run(text, controller.signal);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.steps).toBeLessThan(200);
    const resumed = await run(text, undefined, interrupted.runDir);
    expect(resumed.status).toBe('completed');
    for (const file of ['steps.csv', 'epochs.csv']) expect(withoutSeconds(join(resumed.runDir, file)), file).toBe(withoutSeconds(join(reference.runDir, file)));
    expect(readFileSync(join(resumed.runDir, 'trajectory.csv'), 'utf8')).toBe(readFileSync(join(reference.runDir, 'trajectory.csv'), 'utf8'));
    expect(weightsOf(resumed.runDir)).toEqual(weightsOf(reference.runDir));
    const trajectory = csv(join(reference.runDir, 'trajectory.csv'));
    expect(Object.keys(trajectory[0])).toEqual(['step', 'x0', 'loss', 'regret']);
    expect(trajectory[0].regret).toBe('');
    expect(Number.isFinite(Number(trajectory[200].regret))).toBe(true);
  });
});
