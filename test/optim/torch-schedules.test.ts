/**
 * LR schedules against PyTorch's torch.optim.lr_scheduler.
 *
 * The fixture test/fixtures/torch/schedules.json was written by test/fixtures/torch/generate.py
 * (PyTorch 1.13, torch 2.x semantics; every sequence also checked there against the closed form
 * in torch's documentation). To regenerate it:
 *
 *     /usr/bin/python3 test/fixtures/torch/generate.py
 *
 * A new schedule or option set is a new row in the script's SCHEDULE_CASES table; this test runs
 * every case the fixture holds.
 *
 * Each case gives the schedule's full option record (torch's names, lower case: t_max, t_0), the
 * optimizer it was attached to (base lr 0.1, SGD with momentum 0.9 unless stated) and, per
 * optimizer step t (0-based), the lr torch used: scheduler.step() after every optimizer.step().
 * Ours is createSchedule(config, base, steps), base being the optimizer's initial hyperparameters,
 * and apply(t, hyper) sets the values of step t. one_cycle_lr also cycles the momentum (SGD) or β1
 * (Adam), given in `momentum`. reduce_lr_on_plateau is fed `metrics` through observe(); lr[i] is
 * the lr after the i-th metric.
 *
 * Tolerance: |ours − torch| ≤ 1e-7·|torch| (+1e-16, for the lr of exactly 0 that polynomial_lr
 * reaches). torch computes several schedules recursively (lr ← lr·factor) and ours may use the
 * closed form, so the two agree to rounding, not bit for bit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optimizerSchema, scheduleSchema } from '../../src/config/schema.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { createSchedule } from '../../src/optim/schedules.js';

type ScheduleConfig = Parameters<typeof createSchedule>[0];

const RELATIVE = 1e-7;
const ABSOLUTE = 1e-16;

interface ScheduleCase {
  id: string;
  schedule: { name: string } & Record<string, unknown>;
  optimizer: { name: string } & Record<string, unknown>;
  note?: string;
  /** lr of each optimizer step; for reduce_lr_on_plateau, the lr after each metric. */
  lr: number[];
  /** one_cycle_lr: the momentum (SGD) or β1 (Adam) of each step. */
  momentum?: number[];
  /** reduce_lr_on_plateau: the evaluation values, in order. */
  metrics?: number[];
}

interface ScheduleFixture {
  steps: number;
  cases: ScheduleCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/torch/schedules.json', import.meta.url), 'utf8'),
) as ScheduleFixture;

const close = (ours: number | undefined, torch: number): boolean =>
  ours !== undefined && Math.abs(ours - torch) <= RELATIVE * Math.abs(torch) + ABSOLUTE;

