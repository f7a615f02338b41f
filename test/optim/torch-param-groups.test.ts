/**
 * Parameter groups against PyTorch's param_groups.
 *
 * The fixture test/fixtures/torch/param_groups.json was written by
 * test/fixtures/torch/param_groups.py (PyTorch 1.13, float32, fixed seeds; torch 2.x's optimizer
 * defaults from generate.py). To regenerate it:
 *
 *     /usr/bin/python3 test/fixtures/torch/param_groups.py
 *
 * and commit the JSON (CI never runs Python). A new case is a row in the script's CASES table.
 *
 * Each case starts nn.Sequential(Linear(6,8), Tanh(), Linear(8,5), Tanh(), Linear(5,3)) from the
 * same initial parameters and takes 60 steps on one fixed batch of 8 with CrossEntropyLoss, its
 * optimizer split into groups by `param_groups`: every optimizer with two or three groups (per-group
 * lr, weight decay and other options, a frozen group), clipping by norm and by value over the
 * trainable tensors, every schedule kind over two groups of different rates. The script resolves the groups as src/optim/groups.ts does and
 * records them; we first check that we resolve them the same way, then run our own trajectory
 * (never resynchronised with torch) through createOptimizer with the model's tensor views, as the
 * training step does, and compare:
 *  - the loss before every step: |ours − torch| ≤ 1e-5·max(|torch|, 1e-2) + drift, drift being
 *    torch's own float32 run's distance from the float64 one (see torch-trajectories.test.ts);
 *  - every trainable group's lr (and one_cycle_lr's momentum or β1) at every step: exactly the
 *    configured lr without a schedule, else to 1e-7 relative (torch's schedules are partly recursive);
 *  - every tensor after the last step, to the same tolerance as the loss (drift per tensor);
 *  - every frozen tensor, bit for bit its initial value;
 *  - the names of each tensor's optimizer state (exp_avg, momentum_buffer, ...) as torch's, and
 *    none for a frozen tensor.
 * reduce_lr_on_plateau watches train_loss and is fed torch's loss of each step (the values its
 * rate followed), so that a threshold comparison cannot flip on a last-digit difference.
 *
 * Set TORCH_FIXTURE_REPORT=1 to print, per case, the worst relative error |ours − torch| /
 * max(|torch|, 1e-2) of the loss and the final weights, and the worst fraction of the tolerance used.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optimizerSchema, scheduleSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds, type LossName } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { resolveGroups, type ParamGroupConfig } from '../../src/optim/groups.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import { createSchedule } from '../../src/optim/schedules.js';
import { tensorViews } from '../../src/train/build.js';
import { LOOP_OPTIMIZERS } from './loop-optimizer-names.js';

type ScheduleConfig = Parameters<typeof createSchedule>[0];

const RELATIVE = 1e-5;
const FLOOR = 1e-2;
const SCHEDULE_RELATIVE = 1e-7;

interface GroupRecord {
  index: number | null;
  frozen: boolean;
  tensors: string[];
  /** The group's full options (top-level ones where it sets none). */
  options: { name: string } & Record<string, unknown>;
  /** Trainable groups: the lr of every step. */
  lr?: number[];
  /** one_cycle_lr: the momentum (SGD) or β1 (Adam) of every step. */
  momentum?: number[];
}

interface GroupCase {
  id: string;
  optimizer: { name: string; param_groups: ParamGroupConfig[] } & Record<string, unknown>;
  schedule: ({ name: string } & Record<string, unknown>) | null;
  clip: { clip_grad_norm?: number; clip_grad_value?: number } | null;
  note?: string;
  groups: GroupRecord[];
  loss: number[];
  final: Record<string, number[]>;
  /** The names of the per-element state torch holds for each tensor at the end (none when frozen). */
  state: Record<string, string[]>;
  float32_drift: { loss: number[]; final: Record<string, number> };
}

