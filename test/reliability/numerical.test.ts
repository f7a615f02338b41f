/**
 * Numerical faults: a loss that becomes Inf or NaN — from the first forward pass, after a first
 * update that overflows, late in a run whose learning rate makes it grow, late after a schedule
 * raises the learning rate, or in one trial of a sweep — is recorded as diverged at the step
 * whose loss it is, with every file whole, and leaves the other trials of a sweep exactly as
 * they would be alone.
 *
 * The step is worked out independently of adam-lab, on a problem small enough to do by hand:
 * one weight w (linear 1 → 1, no bias), samples x = 1, y = 0, MSE, SGD, batches of one. The loss
 * of a step is w² (before its update), its gradient 2w, and the update w ← w − lr·2w = (1 − 2lr)·w.
 * With powers of two every value is exact in float32, and the loss overflows (as torch's float32
 * loss does) at the first w² ≥ 2¹²⁸:
 *   w₀ = 2⁶⁴                                   loss₁ = 2¹²⁸                       → step 1
 *   lr = 1e38   w₁ = 1 − 2e38, finite          loss₂ = 4e76                       → step 2
 *   lr = 3e38   w₁ = 1 − 6e38 = −Inf           loss₂ = Inf                        → step 2
 *   lr = 1.5    w_k = (−2)ᵏ                    loss_k = 4^(k−1)                   → step 65
 *   lr = 0.25 for 40 steps (w₄₀ = 2⁻⁴⁰), then 1.5 (multi_step_lr at 40, γ = 6)
 *                                              loss_k = 2^(2k−162)                → step 145
 * reference() replays the same arithmetic in float32 row by row, and steps.csv must equal it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';
import { tempDir } from '../cli/run-cli.js';
import { CliDriver, expectIntactRun, expectNoStackTrace, onlyFolder, strictCsv } from './harness.js';

const folder = tempDir();
const driver = new CliDriver(folder);
const figures = { runs: 0, trials: 0 };
afterAll(() => {
  driver.stop();
  console.info(`numerical faults: ${figures.runs} runs and ${figures.trials} sweep trials, each step checked against a float32 replay`);
});

const STEPS = 150;
writeFileSync(join(folder, 'ones.csv'), `x,y\n${'1,0\n'.repeat(STEPS)}`);
const LINE = `data: {dataset: csv, csv: {train: ones.csv, label: y}, batch_size: 1}
model: {layers: [{linear: {out_features: 1, bias: false}}], init: {from: w0.safetensors}}
loss: mse
train: {epochs: 1}
`;

/** The start weight, as a file the config names. */
function startAt(w0: number): void {
  writeFileSync(join(folder, 'w0.safetensors'), encodeSafetensors([{ name: '0.weight', shape: [1, 1], data: new Float32Array([w0]) }]));
}

/** Step by step in float32: the lr and loss of each step, up to the first loss that is not finite; and the final weight. */
function reference(w0: number, lrAt: (t: number) => number): { rows: { lr: number; loss: number }[]; w: number } {
  const rows: { lr: number; loss: number }[] = [];
  let w = Math.fround(w0);
  for (let t = 0; t < STEPS; t++) {
    const loss = Math.fround(w * w);
    rows.push({ lr: lrAt(t), loss });
    if (!Number.isFinite(loss)) break;
    w = Math.fround(w - Math.fround(lrAt(t) * Math.fround(2 * w)));
  }
  return { rows, w };
}

/** steps.csv holds exactly the reference's rows (the lr used and the loss before each update; a loss is written as the shortest text that reads back to its float32). */
function expectSteps(dir: string, expected: ReturnType<typeof reference>): void {
  const rows = strictCsv(join(dir, 'steps.csv'));
  expect(rows.map((r) => Math.fround(Number(r.loss)))).toEqual(expected.rows.map((r) => r.loss));
  expect(rows.map((r) => Number(r.lr))).toEqual(expected.rows.map((r) => r.lr));
}

