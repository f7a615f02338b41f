/**
 * The per-element effective step size of each optimizer, for the optimizer internals
 * (DESIGN.md, internals.csv): the factor the step multiplies the optimizer's numerator by, read
 * from the tensor's state after the step (torch's state names), in float64.
 *
 *   adam, adamw  γ/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε)     v = max_exp_avg_sq with amsgrad (torch's form:
 *                                                   the maximum of the raw v), else exp_avg_sq; × m
 *   adamax       γ/((1−β1ᵗ)·u)                      u = exp_inf; × m
 *   nadam        γ / (√(v/(1−β2ᵗ)) + ε)              × its bias-corrected Nesterov numerator
 *                                                   (which carries its own 1/(1−Πμ) corrections)
 *   radam        γ/(1−β1ᵗ) · r_t·√(1−β2ᵗ)/(√v + ε)   once ρ_t > 5, else γ/(1−β1ᵗ); × m
 *   rmsprop      γ / (√ṽ + ε)                       ṽ = square_avg (− grad_avg² if centered); × g
 *                                                   (into the momentum buffer when μ > 0)
 *   adagrad      γ/(1+(t−1)η) / (√sum + ε)          × g
 *   adadelta     γ·√(acc_delta + ε)/√(square_avg + ε)  × g, with acc_delta after the step (it
 *                                                   already holds this step's Δ²)
 *   sgd          nothing: every element's step size is γ (steps.csv's lr), so no columns.
 *   lion, lamb, lars, adafactor, muon, prodigy   nothing either: a sign, a step scaled per tensor, or by d.
 *
 * The quantiles are torch.quantile's default (linear interpolation between order statistics), of
 * every element up to SAMPLE_SIZE elements and of a spread sample of that many beyond. The step
 * size is a monotone function of one state array for all but centered RMSprop and Adadelta, so
 * the order statistics are selected in the state itself (order-statistics.ts), read-only, and
 * only those few elements are turned into step sizes: a recording step stays a small fraction of
 * ten training steps (bench/internals.ts).
 */
import { orderStatistics } from './order-statistics.js';
import { rectificationOf } from './radam.js';
import type { OptimizerName } from './registry.js';
import type { Hyperparams } from './transform.js';

/** The quantiles written, and their columns: the same for every optimizer that has step sizes. */
export const STEP_SIZE_QUANTILES = [0.1, 0.5, 0.9] as const;
export const STEP_SIZE_COLUMNS = ['eff_lr_p10', 'eff_lr_p50', 'eff_lr_p90'] as const;

/** What the step sizes of one tensor are computed from: its group's options and rate, the step count, its state. */
export interface StepSizeInput {
  /** The group's options, defaults filled in (betas, eps, amsgrad, ...). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly hyper: Hyperparams;
  /** The step just taken, 1-based (torch's state['step']). */
  readonly step: number;
  /** The tensor's state under torch's names (Optimizer.tensorState). */
  readonly state: ReadonlyMap<string, Float32Array>;
}

/**
 * Where one tensor's step sizes come from: a per-element array `values` and the step size as a
 * function of an element's value, non-increasing unless `increasing` (so the quantiles of the
 * step sizes are the step sizes of the array's order statistics, and the state is read as it is).
 * A rule whose step size depends on two arrays fills `scratch` and reads that.
 */
interface StepSizeSource {
  readonly values: Float32Array;
  readonly size: (value: number) => number;
  readonly increasing?: boolean;
}

type StepSizeRule = (input: StepSizeInput, scratch: Float32Array) => StepSizeSource;

const num = (options: StepSizeInput['options'], key: string): number => options[key] as number;
const betas = (options: StepSizeInput['options']): readonly [number, number] => options.betas as [number, number];
/** β1 as this step used it (one_cycle_lr may cycle it), else the configured one. */
const beta1 = ({ hyper, options }: StepSizeInput): number => hyper.beta1 ?? betas(options)[0];

function stateOf(input: StepSizeInput, name: string): Float32Array {
  const values = input.state.get(name);
  if (values === undefined) throw new Error(`the optimizer's state has no ${name}`);
  return values;
}

/** scale / (√v / root + ε): Adam's denominator (NAdam's, with scale = γ). */
function overAdamDenominator(values: Float32Array, scale: number, root: number, eps: number): StepSizeSource {
  return { values, size: (v) => scale / (Math.sqrt(v) / root + eps) };
}

