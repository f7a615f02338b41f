/**
 * Prodigy (Mishchenko & Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free
 * Learner", Algorithm 4, the Adam form) as the authors' `prodigyopt` package implements it
 * (konstmish/prodigy, prodigyopt/prodigy.py): Adam whose step size d is estimated from the
 * distance travelled from the initial weights θ₀. With t the step, d the estimate before this
 * step, d₀ its start, γ the lr, β3 = √β2 unless given:
 *   g ← g + λθ                                       if decouple is false (L2)
 *   bc ← √(1−β2ᵗ)/(1−β1ᵗ) with use_bias_correction, else 1;   dγ ← d·γ·bc
 *   r ← β3·r + (d/d₀)·dγ·⟨g, θ₀ − θ⟩                  summed over every tensor of the group
 *   m ← β1·m + d(1−β1)·g,   v ← β2·v + d²(1−β2)·g²
 *   s ← β3·s + (d/d₀)·dγ·g      (safeguard_warmup: (d/d₀)·d·g)
 *   d̂ ← d_coef·r / Σ|s|;  d ← max(d, d̂) while d = d₀;  d_max ← max(d_max, d̂);  d ← min(d_max, d·growth_rate)
 *   θ ← θ − dγ·(m/(√v + d·ε) + λθ)                    the λθ term if decouple (AdamW's), with the new d in the denominator
 * Every tensor's moments are updated before d changes and every tensor moves after: d is one
 * number per parameter group here (the reference shares one d over all groups and refuses groups
 * of different lr, except 0), which is the same wherever the optimizer has one group. The paper's
 * Algorithm 4 has no β3 (it uses √β2), no growth_rate, no bias correction and decays nothing; the
 * reference adds them, and its slice_p (estimating d from every p-th element) is not offered.
 * When every gradient is 0 (Σ|s| = 0) the reference skips the step; so do we (d and θ stay).
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { decayRate, epsilon, learningRate, weightDecay } from './options.js';
import type { NamedState, OptimizerSetup, StepContext, Transform } from './transform.js';

export const rule = 'θ ← θ − d·γ·m/(√v + d·ε),  d ← max(d, Σ⟨g, θ₀ − θ⟩-weighted / Σ|s|)  (d per group)';

export const algorithm = `
g ← g + λθ                                  if not decouple
dγ ← d·γ·bc                                 bc = √(1−β2ᵗ)/(1−β1ᵗ) if use_bias_correction, else 1
r ← β3·r + (d/d₀)·dγ·Σ⟨g, θ₀ − θ⟩            over the group's tensors
m ← β1·m + d(1−β1)g,   v ← β2·v + d²(1−β2)g²
s ← β3·s + (d/d₀)·dγ·g                       (d/d₀)·d·g with safeguard_warmup
d̂ ← d_coef·r/Σ|s|,  d ← max(d, d̂) while d = d₀,  d_max ← max(d_max, d̂),  d ← min(d_max, d·growth_rate)
θ ← θ − dγ·(m/(√v + d·ε) + λθ)               λθ only if decouple`;

export const prodigyOptions = z.strictObject({
  lr: learningRate(1),
  betas: z.tuple([decayRate(), decayRate()]).default([0.9, 0.999]).describe('(β1, β2): decay rates of the running averages of g and g²'),
  beta3: decayRate().nullable().default(null).describe('decay of the running sums r and s; null: √β2'),
  eps: epsilon(1e-8),
  weight_decay: weightDecay(),
  decouple: z.boolean().default(true).describe('decoupled weight decay (AdamW style); false adds λθ to the gradient'),
  use_bias_correction: z.boolean().default(false).describe("Adam's bias correction of the step, √(1−β2ᵗ)/(1−β1ᵗ)"),
  safeguard_warmup: z.boolean().default(false).describe('leave the lr out of s, for runs with a warm-up'),
  d0: z.number().gt(0).finite().default(1e-6).describe('initial estimate d₀ of the step size'),
  d_coef: z.number().gt(0).finite().default(1).describe('factor on the estimate d̂'),
  // Infinity (torch's default, YAML .inf) spelled out: z.number() refuses it, and a parameter group's
  // options are parsed again with this default filled in.
  growth_rate: z.union([z.number().gt(0), z.literal(Infinity)]).default(Infinity).describe('largest factor by which d may grow in a step'),
});

/** One group's step-size estimate (checkpointed) and what the step in progress has summed so far. */
interface Estimate {
  readonly d: Float64Array;
  readonly dMax: Float64Array;
  readonly dNumerator: Float64Array;
  step: number;
  decided: number;
  /** d and dγ before this step's estimate. */
  dBefore: number;
  dlr: number;
  numerator: number;
  denominator: number;
}

