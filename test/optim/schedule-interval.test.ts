/**
 * Schedules counted in epochs (`interval: epoch`), lengths that default to the run's, and the
 * warning for a per-step schedule that collapses the rate within the first epoch. The expected
 * rates are torch's closed forms with t = epochs finished (a loop that calls scheduler.step()
 * once per epoch), written out here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scheduleSchema } from '../../src/config/schema.js';
import { createSchedule, lowestRateShare, type ScheduleConfig } from '../../src/optim/schedules.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

const parse = (config: object): ScheduleConfig => scheduleSchema.parse(config) as ScheduleConfig;

function rates(config: ScheduleConfig, length: number, times: number): number[] {
  const schedule = createSchedule(config, [{ lr: 1 }], length);
  const hyper = { lr: 1 };
  return Array.from({ length: times }, (_, t) => {
    schedule.apply(t, [hyper]);
    return hyper.lr;
  });
}

describe('schedule interval and lengths', () => {
  it('defaults to interval: step and records interval: epoch when asked', () => {
    expect(createSchedule(parse({ name: 'step_lr', step_size: 1 }), [{ lr: 1 }], 10).interval).toBe('step');
    expect(createSchedule(parse({ name: 'step_lr', step_size: 1, interval: 'epoch' }), [{ lr: 1 }], 10).interval).toBe('epoch');
    expect(() => parse({ name: 'step_lr', step_size: 1, interval: 'batch' })).toThrow();
  });

  it("cosine_annealing_lr's t_max defaults to the run's length: the rate reaches eta_min at its end", () => {
    const lr = rates(parse({ name: 'cosine_annealing_lr', eta_min: 0.1 }), 8, 9);
    // γ_t = 0.1 + 0.9·(1 + cos(π·t/8))/2
    expect(lr[0]).toBeCloseTo(1, 12);
    expect(lr[4]).toBeCloseTo(0.55, 12);
    expect(lr[8]).toBeCloseTo(0.1, 12);
  });

  it('a cosine after a warm-up decays over what is left of the run', () => {
    const lr = rates(parse({ name: 'linear_warmup', warmup_steps: 2, then: { name: 'cosine_annealing_lr' } }), 10, 11);
    // warm-up 0, 0.5; then γ = (1 + cos(π·(t−2)/8))/2: 1 at t = 2, 0.5 at t = 6, 0 at t = 10
    expect(lr.slice(0, 3)).toEqual([0, 0.5, 1]);
    expect(lr[6]).toBeCloseTo(0.5, 12);
    expect(lr[10]).toBeCloseTo(0, 12);
  });

  it("finds the collapse of torch's MNIST example schedule (step_lr 1, 0.7) counted in steps", () => {
    const mnistExample = parse({ name: 'step_lr', step_size: 1, gamma: 0.7 });
    // 0.7^(938−1) is far below 1e-6; counted in epochs, one epoch holds one rate.
    expect(lowestRateShare(mnistExample, { lr: 1 }, 938 * 14, 938)).toBeLessThan(1e-6);
    expect(lowestRateShare(parse({ name: 'step_lr', step_size: 300, gamma: 0.7 }), { lr: 1 }, 938 * 14, 938)).toBeCloseTo(0.7 ** 3, 12);
  });
});

const TOY = (scheduler: string) => `name: toy
data: {dataset: synthetic, task: uniform, features: 2, targets: 1, n_train: 40, n_test: 20, batch_size: 10}
model: {layers: [{linear: 4}, relu, {linear: 1}, sigmoid]}
loss: bce
optimizer: {name: sgd, lr: 0.5}
scheduler: ${scheduler}
train: {epochs: 3}
`;

function lrColumn(out: string): { epoch: number; lr: number }[] {
  const dir = join(out, 'toy');
  const run = join(dir, 'latest');
  const [header, ...rows] = readFileSync(join(run, 'steps.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  return rows.map((r) => ({ epoch: Number(r[header.indexOf('epoch')]), lr: Number(r[header.indexOf('lr')]) }));
}

describe('adam-lab train with a schedule per epoch', () => {
  it('holds one rate per epoch, lr·γ^(epoch−1), as a PyTorch loop stepping the scheduler per epoch', async () => {
    const out = tempDir();
    const result = await runCli('train', writeConfig(TOY('{name: step_lr, step_size: 1, gamma: 0.7, interval: epoch}')), '--out', out, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const rows = lrColumn(out);
    expect(rows).toHaveLength(12);
    for (const { epoch, lr } of rows) expect(lr).toBeCloseTo(0.5 * 0.7 ** (epoch - 1), 15);
  });

  it('warns, without failing, when a per-step schedule collapses the rate within the first epoch', async () => {
    const collapsing = await runCli('train', writeConfig(TOY('{name: exponential_lr, gamma: 0.001}')), '--out', tempDir(), '--quiet');
    expect(collapsing.code).toBe(0);
    expect(collapsing.stderr).toMatch(/^warning: the schedule drives the learning rate to 1\.0e-9 of its start within the first epoch \(4 steps\).*scheduler\.interval: epoch/);
    const gentle = await runCli('train', writeConfig(TOY('{name: exponential_lr, gamma: 0.9}')), '--out', tempDir(), '--quiet');
    expect(gentle.stderr).toBe('');
  });
});
