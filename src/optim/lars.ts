/**
 * LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks",
 * Algorithm 1), in the form of timm's Lars and NVIDIA's LARC (torch's SGD around a trust ratio):
 *   r ← η‖θ‖ / (‖g‖ + β‖θ‖ + ε)                 per tensor; 1 when ‖θ‖ or ‖g‖ is 0
 *   g ← r·(g + βθ)
 *   b ← g (first step), else b ← μb + (1−τ)g;  g ← g + μb (nesterov) or b
 *   θ ← θ − γg
 * Where the paper differs: its Algorithm 1 keeps the global rate inside the momentum,
 * v ← μv + γ·r·(g + βθ), θ ← θ − v; the same while γ is constant, not under a schedule (torch's
 * SGD form is taken, as timm's). Every tensor is adapted, biases included: torch users exclude
 * biases and norms with a param group ({params: ['*.bias'], trust_coefficient: ...} or another
 * optimizer), as nothing is excluded by default here either.
 */
import { z } from 'zod';
import { epsilon, learningRate, maximize, momentum, weightDecay } from './options.js';
import { negate, scaleByLearningRate, trace } from './pieces.js';
import { scaleByLarsTrustRatio } from './tensor-pieces.js';
import { chain, type OptimizerSetup } from './transform.js';

export const rule = 'θ ← θ − γ·b,  b ← μb + η‖θ‖/(‖g‖ + β‖θ‖ + ε)·(g + βθ)  (per tensor)';

export const algorithm = `
g ← −g                                      if maximize
r ← η‖θ‖ / (‖g‖ + β‖θ‖ + ε)                 per tensor (1 if ‖θ‖ or ‖g‖ is 0)
g ← r·(g + βθ)
b ← g (first step), else b ← μb + (1−τ)g     if μ ≠ 0
g ← g + μb (nesterov), else g ← b            if μ ≠ 0
θ ← θ − γg`;

export const larsOptions = z
  .strictObject({
    lr: learningRate(1.0),
    momentum: momentum(),
    dampening: z.number().finite().default(0).describe('dampening τ of the momentum'),
    weight_decay: weightDecay(),
    nesterov: z.boolean().default(false).describe("Nesterov's momentum (needs μ > 0 and τ = 0)"),
    trust_coefficient: z.number().gt(0).finite().default(0.001).describe('trust coefficient η of the local rate η‖θ‖/(‖g‖ + β‖θ‖)'),
    eps: epsilon(1e-8),
    maximize: maximize(),
  })
  .refine((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0), {
    message: 'nesterov needs momentum > 0 and dampening = 0',
    path: ['nesterov'],
  });

export function lars(o: z.output<typeof larsOptions>): OptimizerSetup {
  const trust = scaleByLarsTrustRatio({ trustCoefficient: o.trust_coefficient, weightDecay: o.weight_decay, eps: o.eps });
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: chain(o.maximize && negate(), trust, trace({ dampening: o.dampening, nesterov: o.nesterov }), scaleByLearningRate()),
  };
}
