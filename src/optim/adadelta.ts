/** Adadelta (Zeiler 2012), as torch.optim.Adadelta. */
import { z } from 'zod';
import { updateAverage } from './moments.js';
import { epsilon, learningRate, maximize, weightDecay } from './options.js';
import { torchChain } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γΔ,  Δ ← √(u+ε)/√(v+ε)·g';

export const algorithm = `
g ← −g                                  if maximize
g ← g + λθ                              if λ ≠ 0
v ← ρv + (1−ρ)g²
Δ ← √(u + ε) / √(v + ε) · g
u ← ρu + (1−ρ)Δ²
θ ← θ − γΔ`;

export const adadeltaOptions = z.strictObject({
  lr: learningRate(1),
  rho: z.number().min(0).max(1).default(0.9).describe('decay rate ρ of both running averages'),
  eps: epsilon(1e-6),
  weight_decay: weightDecay(),
  maximize: maximize(),
});

export function scaleByAdadelta(options: { rho: number; eps: number }): Transform<{ squareAvg: Float32Array; accDelta: Float32Array }> {
  const { rho, eps } = options;
  return {
    init: (size) => ({ squareAvg: new Float32Array(size), accDelta: new Float32Array(size) }),
    named: namedBy({ squareAvg: 'square_avg', accDelta: 'acc_delta' }),
    update(u, { squareAvg, accDelta }) {
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const v = updateAverage(squareAvg, i, g * g, rho);
        const delta = Math.fround((Math.sqrt(accDelta[i] + eps) / Math.sqrt(v + eps)) * g); // float32, as torch's tensor
        updateAverage(accDelta, i, delta * delta, rho);
        u[i] = delta;
      }
    },
  };
}

export function adadelta(o: z.output<typeof adadeltaOptions>): OptimizerSetup {
  return { hyper: { lr: o.lr }, transform: torchChain(o, scaleByAdadelta({ rho: o.rho, eps: o.eps })) };
}