/** The run diverged at the first step whose loss is not finite, and at no other; returns that step. */
function expectDivergedAt(dir: string): number {
  const manifest = expectIntactRun(dir);
  expect(manifest.status).toBe('diverged');
  const losses = strictCsv(join(dir, 'steps.csv')).map((row) => Number(row.loss));
  const first = losses.findIndex((loss) => !Number.isFinite(loss)) + 1;
  expect(first, 'a step with a non-finite loss').toBeGreaterThan(0);
  expect(manifest.diverged_at_step).toBe(first);
  expect(losses).toHaveLength(first);
  for (const row of strictCsv(join(dir, 'epochs.csv'))) expect(Number(row.step)).toBeLessThan(first);
  return first;
}

const CASES = [
  { label: 'a loss that is not finite from the first forward pass (w₀ = 2⁶⁴)', w0: 2 ** 64, lr: 0.25, schedule: '', lrAt: () => 0.25, at: 1 },
  { label: 'a first update whose weight is finite but whose loss overflows (lr 1e38)', w0: 1, lr: 1e38, schedule: '', lrAt: () => 1e38, at: 2 },
  { label: 'a first update that overflows to -Inf (lr 3e38)', w0: 1, lr: 3e38, schedule: '', lrAt: () => 3e38, at: 2 },
  { label: 'a learning rate under which the loss grows 4× a step (lr 1.5)', w0: 1, lr: 1.5, schedule: '', lrAt: () => 1.5, at: 65 },
  {
    label: 'a schedule that raises the learning rate late (0.25, then 1.5 from step 41)',
    w0: 1,
    lr: 0.25,
    schedule: 'scheduler: {name: multi_step_lr, milestones: [40], gamma: 6}\n',
    lrAt: (t: number) => (t < 40 ? 0.25 : 1.5),
    at: 145,
  },
];

describe('numerical faults', () => {
  it.each(CASES)('$label: diverged at step $at exactly', async ({ w0, lr, schedule, lrAt, at }) => {
    const expected = reference(w0, lrAt);
    expect(expected.rows, 'the worked-out step').toHaveLength(at);
    startAt(w0);
    const name = `at-${at}-${lr}`.replace(/[^\w-]/g, '_');
    const config = join(folder, `${name}.yaml`);
    writeFileSync(config, `name: ${name}\n${LINE}optimizer: {name: sgd, lr: ${lr}}\n${schedule}`);
    const result = await driver.run(['train', config, '--out', join(folder, 'runs'), '--quiet']);
    figures.runs++;
    expectNoStackTrace(result);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`diverged: the loss at step ${at} is not finite`);
    const dir = onlyFolder(join(folder, 'runs', name));
    expect(expectDivergedAt(dir)).toBe(at);
    expectSteps(dir, expected);
  });

  it('one diverging trial of a sweep is recorded at its step; the others are exactly as they would be alone', async () => {
    startAt(1);
    const config = join(folder, 'swept.yaml');
    // lr 0.5: w = 0 after one step; lr 1: w = ±1 throughout; lr 1.5: diverges at step 65
    writeFileSync(config, `name: swept\nseeds: [0, 1]\n${LINE}optimizer: {name: sgd, lr: 0.5}\nsweep: {grid: {optimizer.lr: [0.5, 1.5, 1.0]}}\n`);
    const result = await driver.run(['sweep', config, '--out', join(folder, 'runs'), '--jobs', '2', '--quiet']);
    expectNoStackTrace(result);
    expect(result.code, result.stderr).toBe(0); // a diverged trial is a result
    const dir = onlyFolder(join(folder, 'runs', 'swept'));
    const rows = strictCsv(join(dir, 'summary.csv'));
    figures.trials += rows.length;
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'diverged', 'diverged', 'completed', 'completed']);
    for (const row of rows) {
      const trial = join(dir, 'trials', row.trial);
      const lr = Number(row['optimizer.lr']);
      const expected = reference(1, () => lr);
      expectSteps(trial, expected);
      if (row.status === 'diverged') {
        expect(Number(row.diverged_at_step)).toBe(65);
        expect(expectDivergedAt(trial)).toBe(65);
      } else {
        expect(expectIntactRun(trial).status).toBe('completed');
        const [weight] = decodeSafetensors(readFileSync(join(trial, 'model.safetensors')), trial);
        expect(Array.from(weight.data)).toEqual([expected.w]);
      }
    }
  });
});
