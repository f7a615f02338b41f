/**
 * Learning-rate schedules with torch.optim.lr_scheduler's names and semantics: `apply(t, hyper)`
 * sets the values for schedule time t (0-based). With `interval: step` (the default) t counts the
 * optimizer steps taken before this one, as torch's scheduler.step() after every optimizer.step();
 * with `interval: epoch` it counts the epochs finished, as a PyTorch loop that calls
 * scheduler.step() once per epoch — then every count in the schedule (step_size, t_max,
 * milestones, warmup_steps, ...) is in epochs. The training loop chooses t; a schedule only maps it.
 *
 * Each step schedule is a small pure function of t (lr-curves.ts). one_cycle_lr also cycles
 * momentum (β1 for the Adam family). reduce_lr_on_plateau is the one stateful schedule: it reads
 * an evaluation metric.
 */
import { z } from 'zod';
import { cosineBetween, curveNames, curveOf, curves, positiveInt, sequential, sequentialOptions, warmup, warmupOptions, type LrCurve } from './lr-curves.js';
import type { Hyperparams } from './transform.js';

/** What an evaluation measured (test_loss, train_loss, ...; null where there was nothing to measure). */
export type Metrics = Readonly<Record<string, number | null>>;

export type ScheduleInterval = 'step' | 'epoch';

export interface Schedule {
  /** What t counts: optimizer steps or finished epochs. */
  readonly interval: ScheduleInterval;
  /**
   * Sets every parameter group's values for time t, each group scaled from its own initial rate
   * as torch's schedulers do (one_cycle_lr gives every group the one max_lr's cycle, as torch does
   * with a scalar max_lr).
   */
  apply(t: number, groups: readonly Hyperparams[]): void;
  /** After each evaluation; only reduce_lr_on_plateau uses it. */
  observe(metrics: Metrics): void;
  /** The counters a checkpoint keeps: null for a schedule that is a function of t alone (all but reduce_lr_on_plateau). */
  snapshot?(): PlateauSnapshot;
  restore?(snapshot: PlateauSnapshot): void;
}

/** reduce_lr_on_plateau's counters; `best` is null until a first evaluation (a JSON file has no infinities). */
export interface PlateauSnapshot {
  readonly best: number | null;
  readonly bad_evaluations: number;
  readonly cooldown_left: number;
  readonly lrs: readonly number[];
}


const oneCycleOptions = z.strictObject({
  max_lr: z.number().gt(0).describe('peak learning rate'),
  /** Length of the cycle; defaults to the run's number of steps. */
  total_steps: positiveInt().optional().describe("length of the cycle (default: the run's steps)"),
  pct_start: z.number().gt(0).lt(1).default(0.3).describe('share of the cycle spent raising lr'),
  anneal_strategy: z.enum(['cos', 'linear']).default('cos').describe('shape of the ramps'),
  cycle_momentum: z.boolean().default(true).describe('cycle momentum (β1) inversely to lr'),
  base_momentum: z.number().min(0).max(1).default(0.85).describe('momentum at peak lr'),
  max_momentum: z.number().min(0).max(1).default(0.95).describe('momentum at the ends'),
  div_factor: z.number().gt(0).default(25).describe('initial lr = max_lr/div_factor'),
  final_div_factor: z.number().gt(0).default(1e4).describe('final lr = initial lr/final_div_factor'),
  three_phase: z.boolean().default(false).describe('come back down to the initial lr before annealing'),
});

/**
 * The step at which each of OneCycleLR's phases ends, as torch computes them (phases start where
 * the previous one ends, the first at step 0). torch divides by each phase's length, so a phase
 * of length 0 or less (a cycle too short for its pct_start) has no schedule: config validation refuses it.
 */
export function oneCyclePhaseEnds(o: Pick<z.output<typeof oneCycleOptions>, 'total_steps' | 'pct_start' | 'three_phase'>, length: number): number[] {
  const total = o.total_steps ?? length;
  const up = o.pct_start * total - 1;
  return o.three_phase ? [up, 2 * o.pct_start * total - 2, total - 1] : [up, total - 1];
}

/**
 * torch.optim.lr_scheduler.OneCycleLR (Smith & Topin 2018): lr rises from max_lr/div_factor to
 * max_lr over pct_start of the cycle and anneals to max_lr/(div_factor·final_div_factor);
 * momentum (β1) moves the opposite way between max_momentum and base_momentum.
 */