interface ProdigyState {
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
  readonly s: Float32Array;
  readonly p0: Float32Array;
  /** 1 once θ₀ has been taken (at the first step). */
  readonly started: Float32Array;
  readonly estimate: Estimate;
}

type Options = z.output<typeof prodigyOptions>;

/** Prodigy's scaling with its learning rate and weight decay: the whole step, since d enters every part. */
export function scaleByProdigy(o: Options): Transform<ProdigyState> {
  const [beta1, beta2] = o.betas;
  const beta3 = o.beta3 ?? Math.sqrt(beta2);
  const estimate: Estimate = { d: Float64Array.of(o.d0), dMax: Float64Array.of(o.d0), dNumerator: new Float64Array(1), step: 0, decided: 0, dBefore: o.d0, dlr: 0, numerator: 0, denominator: 0 };

  /** The sums start at the first segment of a step. */
  function begin({ step, hyper }: StepContext): void {
    if (estimate.step === step) return;
    estimate.step = step;
    const d = estimate.d[0];
    const bc = o.use_bias_correction ? Math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step) : 1;
    estimate.dBefore = d;
    estimate.dlr = d * hyper.lr * bc;
    estimate.numerator = estimate.dNumerator[0] * beta3;
    estimate.denominator = 0;
  }

  /** The new d, once every segment has been summed. */
  function decide(step: number): void {
    if (estimate.decided === step) return;
    estimate.decided = step;
    if (estimate.denominator === 0) return;
    const dHat = (o.d_coef * estimate.numerator) / estimate.denominator;
    let d = estimate.d[0];
    if (d === o.d0) d = Math.max(d, dHat);
    estimate.dMax[0] = Math.max(estimate.dMax[0], dHat);
    estimate.d[0] = Math.min(estimate.dMax[0], d * o.growth_rate);
    estimate.dNumerator[0] = estimate.numerator;
  }

  return {
    init: (size) => ({ expAvg: allocFloat32(size), expAvgSq: allocFloat32(size), s: allocFloat32(size), p0: allocFloat32(size), started: new Float32Array(1), estimate }),
    named: (state): NamedState => ({
      elements: [
        ['exp_avg', state.expAvg],
        ['exp_avg_sq', state.expAvgSq],
        ['s', state.s],
        ['p0', state.p0],
      ],
      scalars: [
        ['started', state.started],
        ['d', estimate.d],
        ['d_max', estimate.dMax],
        ['d_numerator', estimate.dNumerator],
      ],
    }),
    update(u, { expAvg, expAvgSq, s, p0, started }, context) {
      begin(context);
      const { params } = context;
      if (started[0] === 0) {
        p0.set(params);
        started[0] = 1;
      }
      const d = estimate.dBefore;
      const { dlr } = estimate;
      const sScale = o.safeguard_warmup ? (d / o.d0) * d : (d / o.d0) * dlr;
      const coupled = o.decouple ? 0 : o.weight_decay;
      let dot = 0;
      let sum = 0;
      for (let i = 0; i < u.length; i++) {
        const g = coupled === 0 ? u[i] : Math.fround(u[i] + coupled * params[i]);
        u[i] = g;
        dot += g * (p0[i] - params[i]);
        expAvg[i] = beta1 * expAvg[i] + d * (1 - beta1) * g;
        expAvgSq[i] = beta2 * expAvgSq[i] + d * d * (1 - beta2) * g * g;
        s[i] = beta3 * s[i] + sScale * g;
        sum += Math.abs(s[i]);
      }
      estimate.numerator += (d / o.d0) * dlr * dot;
      estimate.denominator += sum;
    },
    finish(u, { expAvg, expAvgSq }, { step, params }) {
      decide(step);
      if (estimate.denominator === 0) {
        u.fill(0);
        return;
      }
      const { dlr } = estimate;
      const floor = estimate.d[0] * o.eps;
      const decay = o.decouple ? o.weight_decay : 0;
      for (let i = 0; i < u.length; i++) u[i] = -dlr * (expAvg[i] / (Math.sqrt(expAvgSq[i]) + floor) + decay * params[i]);
    },
  };
}

export function prodigy(o: Options): OptimizerSetup {
  return { hyper: { lr: o.lr }, transform: scaleByProdigy(o) };
}
