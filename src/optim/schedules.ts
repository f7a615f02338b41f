/**
 * Learning-rate schedules with torch.optim.lr_scheduler's names and semantics: `apply(t, hyper)`
 * sets the values for schedule time t (0-based). With `interval: step` (the default) t counts the
 * optimizer steps taken before this one, as torch's scheduler.step() after every optimizer.step();
 * with `interval: epoch` it counts the epochs finished, as a PyTorch loop that calls
 * scheduler.step() once per epoch — then every count in the schedule (step_size, t_max,
 * milestones, warmup_steps, ...) is in epochs. The training loop chooses t; a schedule only maps it.
 *
 * Each step schedule is a small pure function of t (torch's closed forms; torch's recursive
 * forms agree with them to rounding). one_cycle_lr also cycles momentum (β1 for the Adam
 * family). reduce_lr_on_plateau is the one stateful schedule: it reads an evaluation metric.
 */
import { z } from 'zod';
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
}

/** lr at schedule time t from the base lr (the optimizer's configured lr). */
type LrCurve = (t: number, baseLr: number) => number;

/**
 * A curve's options, and the length of the run it schedules (in its interval), which t_max
 * defaults to: a cosine that decays over the whole run without counting its steps.
 */
type CurveFactory<O> = (o: O, length: number) => LrCurve;

const positiveInt = () => z.int().min(1);
const factor = (defaultValue: number) => z.number().min(0).max(1).default(defaultValue);
const gamma = (defaultValue?: number) => {
  const value = z.number().gt(0);
  return (defaultValue === undefined ? value : value.default(defaultValue)).describe('multiplicative factor of each decay');
};
const etaMin = () => z.number().min(0).default(0).describe('lowest learning rate η_min');
const totalIters = () => positiveInt().default(5).describe('steps until the factor reaches its end');

const cosineBetween = (from: number, to: number, fraction: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * fraction))) / 2;

const curves = {
  step_lr: {
    rule: 'γ_t = γ·gamma^⌊t/step_size⌋',
    options: z.strictObject({ step_size: positiveInt().describe('steps between decays'), gamma: gamma(0.1) }),
    curve: (o: { step_size: number; gamma: number }): LrCurve => (t, lr) => lr * o.gamma ** Math.floor(t / o.step_size),
  },
  multi_step_lr: {
    rule: 'γ_t = γ·gamma^(number of milestones ≤ t)',
    options: z.strictObject({ milestones: z.array(z.int().min(0)).min(1).describe('steps at which lr is multiplied by gamma'), gamma: gamma(0.1) }),
    curve: (o: { milestones: number[]; gamma: number }): LrCurve => (t, lr) => lr * o.gamma ** o.milestones.reduce((passed, m) => passed + (m <= t ? 1 : 0), 0),
  },
  exponential_lr: {
    rule: 'γ_t = γ·gamma^t',
    options: z.strictObject({ gamma: gamma() }),
    curve: (o: { gamma: number }): LrCurve => (t, lr) => lr * o.gamma ** t,
  },
  cosine_annealing_lr: {
    rule: 'γ_t = η_min + (γ − η_min)(1 + cos(π·t/t_max))/2',
    options: z.strictObject({ t_max: positiveInt().optional().describe("steps of a half cosine (default: the run's length)"), eta_min: etaMin() }),
    curve:
      (o: { t_max?: number; eta_min: number }, length: number): LrCurve =>
      (t, lr) =>
        cosineBetween(lr, o.eta_min, t / (o.t_max ?? length)),
  },
  cosine_annealing_warm_restarts: {
    rule: 'γ_t = η_min + (γ − η_min)(1 + cos(π·T_cur/T_i))/2, restarting after T_i = t_0·t_multⁱ steps',
    options: z.strictObject({
      t_0: positiveInt().describe('steps until the first restart'),
      t_mult: positiveInt().default(1).describe('factor by which each period grows'),
      eta_min: etaMin(),
    }),
    curve:
      (o: { t_0: number; t_mult: number; eta_min: number }): LrCurve =>
      (t, lr) => {
        let period = o.t_0;
        let position = t;
        while (position >= period) {
          position -= period;
          period *= o.t_mult;
        }
        return cosineBetween(lr, o.eta_min, position / period);
      },
  },
  linear_lr: {
    rule: 'γ_t = γ·(start_factor + (end_factor − start_factor)·min(t, total_iters)/total_iters)',
    options: z.strictObject({
      start_factor: z.number().gt(0).max(1).default(1 / 3).describe('lr factor at step 0'),
      end_factor: factor(1).describe('lr factor from total_iters on'),
      total_iters: totalIters(),
    }),
    curve:
      (o: { start_factor: number; end_factor: number; total_iters: number }): LrCurve =>
      (t, lr) =>
        lr * (o.start_factor + ((o.end_factor - o.start_factor) * Math.min(t, o.total_iters)) / o.total_iters),
  },
  constant_lr: {
    rule: 'γ_t = γ·factor for t < total_iters, then γ',
    options: z.strictObject({ factor: factor(1 / 3).describe('lr factor before total_iters'), total_iters: totalIters() }),
    curve: (o: { factor: number; total_iters: number }): LrCurve => (t, lr) => (t < o.total_iters ? lr * o.factor : lr),
  },
  polynomial_lr: {
    rule: 'γ_t = γ·(1 − min(t, total_iters)/total_iters)^power',
    options: z.strictObject({ total_iters: totalIters(), power: z.number().min(0).default(1).describe('power of the polynomial') }),
    curve: (o: { total_iters: number; power: number }): LrCurve => (t, lr) => lr * (1 - Math.min(t, o.total_iters) / o.total_iters) ** o.power,
  },
} as const;