function oneCycle(o: z.output<typeof oneCycleOptions>, length: number): Omit<Schedule, 'interval'> {
  const initialLr = o.max_lr / o.div_factor;
  const minLr = initialLr / o.final_div_factor;
  const ends = oneCyclePhaseEnds(o, length);
  const phases = o.three_phase
    ? [
        { end: ends[0], lr: [initialLr, o.max_lr], momentum: [o.max_momentum, o.base_momentum] },
        { end: ends[1], lr: [o.max_lr, initialLr], momentum: [o.base_momentum, o.max_momentum] },
        { end: ends[2], lr: [initialLr, minLr], momentum: [o.max_momentum, o.max_momentum] },
      ]
    : [
        { end: ends[0], lr: [initialLr, o.max_lr], momentum: [o.max_momentum, o.base_momentum] },
        { end: ends[1], lr: [o.max_lr, minLr], momentum: [o.base_momentum, o.max_momentum] },
      ];
  const anneal = o.anneal_strategy === 'cos' ? cosineBetween : (from: number, to: number, f: number) => (to - from) * f + from;
  const set = (hyper: Hyperparams, lr: number, momentum: number): void => {
    hyper.lr = lr;
    if (!o.cycle_momentum) return;
    if (hyper.beta1 !== undefined) hyper.beta1 = momentum;
    else hyper.momentum = momentum;
  };
  return {
    apply(t, groups) {
      let start = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i];
        if (t <= phase.end || i === phases.length - 1) {
          const fraction = (t - start) / (phase.end - start);
          const lr = anneal(phase.lr[0], phase.lr[1], fraction);
          const momentum = anneal(phase.momentum[0], phase.momentum[1], fraction);
          for (const hyper of groups) set(hyper, lr, momentum);
          return;
        }
        start = phase.end;
      }
    },
    observe() {},
  };
}

const plateauOptions = z.strictObject({
  /**
   * The evaluation value watched after every evaluation. Left out, the config fills it in
   * (schema.ts): val_loss when data.validation holds data out, else test_loss.
   */
  metric: z
    .enum(['test_loss', 'val_loss', 'train_loss', 'test_accuracy', 'val_accuracy', 'train_accuracy'])
    .optional()
    .describe('the evaluation value watched (default: val_loss with data.validation, else test_loss)'),
  mode: z.enum(['min', 'max']).default('min').describe('min: lower is better; max: higher is better'),
  factor: z.number().gt(0).lt(1).default(0.1).describe('lr ← lr·factor on a plateau'),
  patience: z.int().min(0).default(10).describe('evaluations without improvement before reducing'),
  threshold: z.number().min(0).default(1e-4).describe('smallest change that counts as improvement'),
  threshold_mode: z.enum(['rel', 'abs']).default('rel').describe('threshold relative to the best value, or absolute'),
  cooldown: z.int().min(0).default(0).describe('evaluations to wait after a reduction'),
  min_lr: z.number().min(0).default(0).describe('lowest learning rate'),
  eps: z.number().min(0).default(1e-8).describe('reductions smaller than this are skipped'),
});

/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau: every group's lr ← max(lr·factor, min_lr) after
 * `patience` evaluations without improvement (a group whose reduction is below eps keeps its rate).
 */
function plateau(o: z.output<typeof plateauOptions>, bases: readonly Hyperparams[]): Omit<Schedule, 'interval'> {
  // A config always names the metric (schema.ts); a schedule built on its own watches test_loss.
  const watched = o.metric ?? 'test_loss';
  const lrs = bases.map((b) => b.lr);
  const initialBest = o.mode === 'min' ? Infinity : -Infinity;
  let best = initialBest;
  let badEvaluations = 0;
  let cooldownLeft = 0;
  const improves = (value: number): boolean => {
    if (o.mode === 'min') return o.threshold_mode === 'rel' ? value < best * (1 - o.threshold) : value < best - o.threshold;
    return o.threshold_mode === 'rel' ? value > best * (1 + o.threshold) : value > best + o.threshold;
  };
  return {
    apply(_t, groups) {
      for (let i = 0; i < groups.length; i++) groups[i].lr = lrs[i];
    },
    observe(metrics) {
      const value = metrics[watched];
      if (value === null || value === undefined) throw new RangeError(`reduce_lr_on_plateau watches ${watched}, which this run does not measure`);
      if (improves(value)) {
        best = value;
        badEvaluations = 0;
      } else badEvaluations++;
      if (cooldownLeft > 0) {
        cooldownLeft--;
        badEvaluations = 0;
      }
      if (badEvaluations > o.patience) {
        for (let i = 0; i < lrs.length; i++) {
          const reduced = Math.max(lrs[i] * o.factor, o.min_lr);
          if (lrs[i] - reduced > o.eps) lrs[i] = reduced;
        }
        cooldownLeft = o.cooldown;
        badEvaluations = 0;
      }
    },
    snapshot: () => ({ best: Number.isFinite(best) ? best : null, bad_evaluations: badEvaluations, cooldown_left: cooldownLeft, lrs: [...lrs] }),
    restore(s) {
      if (s.lrs.length !== lrs.length) throw new RangeError(`reduce_lr_on_plateau: ${s.lrs.length} group rates to restore, ${lrs.length} groups`);
      best = s.best ?? initialBest;
      badEvaluations = s.bad_evaluations;
      cooldownLeft = s.cooldown_left;
      lrs.splice(0, lrs.length, ...s.lrs);
    },
  };
}

