/** RMSprop (Hinton's lecture 6e; the centered form of Graves 2013), as torch.optim.RMSprop. */
import { z } from 'zod';
import { rmsWasm } from '../kernels/optimizer-kernels.js';
import { allocFloat32 } from '../kernels/arena.js';
import { flushSubnormal } from './moments.js';
import { epsilon, learningRate, maximize, momentum, weightDecay } from './options.js';
import { torchChain, trace } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·g/(√v + ε),  v ← αv + (1−α)g²  (centered: v − ḡ²)';

export const algorithm = `
g ← −g                                     if maximize
g ← g + λθ                                 if λ ≠ 0
v ← αv + (1−α)g²
ṽ ← v − ḡ², ḡ ← αḡ + (1−α)g                if centered, else ṽ ← v
b ← μb + g/(√ṽ + ε), θ ← θ − γb            if μ > 0
θ ← θ − γ g/(√ṽ + ε)                       otherwise`;

export const rmspropOptions = z.strictObject({
  lr: learningRate(1e-2),
  alpha: z.number().min(0).max(1).default(0.99).describe('smoothing constant α of the average of g²'),
  eps: epsilon(1e-8),
  weight_decay: weightDecay(),
  momentum: momentum(),
  centered: z.boolean().default(false).describe('divide by the estimated variance v − ḡ² instead of v'),
  maximize: maximize(),
});

/** The scaling g ← g / (√ṽ + ε) with ṽ the (centered) running average of g². */
export function scaleByRms(options: { alpha: number; eps: number; centered: boolean }): Transform<{ squareAvg: Float32Array; gradAvg: Float32Array }> {
  const { alpha, eps, centered } = options;
  return {
    init: (size) => ({ squareAvg: allocFloat32(size), gradAvg: allocFloat32(centered ? size : 0) }),
    named: namedBy({ squareAvg: 'square_avg', gradAvg: 'grad_avg' }),
    update(u, { squareAvg, gradAvg }) {
      const avg = centered ? gradAvg : null;
      if (!rmsWasm(u, squareAvg, avg, alpha, 1 - alpha, eps)) rmsReference(u, squareAvg, avg, alpha, 1 - alpha, eps);
    },
  };
}

/**
 * scaleByRms's element loop, the reference of its SIMD twin: each value is computed in float64
 * and rounded once, when it is stored (and flushed to 0 below 2⁻¹²⁶: flushSubnormal), c = 1 − α:
 *   s ← α·s + c·g²,   centered: ḡ ← α·ḡ + c·g and s̃ ← s − ḡ² (s and ḡ as stored), else s̃ ← s
 *   u ← g / (√s̃ + ε)
 * Float64 because the centered variance cancels: once the loss is small, s ≈ ḡ², and every
 * float32 rounding inside s − ḡ² would reach the update magnified (the rmsprop_centered_momentum
 * fixture case). The twin is bound by memory even so.
 */
export function rmsReference(u: Float32Array, squareAvg: Float32Array, gradAvg: Float32Array | null, alpha: number, c: number, eps: number): void {
  for (let i = 0; i < u.length; i++) {
    const g = u[i];
    squareAvg[i] = flushSubnormal(Math.fround(alpha * squareAvg[i] + c * (g * g)));
    let variance = squareAvg[i];
    if (gradAvg !== null) {
      gradAvg[i] = flushSubnormal(Math.fround(alpha * gradAvg[i] + c * g));
      variance -= gradAvg[i] * gradAvg[i];
    }
    u[i] = g / (Math.sqrt(variance) + eps);
  }
}

export function rmsprop(o: z.output<typeof rmspropOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: torchChain(o, scaleByRms({ alpha: o.alpha, eps: o.eps, centered: o.centered }), trace({ dampening: 0, nesterov: false })),
  };
}