const adamRule: StepSizeRule = (input) => {
  const { options, hyper, step } = input;
  const v = stateOf(input, options.amsgrad === true ? 'max_exp_avg_sq' : 'exp_avg_sq');
  return overAdamDenominator(v, hyper.lr / (1 - beta1(input) ** step), Math.sqrt(1 - betas(options)[1] ** step), num(options, 'eps'));
};

const STEP_SIZES: Record<OptimizerName, StepSizeRule | null> = {
  sgd: null,
  // Their step is scaled per tensor (trust ratio, RMS, orthogonalisation) or is a sign: no per-element step size.
  lion: null,
  lamb: null,
  lars: null,
  adafactor: null,
  muon: null,
  prodigy: null,
  adam: adamRule,
  adamw: adamRule,
  adamax: (input) => {
    const scale = input.hyper.lr / (1 - beta1(input) ** input.step);
    return { values: stateOf(input, 'exp_inf'), size: (u) => scale / u };
  },
  nadam: (input) => overAdamDenominator(stateOf(input, 'exp_avg_sq'), input.hyper.lr, Math.sqrt(1 - betas(input.options)[1] ** input.step), num(input.options, 'eps')),
  radam: (input) => {
    const { options, hyper, step } = input;
    const beta2 = betas(options)[1];
    const scale = hyper.lr / (1 - beta1(input) ** step);
    const v = stateOf(input, 'exp_avg_sq');
    const rectification = rectificationOf(beta2, step);
    if (rectification === null) return { values: v, size: () => scale };
    const factor = scale * rectification * Math.sqrt(1 - beta2 ** step);
    const eps = num(options, 'eps');
    return { values: v, size: (x) => factor / (Math.sqrt(x) + eps) };
  },
  rmsprop: (input, scratch) => {
    const squareAvg = stateOf(input, 'square_avg');
    const { lr } = input.hyper;
    const eps = num(input.options, 'eps');
    const size = (v: number): number => lr / (Math.sqrt(v) + eps);
    if (input.options.centered !== true) return { values: squareAvg, size };
    const gradAvg = stateOf(input, 'grad_avg');
    const variance = scratch.subarray(0, squareAvg.length);
    for (let i = 0; i < variance.length; i++) variance[i] = squareAvg[i] - gradAvg[i] * gradAvg[i];
    return { values: variance, size };
  },
  adagrad: (input) => {
    const rate = input.hyper.lr / (1 + (input.step - 1) * num(input.options, 'lr_decay'));
    const eps = num(input.options, 'eps');
    return { values: stateOf(input, 'sum'), size: (s) => rate / (Math.sqrt(s) + eps) };
  },
  adadelta: (input, scratch) => {
    const squareAvg = stateOf(input, 'square_avg');
    const accDelta = stateOf(input, 'acc_delta');
    const { lr } = input.hyper;
    const eps = num(input.options, 'eps');
    const sizes = scratch.subarray(0, squareAvg.length);
    for (let i = 0; i < sizes.length; i++) sizes[i] = (lr * Math.sqrt(accDelta[i] + eps)) / Math.sqrt(squareAvg[i] + eps);
    return { values: sizes, size: (x) => x, increasing: true };
  },
  // Rprop's per-element step size Δ is its effective rate (the update is ±Δ).
  rprop: (input) => ({ values: stateOf(input, 'step_size'), size: (x) => x, increasing: true }),
  // L-BFGS's step is t·d over a line search: no per-element rate.
  lbfgs: null,
  // ASGD's η, the same for every element: γ/(1 + λγ(t−1))^α with a constant γ (asgd.ts).
  asgd: (input) => {
    const { lr } = input.hyper;
    const eta = lr / (1 + num(input.options, 'lambd') * lr * (input.step - 1)) ** num(input.options, 'alpha');
    return { values: stateOf(input, 'ax'), size: () => eta };
  },
  // Schedule-free: the rate of the base iterate z, γ_t (warmup included).
  schedule_free_sgd: (input) => ({ values: stateOf(input, 'z'), size: () => scheduleFreeRate(input, 1) }),
  schedule_free_adamw: (input) => {
    const rate = scheduleFreeRate(input, Math.sqrt(1 - betas(input.options)[1] ** input.step));
    const eps = num(input.options, 'eps');
    return { values: stateOf(input, 'exp_avg_sq'), size: (v) => rate / (Math.sqrt(v) + eps) };
  },
};

