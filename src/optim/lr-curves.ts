/**
 * Closed-form learning-rate curves: lr at schedule time t from the base rate, for the step
 * schedules of torch.optim.lr_scheduler (torch's closed forms; its recursive forms agree with
 * them to rounding), sequential_lr and linear_warmup. schedules.ts makes schedules of them.
 */
import { z } from 'zod';

/** lr at schedule time t from the base lr (the optimizer's configured lr). */
export type LrCurve = (t: number, baseLr: number) => number;

/**
 * A curve's options, and the length of the run it schedules (in its interval), which t_max
 * defaults to: a cosine that decays over the whole run without counting its steps.
 */
type CurveFactory<O> = (o: O, length: number) => LrCurve;

export const positiveInt = () => z.int().min(1);
const factor = (defaultValue: number) => z.number().min(0).max(1).default(defaultValue);
const gamma = (defaultValue?: number) => {
  const value = z.number().gt(0);
  return (defaultValue === undefined ? value : value.default(defaultValue)).describe('multiplicative factor of each decay');
};
const etaMin = () => z.number().min(0).default(0).describe('lowest learning rate η_min');
const totalIters = () => positiveInt().default(5).describe('steps until the factor reaches its end');

export const cosineBetween = (from: number, to: number, fraction: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * fraction))) / 2;

export const curves = {
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
  inverse_sqrt_lr: {
    // No torch name: LambdaLR(lambda t: 1/sqrt(t + 1)), the α_t = α/√t of online convex optimization
    // (Reddi et al. 2018, Theorem 4) with t counted from 1 as steps.csv counts steps.
    rule: 'γ_t = γ/√(t + 1)',
    options: z.strictObject({}),
    curve: (): LrCurve => (t, lr) => lr / Math.sqrt(t + 1),
  },
  polynomial_lr: {
    rule: 'γ_t = γ·(1 − min(t, total_iters)/total_iters)^power',
    options: z.strictObject({ total_iters: totalIters(), power: z.number().min(0).default(1).describe('power of the polynomial') }),
    curve: (o: { total_iters: number; power: number }): LrCurve => (t, lr) => lr * (1 - Math.min(t, o.total_iters) / o.total_iters) ** o.power,
  },
} as const;

type CurveName = keyof typeof curves;
export const curveNames = Object.keys(curves) as CurveName[];

/** A schedule that may be a part of sequential_lr or follow linear_warmup: any lr-only step schedule. */
const curveSchema = z.discriminatedUnion(
  'name',
  curveNames.map((name) => curves[name].options.extend({ name: z.literal(name) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);
type CurveConfig = { name: CurveName } & Record<string, unknown>;

/** The curve of a config, over a run of `length` (in its interval). */
export function curveOf(config: CurveConfig, length: number): LrCurve {
  const { name, ...options } = config;
  return (curves[name].curve as CurveFactory<unknown>)(options, length);
}

export const sequentialOptions = z
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
export function sequential(o: z.output<typeof sequentialOptions>, length: number): LrCurve {
  const starts = [0, ...o.milestones];
  const parts = o.schedulers.map((s, k) => curveOf(s as CurveConfig, (starts[k + 1] ?? Math.max(length, starts[k] + 1)) - starts[k]));
  return (t, lr) => {
    let k = 0;
    while (k < o.milestones.length && t >= o.milestones[k]) k++;
    return parts[k](t - (k === 0 ? 0 : o.milestones[k - 1]), lr);
  };
}

export const warmupOptions = z.strictObject({
  warmup_steps: positiveInt().describe('steps of the linear rise'),
  start_factor: z.number().min(0).lt(1).default(0).describe('lr factor at step 0'),
  /** What follows the warm-up (its t starts at 0 when the warm-up ends); constant if absent. */
  then: curveSchema.optional().describe('the schedule after the warm-up (constant lr if absent)'),
});

/** linear_warmup: γ rises linearly from start_factor·γ over warmup_steps, then `then` takes over. */
export function warmup(o: z.output<typeof warmupOptions>, length: number): LrCurve {
  const after = o.then === undefined ? (_t: number, lr: number) => lr : curveOf(o.then as CurveConfig, Math.max(1, length - o.warmup_steps));
  return (t, lr) => (t < o.warmup_steps ? lr * (o.start_factor + ((1 - o.start_factor) * t) / o.warmup_steps) : after(t - o.warmup_steps, lr));
}
