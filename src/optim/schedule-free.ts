/**
 * Schedule-free SGD and AdamW (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky 2024, "The Road
 * Less Scheduled"), following the reference implementation `schedulefree` (SGDScheduleFree,
 * AdamWScheduleFree, their `step`): three sequences, z the base iterate, x the weighted average of
 * z, and y = (1−β)z + βx where the gradient is taken. The parameters hold y while training; x is
 * the evaluation point (the reference's optimizer.eval()):
 *   x = y/β + (1 − 1/β)·z
 * Computed here in float64 per element and rounded once when stored; the reference runs its lerps
 * in the parameters' dtype. Its warmup (warmup_steps) and weighting (r, weight_lr_power) are the
 * reference's; an lr schedule, if configured, scales γ on top of them.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { decayRate, epsilon, learningRate, weightDecay } from './options.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const sgdRule = 'y ← (1−c)y + c·z − γ(1 − β(1−c))·g,  z ← z − γg;  evaluated at x = y/β + (1−1/β)z';
export const adamwRule = 'as schedule_free_sgd with g ← g/(√v + ε) + λy and γ ← γ·√(1−β2ᵗ)';

const schedule = `
γ_t ← γ · min(1, t / warmup_steps)                        (× √(1 − β2ᵗ) for AdamW)
γmax ← max(γmax, γ_t),   w ← t^r · γmax^weight_lr_power,   W ← W + w,   c ← w / W`;

export const sgdAlgorithm = `${schedule}
g ← g + λy                                                if λ ≠ 0
y ← (1 − c)·y + c·z − γ_t·(1 − β(1 − c))·g
z ← z − γ_t·g
evaluation and saved weights: x = y/β + (1 − 1/β)·z`;

export const adamwAlgorithm = `${schedule}
v ← β2·v + (1 − β2)·g²,   g ← g / (√v + ε) + λy
y ← (1 − c)·y + c·z − γ_t·(1 − β1(1 − c))·g
z ← z − γ_t·g
evaluation and saved weights: x = y/β1 + (1 − 1/β1)·z`;

const scheduleOptions = {
  warmup_steps: z.int().min(0).default(0).describe('steps of linear warmup of γ'),
  r: z.number().min(0).finite().default(0).describe('power r of the step in the averaging weight t^r'),
  weight_lr_power: z.number().min(0).finite().default(2).describe('power of γmax in the averaging weight'),
};

export const scheduleFreeSgdOptions = z.strictObject({
  lr: learningRate(1),
  momentum: z.number().gt(0).lt(1).default(0.9).describe('interpolation β between x and z where the gradient is taken'),
  weight_decay: weightDecay(),
  ...scheduleOptions,
});

export const scheduleFreeAdamwOptions = z.strictObject({
  lr: learningRate(0.0025),
  betas: z.tuple([z.number().gt(0).lt(1), decayRate()]).default([0.9, 0.999]).describe('(β1, β2): interpolation β1 and decay rate of the average of g²'),
  eps: epsilon(1e-8),
  weight_decay: weightDecay(),
  ...scheduleOptions,
});

type ScheduleFreeState = { z: Float32Array; expAvgSq: Float32Array; lr_max: Float64Array; weight_sum: Float64Array };

interface ScheduleFreeOptions {
  readonly beta: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly r: number;
  readonly weightLrPower: number;
  /** AdamW: β2 and ε of the normalisation by √v; absent for SGD. */
  readonly adam?: { readonly beta2: number; readonly eps: number };
}

/**
 * The whole schedule-free step as one link: u ← y_new − y, so that Optimizer.apply's θ ← θ + u
 * moves y; z (a copy of the parameters before the first step, as the reference's state) and v
 * move here. lr_max and weight_sum are float64, as the reference's Python floats.
 */
export function scheduleFree(o: ScheduleFreeOptions): Transform<ScheduleFreeState> {
  const { beta, weightDecay: decay, warmupSteps, r, weightLrPower, adam } = o;
  return {
    init: (size) => ({ z: allocFloat32(size), expAvgSq: allocFloat32(adam === undefined ? 0 : size), lr_max: new Float64Array(1), weight_sum: new Float64Array(1) }),
    named: namedBy<ScheduleFreeState>({ z: 'z', expAvgSq: 'exp_avg_sq' }),
    update(u, { z: base, expAvgSq, lr_max: lrMax, weight_sum: weightSum }, { step, params, hyper }) {
      if (step === 1) base.set(params);
      const warm = step <= warmupSteps ? step / warmupSteps : 1;
      const lr = hyper.lr * warm * (adam === undefined ? 1 : Math.sqrt(1 - adam.beta2 ** step));
      lrMax[0] = Math.max(lr, lrMax[0]);
      const weight = step ** r * lrMax[0] ** weightLrPower;
      weightSum[0] += weight;
      const c = weightSum[0] === 0 ? 0 : weight / weightSum[0];
      const yScale = lr * (beta * (1 - c) - 1);
      for (let i = 0; i < u.length; i++) {
        let g = u[i];
        if (adam !== undefined) {
          expAvgSq[i] = adam.beta2 * expAvgSq[i] + (1 - adam.beta2) * g * g;
          g /= Math.sqrt(expAvgSq[i]) + adam.eps;
        }
        const y = params[i];
        g += decay * y;
        const zOld = base[i];
        u[i] = c * (zOld - y) + yScale * g;
        base[i] = zOld - lr * g;
      }
    },
    evaluationPoint({ z: base }, params, out) {
      for (let i = 0; i < out.length; i++) out[i] = params[i] / beta + (1 - 1 / beta) * base[i];
    },
  };
}

export function scheduleFreeSgd(o: z.output<typeof scheduleFreeSgdOptions>): OptimizerSetup {
  return { hyper: { lr: o.lr }, transform: scheduleFree({ beta: o.momentum, weightDecay: o.weight_decay, warmupSteps: o.warmup_steps, r: o.r, weightLrPower: o.weight_lr_power }) };
}

export function scheduleFreeAdamw(o: z.output<typeof scheduleFreeAdamwOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr },
    transform: scheduleFree({ beta: o.betas[0], weightDecay: o.weight_decay, warmupSteps: o.warmup_steps, r: o.r, weightLrPower: o.weight_lr_power, adam: { beta2: o.betas[1], eps: o.eps } }),
  };
}