describe('LR schedules match torch (schedules.json)', () => {
  it('holds every case the brief asks for', () => {
    expect(fixture.cases.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'step_lr',
        'multi_step_lr',
        'exponential_lr',
        'cosine_annealing_lr',
        'cosine_annealing_warm_restarts_t_mult_2',
        'cosine_annealing_warm_restarts',
        'linear_lr',
        'polynomial_lr',
        'one_cycle_lr',
        'one_cycle_lr_linear_three_phase',
        'one_cycle_lr_adam',
        'sequential_lr_warmup_cosine',
        'sequential_lr_three_parts',
        'constant_lr',
        'reduce_lr_on_plateau_min_rel',
        'reduce_lr_on_plateau_max_abs',
      ]),
    );
    expect(fixture.steps).toBeGreaterThanOrEqual(120);
    for (const c of fixture.cases) {
      if (c.metrics === undefined) expect(c.lr, c.id).toHaveLength(fixture.steps);
      else {
        expect(c.lr.length, c.id).toBe(c.metrics.length);
        expect(c.metrics.length, c.id).toBeGreaterThanOrEqual(100);
      }
    }
  });

  for (const c of fixture.cases) {
    it(`${c.id}: ${JSON.stringify(c.schedule)}`, () => {
      const optimizerConfig = optimizerSchema.parse(c.optimizer) as OptimizerConfig;
      expect(optimizerConfig).toEqual(c.optimizer);
      const optimizer = createOptimizer(optimizerConfig, new Float32Array(1));
      const hyper = optimizer.hyper;
      // The fixture's record names every torch option: parsing must not change any of them
      // (adam-lab may have options of its own, hence toMatchObject).
      const config = scheduleSchema.parse(c.schedule) as ScheduleConfig;
      expect(config).toMatchObject(c.schedule);
      const schedule = createSchedule(config, [{ ...hyper }], fixture.steps);

      if (c.metrics !== undefined) {
        // Before any evaluation, the optimizer's own lr.
        schedule.apply(0, [hyper]);
        expect(hyper.lr, 'before the first metric').toBe(c.optimizer.lr);
        c.metrics.forEach((metric, i) => {
          // The schedule watches its `metric` option (test_loss by default) in each evaluation.
          schedule.observe({ test_loss: metric });
          // The step that follows the i-th evaluation.
          schedule.apply(i + 1, [hyper]);
          expect(close(hyper.lr, c.lr[i]), `after metrics[${i}] = ${metric}: ours ${hyper.lr}, torch ${c.lr[i]}`).toBe(true);
        });
        return;
      }

      // one_cycle_lr cycles β1 where torch's optimizer has betas, momentum otherwise.
      const momentumOf = (): number | undefined => ('betas' in c.optimizer ? hyper.beta1 : hyper.momentum);
      for (let t = 0; t < c.lr.length; t++) {
        schedule.apply(t, [hyper]);
        expect(close(hyper.lr, c.lr[t]), `step ${t} lr: ours ${hyper.lr}, torch ${c.lr[t]}`).toBe(true);
        if (c.momentum !== undefined) {
          const ours = momentumOf();
          expect(close(ours, c.momentum[t]), `step ${t} momentum: ours ${ours}, torch ${c.momentum[t]}`).toBe(true);
        }
      }
    });
  }
});

describe('linear_warmup (adam-lab shorthand for sequential_lr of linear_lr and the next schedule)', () => {
  it("follows torch's warm-up into cosine annealing (the sequential_lr_warmup_cosine case)", () => {
    const torch = fixture.cases.find((c) => c.id === 'sequential_lr_warmup_cosine')!;
    const [warm, cosine] = torch.schedule.schedulers as [{ start_factor: number; total_iters: number }, { t_max: number }];
    const config = scheduleSchema.parse({
      name: 'linear_warmup',
      start_factor: warm.start_factor,
      warmup_steps: warm.total_iters,
      then: { name: 'cosine_annealing_lr', t_max: cosine.t_max },
    }) as ScheduleConfig;
    const hyper = createOptimizer(optimizerSchema.parse(torch.optimizer) as OptimizerConfig, new Float32Array(1)).hyper;
    const schedule = createSchedule(config, [{ ...hyper }], fixture.steps);
    for (let t = 0; t < torch.lr.length; t++) {
      schedule.apply(t, [hyper]);
      expect(close(hyper.lr, torch.lr[t]), `step ${t} lr: ours ${hyper.lr}, torch ${torch.lr[t]}`).toBe(true);
    }
  });

  it('without `then`, holds the base lr after the warm-up', () => {
    const config = scheduleSchema.parse({ name: 'linear_warmup', start_factor: 0.5, warmup_steps: 4 }) as ScheduleConfig;
    const hyper = { lr: 0.2 };
    const schedule = createSchedule(config, [{ ...hyper }], 10);
    const lrs = Array.from({ length: 7 }, (_, t) => {
      schedule.apply(t, [hyper]);
      return hyper.lr;
    });
    // 0.2·(0.5 + 0.5·t/4) for t < 4, then 0.2
    [0.1, 0.125, 0.15, 0.175, 0.2, 0.2, 0.2].forEach((expected, t) => expect(lrs[t], `step ${t}`).toBeCloseTo(expected, 15));
  });
});