interface GroupFixture {
  model: { layers: LayerConfig[]; input_shape: number[]; loss: LossName };
  parameters: { name: string; shape: number[]; offset: number; size: number }[];
  initial: Record<string, number[]>;
  batch: number;
  x: number[];
  targets: number[];
  steps: number;
  cases: GroupCase[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/param_groups.json', import.meta.url), 'utf8')) as GroupFixture;

const relativeError = (ours: number, torch: number): number => Math.abs(ours - torch) / Math.max(Math.abs(torch), FLOOR);

/** |ours − torch| as a fraction of the tolerance (≤ 1 passes). */
const toleranceUsed = (ours: number, torch: number, drift: number): number => Math.abs(ours - torch) / (RELATIVE * Math.max(Math.abs(torch), FLOOR) + drift);

const scheduleClose = (ours: number | undefined, torch: number): boolean => ours !== undefined && Math.abs(ours - torch) <= SCHEDULE_RELATIVE * Math.abs(torch);

function newModel(): Model {
  const { layers, input_shape } = fixture.model;
  const model = new Model(planModel(layers, input_shape), fixture.batch, 0);
  for (const p of model.parameters) p.value.set(fixture.initial[p.fullName]);
  return model;
}

/** Worst relative errors over all cases, for the report. */
const worst = { loss: 0, weights: 0, used: 0 };

describe('parameter groups match torch (param_groups.json)', () => {
  it('lays the model out as torch and holds the cases the issue asks for', () => {
    const model = newModel();
    expect(tensorViews(model).map(({ name, shape, offset, length }) => ({ name, shape: [...shape], offset, size: length }))).toEqual(fixture.parameters);
    const ids = fixture.cases.map((c) => c.id);
    const scheduleKinds = ['step_lr', 'multi_step_lr', 'exponential_lr', 'cosine_annealing_lr', 'cosine_annealing_warm_restarts', 'linear_lr', 'constant_lr', 'polynomial_lr', 'sequential_lr', 'linear_warmup', 'one_cycle_lr', 'reduce_lr_on_plateau'];
    expect(ids).toEqual(expect.arrayContaining(scheduleKinds.map((k) => `${k}_two_rates`)));
    const withFrozenGroup = fixture.cases.filter((c) => c.groups.some((g) => g.frozen));
    // Those torch 1.13 has (the others' references are float64, in per-tensor-trajectories.test.ts; the loop optimizers' in loop-optimizers.test.ts).
    const inTorch113 = optimizerNames.filter((n) => !['lion', 'lamb', 'lars', 'adafactor', 'muon', 'prodigy', ...LOOP_OPTIMIZERS].includes(n));
    for (const name of inTorch113) expect(withFrozenGroup.some((c) => c.optimizer.name === name), `${name} with a frozen group`).toBe(true);
    expect(withFrozenGroup.some((c) => c.optimizer.amsgrad === true)).toBe(true);
    expect(fixture.cases.some((c) => c.clip?.clip_grad_norm !== undefined && c.groups.some((g) => g.frozen))).toBe(true);
    expect(fixture.steps).toBe(60);
  });

  for (const c of fixture.cases) {
    const extras = [c.clip && JSON.stringify(c.clip), c.schedule && `schedule ${c.schedule.name}`].filter(Boolean);
    it(`${c.id}: ${JSON.stringify(c.optimizer.param_groups)}${extras.length > 0 ? ` + ${extras.join(' + ')}` : ''}`, () => {
      const { batch, x, targets, steps } = fixture;
      const model = newModel();
      const views = tensorViews(model);
      const config = optimizerSchema.parse(c.optimizer) as OptimizerConfig;
      expect(config).toEqual(c.optimizer);

      // The same groups as torch's, in the same order, with the same options.
      const { name, param_groups, ...topLevel } = config as OptimizerConfig & { param_groups: ParamGroupConfig[] };
      const resolved = resolveGroups(views, topLevel, param_groups);
      expect(resolved.map((g) => ({ index: g.index, frozen: g.frozen, tensors: g.tensors.map((t) => t.name) }))).toEqual(
        c.groups.map((g) => ({ index: g.index, frozen: g.frozen, tensors: g.tensors })),
      );
      resolved.forEach((g, k) => expect(optimizerSchema.parse({ ...g.options, name }), `group ${k} options`).toEqual(c.groups[k].options));

      const optimizer = c.clip === null ? createOptimizer(config, model.values, {}, views) : createOptimizer(config, model.values, c.clip, views);
      expect(optimizer.hypers).toHaveLength(c.groups.length);
      const scheduleConfig = c.schedule === null ? null : (scheduleSchema.parse(c.schedule) as ScheduleConfig);
      if (scheduleConfig !== null) expect(scheduleConfig).toMatchObject(c.schedule!);
      const schedule = scheduleConfig === null ? null : createSchedule(scheduleConfig, optimizer.hypers, steps);

      const loss = lossKinds[fixture.model.loss].loss;
      const target = Float32Array.from(targets);
      model.input.set(x);
      let worstLoss = 0;
      let worstUsed = 0;
      for (let step = 0; step < steps; step++) {
        schedule?.apply(step, optimizer.hypers);
        const value = loss.compute(model.forward(batch, 'train'), target, batch, model.outputWidth, model.outputGrad);
        worstLoss = Math.max(worstLoss, relativeError(value, c.loss[step]));
        const lossUsed = toleranceUsed(value, c.loss[step], c.float32_drift.loss[step]);
        worstUsed = Math.max(worstUsed, lossUsed);
        expect(lossUsed, `step ${step + 1} loss: ours ${value}, torch ${c.loss[step]}`).toBeLessThanOrEqual(1);
        c.groups.forEach((g, k) => {
          if (g.lr === undefined) return;
          const hyper = optimizer.hypers[k];
          if (schedule === null) expect(hyper.lr, `step ${step + 1} group ${k} lr`).toBe(g.lr[step]);
          else expect(scheduleClose(hyper.lr, g.lr[step]), `step ${step + 1} group ${k} lr: ours ${hyper.lr}, torch ${g.lr[step]}`).toBe(true);
          if (g.momentum !== undefined) {
            const ours = 'betas' in g.options ? hyper.beta1 : hyper.momentum;
            expect(scheduleClose(ours, g.momentum[step]), `step ${step + 1} group ${k} momentum: ours ${ours}, torch ${g.momentum[step]}`).toBe(true);
          }
        });
        model.backward(batch);
        optimizer.apply(model.grads);
        schedule?.observe({ train_loss: c.loss[step] });
      }

      for (const view of views) expect([...optimizer.tensorState(view).keys()].sort(), `${view.name}'s state`).toEqual(c.state[view.name]);
      let worstWeight = 0;
      const frozen = new Set(c.groups.filter((g) => g.frozen).flatMap((g) => g.tensors));
      for (const p of model.parameters) {
        const name = p.fullName;
        if (frozen.has(name)) {
          // Bit for bit: the Float32Array's values are exactly the float32s torch started from.
          expect([...p.value], `${name} is frozen`).toEqual(fixture.initial[name]);
          expect(c.final[name], `${name} is frozen in torch`).toEqual(fixture.initial[name]);
          continue;
        }
        const expected = c.final[name];
        const drift = c.float32_drift.final[name];
        p.value.forEach((ours, i) => {
          worstWeight = Math.max(worstWeight, relativeError(ours, expected[i]));
          const used = toleranceUsed(ours, expected[i], drift);
          worstUsed = Math.max(worstUsed, used);
          expect(used, `${name}[${i}] after the last step: ours ${ours}, torch ${expected[i]}, drift ${drift}`).toBeLessThanOrEqual(1);
        });
      }
      worst.loss = Math.max(worst.loss, worstLoss);
      worst.weights = Math.max(worst.weights, worstWeight);
      worst.used = Math.max(worst.used, worstUsed);
      if (process.env.TORCH_FIXTURE_REPORT) {
        console.log(`${c.id}: worst relative error: loss ${worstLoss.toExponential(2)}, final weights ${worstWeight.toExponential(2)}; worst fraction of tolerance used ${worstUsed.toFixed(2)}`);
      }
    });
  }

  it.runIf(process.env.TORCH_FIXTURE_REPORT)('reports the worst relative errors', () => {
    console.log(`all cases: worst relative error: loss ${worst.loss.toExponential(2)}, final weights ${worst.weights.toExponential(2)}; worst fraction of tolerance used ${worst.used.toFixed(2)}`);
  });
});