function fromCurve(curve: LrCurve, bases: readonly Hyperparams[]): Omit<Schedule, 'interval'> {
  const baseLrs = bases.map((b) => b.lr);
  return {
    apply(t, groups) {
      for (let i = 0; i < groups.length; i++) groups[i].lr = curve(t, baseLrs[i]);
    },
    observe() {},
  };
}

export interface ScheduleKind {
  readonly schema: z.ZodObject;
  readonly rule: string;
  /** `length`: the run's planned length in the schedule's interval (steps or epochs). */
  create(options: Record<string, unknown>, bases: readonly Hyperparams[], length: number): Omit<Schedule, 'interval'>;
}

const interval = () =>
  z.enum(['step', 'epoch']).default('step').describe('step: advance after every optimizer step; epoch: after every epoch, every count in epochs');

function kind<S extends z.ZodObject>(name: string, options: S, rule: string, create: (o: z.output<S>, bases: readonly Hyperparams[], length: number) => Omit<Schedule, 'interval'>): ScheduleKind {
  return { schema: options.extend({ name: z.literal(name), interval: interval() }), rule, create: (o, bases, length) => create(o as z.output<S>, bases, length) };
}

export const scheduleKinds: Readonly<Record<string, ScheduleKind>> = {
  ...Object.fromEntries(
    curveNames.map((name) => [name, kind(name, curves[name].options, curves[name].rule, (o, bases, length) => fromCurve(curveOf({ name, ...o }, length), bases))]),
  ),
  sequential_lr: kind('sequential_lr', sequentialOptions, 'schedulers[k] from milestones[k−1] on, each with its own t from 0', (o, bases, length) =>
    fromCurve(sequential(o, length), bases),
  ),
  linear_warmup: kind('linear_warmup', warmupOptions, 'γ_t = γ·(start_factor + (1 − start_factor)·t/warmup_steps), then `then`', (o, bases, length) =>
    fromCurve(warmup(o, length), bases),
  ),
  one_cycle_lr: kind('one_cycle_lr', oneCycleOptions, 'lr max_lr/div_factor → max_lr → min over total_steps; momentum inversely', (o, _b, length) =>
    oneCycle(o, length),
  ),
  reduce_lr_on_plateau: kind('reduce_lr_on_plateau', plateauOptions, 'γ ← max(γ·factor, min_lr) after patience evaluations without improvement', (o, bases) =>
    plateau(o, bases),
  ),
};

export type ScheduleConfig = { readonly name: string } & Record<string, unknown>;

/**
 * The schedule of a config over parameter groups whose initial values are `bases` (copied: the
 * rates it scales from); `length` is the run's planned length in the schedule's interval (steps,
 * or epochs with `interval: epoch`).
 */
export function createSchedule(config: ScheduleConfig, bases: readonly Hyperparams[], length: number): Schedule {
  const { name, interval = 'step', ...options } = config;
  return { interval: interval as ScheduleInterval, ...scheduleKinds[name].create(options, bases.map((b) => ({ ...b })), length) };
}

/**
 * The lowest rate a schedule sets over its first `steps` steps, as a share of its rate at step 0:
 * a per-step schedule written with per-epoch counts (torch's MNIST example's step_lr with
 * step_size 1, gamma 0.7) collapses within the first epoch, which training cannot tell from a
 * bad optimizer.
 */
export function lowestRateShare(config: ScheduleConfig, base: Readonly<Hyperparams>, length: number, steps: number): number {
  const schedule = createSchedule(config, [base], length);
  const hyper = { ...base };
  schedule.apply(0, [hyper]);
  const start = hyper.lr;
  let lowest = start;
  for (let t = 1; t < steps; t++) {
    schedule.apply(t, [hyper]);
    lowest = Math.min(lowest, hyper.lr);
  }
  return lowest / start;
}