type CurveName = keyof typeof curves;
const curveNames = Object.keys(curves) as CurveName[];

/** A schedule that may be a part of sequential_lr or follow linear_warmup: any lr-only step schedule. */
export const curveSchema = z.discriminatedUnion(
  'name',
  curveNames.map((name) => curves[name].options.extend({ name: z.literal(name) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);
type CurveConfig = { name: CurveName } & Record<string, unknown>;

/** The curve of a config, over a run of `length` (in its interval). */
function curveOf(config: CurveConfig, length: number): LrCurve {
  const { name, ...options } = config;
  return (curves[name].curve as CurveFactory<unknown>)(options, length);
}

const sequentialOptions = z
  .strictObject({
    schedulers: z.array(curveSchema).min(2).describe('the schedules, in order'),
    milestones: z.array(z.int().min(1)).min(1).describe('steps at which the next schedule takes over'),
  })
  .refine((o) => o.milestones.length === o.schedulers.length - 1, { message: 'needs one milestone fewer than schedulers', path: ['milestones'] })
  .refine((o) => o.milestones.every((m, i) => i === 0 || m > o.milestones[i - 1]), { message: 'must increase', path: ['milestones'] });

/**
 * torch.optim.lr_scheduler.SequentialLR: part k runs from milestone k−1, with its own t starting
 * at 0; its length (for a default t_max) is up to the next milestone, or to the run's end.
 */
function sequential(o: z.output<typeof sequentialOptions>, length: number): LrCurve {
  const starts = [0, ...o.milestones];
  const parts = o.schedulers.map((s, k) => curveOf(s as CurveConfig, (starts[k + 1] ?? Math.max(length, starts[k] + 1)) - starts[k]));
  return (t, lr) => {
    let k = 0;
    while (k < o.milestones.length && t >= o.milestones[k]) k++;
    return parts[k](t - (k === 0 ? 0 : o.milestones[k - 1]), lr);
  };
}

const warmupOptions = z.strictObject({
  warmup_steps: positiveInt().describe('steps of the linear rise'),
  start_factor: z.number().min(0).lt(1).default(0).describe('lr factor at step 0'),
  /** What follows the warm-up (its t starts at 0 when the warm-up ends); constant if absent. */
  then: curveSchema.optional().describe('the schedule after the warm-up (constant lr if absent)'),
});

/** linear_warmup: γ rises linearly from start_factor·γ over warmup_steps, then `then` takes over. */
function warmup(o: z.output<typeof warmupOptions>, length: number): LrCurve {
  const after = o.then === undefined ? (_t: number, lr: number) => lr : curveOf(o.then as CurveConfig, Math.max(1, length - o.warmup_steps));
  return (t, lr) => (t < o.warmup_steps ? lr * (o.start_factor + ((1 - o.start_factor) * t) / o.warmup_steps) : after(t - o.warmup_steps, lr));
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
 * torch.optim.lr_scheduler.OneCycleLR (Smith & Topin 2018): lr rises from max_lr/div_factor to
 * max_lr over pct_start of the cycle and anneals to max_lr/(div_factor·final_div_factor);
 * momentum (β1) moves the opposite way between max_momentum and base_momentum.
 */
function oneCycle(o: z.output<typeof oneCycleOptions>, length: number): Omit<Schedule, 'interval'> {
  const total = o.total_steps ?? length;
  const initialLr = o.max_lr / o.div_factor;
  const minLr = initialLr / o.final_div_factor;
  const up = o.pct_start * total - 1;
  const phases = o.three_phase
    ? [
        { end: up, lr: [initialLr, o.max_lr], momentum: [o.max_momentum, o.base_momentum] },
        { end: 2 * o.pct_start * total - 2, lr: [o.max_lr, initialLr], momentum: [o.base_momentum, o.max_momentum] },
        { end: total - 1, lr: [initialLr, minLr], momentum: [o.max_momentum, o.max_momentum] },
      ]
    : [
        { end: up, lr: [initialLr, o.max_lr], momentum: [o.max_momentum, o.base_momentum] },
        { end: total - 1, lr: [o.max_lr, minLr], momentum: [o.base_momentum, o.max_momentum] },
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
  let best = o.mode === 'min' ? Infinity : -Infinity;
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