/** Schedule-free's γ_t = γ · min(1, t/warmup_steps) · factor (schedule-free.ts). */
function scheduleFreeRate({ hyper, options, step }: StepSizeInput, factor: number): number {
  const warmup = num(options, 'warmup_steps');
  return hyper.lr * (step <= warmup ? step / warmup : 1) * factor;
}

/** The optimizer-specific columns of internals.csv for this optimizer (none for SGD). */
export function stepSizeColumns(kind: OptimizerName): readonly string[] {
  // A plugin (optim/plugins.ts) has no entry: its step sizes are its own.
  return (STEP_SIZES[kind] ?? null) === null ? [] : STEP_SIZE_COLUMNS;
}

/**
 * The STEP_SIZE_QUANTILES of one tensor's per-element step sizes into `out` (nothing for SGD),
 * linearly interpolated between order statistics as torch.quantile does, over a sample of
 * SAMPLE_SIZE elements in larger tensors; NaN when a step size (of the sample) is. `scratch` (stepSizeScratch)
 * holds at least the tensor's length.
 */
export function stepSizeQuantiles(kind: OptimizerName, input: StepSizeInput, scratch: StepSizeScratch, out: number[]): void {
  const rule = STEP_SIZES[kind] ?? null;
  out.length = 0;
  if (rule === null) return;
  const { values: all, size, increasing = false } = rule(input, scratch.values);
  const values = all.length > SAMPLE_SIZE ? sampleOf(all, scratch.sample) : all;
  const n = values.length;
  // The ranks, in the array, of the step sizes on either side of each quantile.
  const at = (j: number): number => (increasing ? j : n - 1 - j);
  const ranks: number[] = [];
  for (const q of STEP_SIZE_QUANTILES) {
    const k = Math.floor(q * (n - 1));
    ranks.push(at(k), at(Math.min(k + 1, n - 1)));
  }
  const order = ranks.map((_, i) => i).sort((a, b) => ranks[a] - ranks[b]);
  const sorted: number[] = [];
  if (!orderStatistics(values, order.map((i) => ranks[i]), scratch.bits, sorted)) {
    for (let i = 0; i < STEP_SIZE_QUANTILES.length; i++) out.push(NaN);
    return;
  }
  const stat = new Array<number>(ranks.length);
  order.forEach((i, j) => (stat[i] = size(sorted[j])));
  STEP_SIZE_QUANTILES.forEach((q, i) => {
    const position = q * (n - 1);
    const lower = stat[2 * i];
    out.push(lower + (position - Math.floor(position)) * (stat[2 * i + 1] - lower));
  });
}

/**
 * Tensors larger than this get the quantiles of this many of their elements, spread over the
 * tensor by a golden-ratio (Weyl) sequence, which no row or channel layout aliases with: the rank
 * of a quantile is then off by about √(q(1−q)/SAMPLE_SIZE), 0.23 % at the 10 % quantile. Exact
 * selection over the MNIST MLP's 100 352-element weight costs as much as a training step
 * (bench/internals.ts); the sample, a tenth of that.
 */
export const SAMPLE_SIZE = 16384;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** `sample` (SAMPLE_SIZE long) filled with the elements of `values` at n·frac((j + ½)·φ⁻¹), j < SAMPLE_SIZE. */
function sampleOf(values: Float32Array, sample: Float32Array): Float32Array {
  const n = values.length;
  for (let j = 0; j < sample.length; j++) {
    const x = (j + 0.5) * GOLDEN;
    sample[j] = values[Math.floor(n * (x - Math.floor(x)))];
  }
  return sample;
}

/** The buffers stepSizeQuantiles works in, for tensors of up to `length` elements; allocated once. */
export interface StepSizeScratch {
  readonly values: Float32Array;
  readonly sample: Float32Array;
  readonly bits: Int32Array;
}

export function stepSizeScratch(length: number): StepSizeScratch {
  return { values: new Float32Array(length), sample: new Float32Array(Math.min(length, SAMPLE_SIZE)), bits: new Int32Array(Math.min(length, SAMPLE_SIZE)) };
}
