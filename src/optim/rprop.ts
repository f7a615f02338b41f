/**
 * Rprop (Riedmiller & Braun 1993), as torch.optim.Rprop (its single-tensor code, 1.13 and 2.x
 * alike): each element keeps its own step size, grown by η+ while the gradient keeps its sign and
 * shrunk by η− when it flips; the learning rate only sets the initial step size, so a schedule
 * moves nothing here (as in torch).
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { learningRate, maximize } from './options.js';
import { negate } from './pieces.js';
import { chain, namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − sign(g)·Δ,  Δ ← clamp(Δ·(η+ | η− | 1 by sign(g·g_prev)), Δmin, Δmax)';

export const algorithm = `
g ← −g                                        if maximize
Δ ← γ everywhere before the first step,  g_prev ← 0
s ← η+ if g·g_prev > 0,  η− if g·g_prev < 0,  1 otherwise
Δ ← clamp(s·Δ, Δmin, Δmax)
g ← 0 where s = η−                            (a sign flip skips the step)
θ ← θ − sign(g)·Δ,   g_prev ← g`;

/** torch's order of checks: 0 < η− < 1 < η+. */
export const rpropOptions = z.strictObject({
  lr: learningRate(1e-2).describe('learning rate γ: the initial step size Δ of every element'),
  etas: z
    .tuple([z.number().gt(0).lt(1), z.number().gt(1).finite()])
    .default([0.5, 1.2])
    .describe('(η−, η+): factors that shrink and grow the step size'),
  step_sizes: z
    .tuple([z.number().min(0).finite(), z.number().gt(0).finite()])
    .default([1e-6, 50])
    .describe('(Δmin, Δmax): bounds of the step size'),
  maximize: maximize(),
});

type RpropState = { prev: Float32Array; stepSize: Float32Array };

/**
 * Rprop's sign-based step as one link: u ← −sign(g)·Δ (the whole update; no learning-rate link).
 * In float32 as torch: Δ·s rounded, then clamped.
 */
export function scaleByRprop(options: { etas: readonly number[]; stepSizes: readonly number[] }): Transform<RpropState> {
  const f = Math.fround;
  const [etaMinus, etaPlus] = options.etas.map(f);
  const [minStep, maxStep] = options.stepSizes.map(f);
  return {
    init: (size) => ({ prev: allocFloat32(size), stepSize: allocFloat32(size) }),
    named: namedBy<RpropState>({ prev: 'prev', stepSize: 'step_size' }),
    update(u, { prev, stepSize }, { step, hyper }) {
      if (step === 1) stepSize.fill(hyper.lr);
      for (let i = 0; i < u.length; i++) {
        const product = u[i] * prev[i];
        const factor = product > 0 ? etaPlus : product < 0 ? etaMinus : 1;
        stepSize[i] = Math.min(maxStep, Math.max(minStep, f(stepSize[i] * factor)));
        const g = factor === etaMinus ? 0 : u[i];
        prev[i] = g;
        u[i] = -Math.sign(g) * stepSize[i];
      }
    },
  };
}

export function rprop(o: z.output<typeof rpropOptions>): OptimizerSetup {
  return { hyper: { lr: o.lr }, transform: chain(o.maximize && negate(), scaleByRprop({ etas: o.etas, stepSizes: o.step_sizes })) };
}
