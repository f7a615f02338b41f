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
 *
 * The quantiles are torch.quantile's default (linear interpolation between order statistics).
 */
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

/** Fills out[i] with element i's step size; out has the tensor's length. */
type StepSizes = (out: Float32Array, input: StepSizeInput) => void;

const num = (options: StepSizeInput['options'], key: string): number => options[key] as number;
const betas = (options: StepSizeInput['options']): readonly [number, number] => options.betas as [number, number];
/** β1 as this step used it (one_cycle_lr may cycle it), else the configured one. */
const beta1 = ({ hyper, options }: StepSizeInput): number => hyper.beta1 ?? betas(options)[0];

function stateOf(input: StepSizeInput, name: string): Float32Array {
  const values = input.state.get(name);
  if (values === undefined) throw new Error(`the optimizer's state has no ${name}`);
  return values;
}

/** out[i] = scale / (√v[i] / root + ε): Adam's denominator (NAdam's with scale = γ). */
function overAdamDenominator(out: Float32Array, v: Float32Array, scale: number, root: number, eps: number): void {
  for (let i = 0; i < out.length; i++) out[i] = scale / (Math.sqrt(v[i]) / root + eps);
}

const adamSizes: StepSizes = (out, input) => {
  const { options, hyper, step } = input;
  const v = stateOf(input, options.amsgrad === true ? 'max_exp_avg_sq' : 'exp_avg_sq');
  overAdamDenominator(out, v, hyper.lr / (1 - beta1(input) ** step), Math.sqrt(1 - betas(options)[1] ** step), num(options, 'eps'));
};

const STEP_SIZES: Record<OptimizerName, StepSizes | null> = {
  sgd: null,
  adam: adamSizes,
  adamw: adamSizes,
  adamax: (out, input) => {
    const u = stateOf(input, 'exp_inf');
    const scale = input.hyper.lr / (1 - beta1(input) ** input.step);
    for (let i = 0; i < out.length; i++) out[i] = scale / u[i];
  },
  nadam: (out, input) => {
    const { options, hyper, step } = input;
    overAdamDenominator(out, stateOf(input, 'exp_avg_sq'), hyper.lr, Math.sqrt(1 - betas(options)[1] ** step), num(options, 'eps'));
  },
  radam: (out, input) => {
    const { options, hyper, step } = input;
    const beta2 = betas(options)[1];
    const scale = hyper.lr / (1 - beta1(input) ** step);
    const rectification = rectificationOf(beta2, step);
    if (rectification === null) {
      out.fill(scale);
      return;
    }
    const v = stateOf(input, 'exp_avg_sq');
    const eps = num(options, 'eps');
    const factor = scale * rectification * Math.sqrt(1 - beta2 ** step);
    for (let i = 0; i < out.length; i++) out[i] = factor / (Math.sqrt(v[i]) + eps);
  },
  rmsprop: (out, input) => {
    const squareAvg = stateOf(input, 'square_avg');
    const gradAvg = input.options.centered === true ? stateOf(input, 'grad_avg') : null;
    const { lr } = input.hyper;
    const eps = num(input.options, 'eps');
    for (let i = 0; i < out.length; i++) out[i] = lr / (Math.sqrt(squareAvg[i] - (gradAvg === null ? 0 : gradAvg[i] * gradAvg[i])) + eps);
  },
  adagrad: (out, input) => {
    const sum = stateOf(input, 'sum');
    const rate = input.hyper.lr / (1 + (input.step - 1) * num(input.options, 'lr_decay'));
    const eps = num(input.options, 'eps');
    for (let i = 0; i < out.length; i++) out[i] = rate / (Math.sqrt(sum[i]) + eps);
  },
  adadelta: (out, input) => {
    const squareAvg = stateOf(input, 'square_avg');
    const accDelta = stateOf(input, 'acc_delta');
    const { lr } = input.hyper;
    const eps = num(input.options, 'eps');
    for (let i = 0; i < out.length; i++) out[i] = (lr * Math.sqrt(accDelta[i] + eps)) / Math.sqrt(squareAvg[i] + eps);
  },
};

/** The optimizer-specific columns of internals.csv for this optimizer (none for SGD). */
export function stepSizeColumns(kind: OptimizerName): readonly string[] {
  return STEP_SIZES[kind] === null ? [] : STEP_SIZE_COLUMNS;
}

/**
 * The STEP_SIZE_QUANTILES of one tensor's per-element step sizes, computed in `scratch` (at least
 * the tensor's length; reordered), into `out`; nothing for SGD.
 */
export function stepSizeQuantiles(kind: OptimizerName, input: StepSizeInput, length: number, scratch: Float32Array, out: number[]): void {
  const fill = STEP_SIZES[kind];
  out.length = 0;
  if (fill === null) return;
  const values = scratch.subarray(0, length);
  fill(values, input);
  quantilesInPlace(values, STEP_SIZE_QUANTILES, out);
}

/**
 * Quantiles q (ascending) of `values` with linear interpolation between the order statistics at
 * q·(n−1), as torch.quantile and numpy's default; `values` is reordered (selection, not a sort:
 * O(n) per quantile). NaN when any value is NaN, or when there are none.
 */
export function quantilesInPlace(values: Float32Array, qs: readonly number[], out: number[]): void {
  const n = values.length;
  out.length = 0;
  if (n === 0 || values.some(Number.isNaN)) {
    for (let i = 0; i < qs.length; i++) out.push(NaN);
    return;
  }
  let from = 0;
  for (const q of qs) {
    const position = q * (n - 1);
    const k = Math.floor(position);
    // Earlier quantiles left everything before `from` no larger than what follows it.
    select(values, k, from, n - 1);
    from = k;
    const lower = values[k];
    if (position === k) out.push(lower);
    else {
      let upper = Infinity;
      for (let i = k + 1; i < n; i++) if (values[i] < upper) upper = values[i];
      out.push(lower + (position - k) * (upper - lower));
    }
  }
}

/**
 * Rearranges values[left..right] so that values[k] is the value a sort would put there, smaller
 * or equal ones before it and larger or equal ones after (Hoare's quickselect, middle pivot).
 */
function select(values: Float32Array, k: number, left: number, right: number): void {
  while (left < right) {
    const pivot = values[(left + right) >>> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}
