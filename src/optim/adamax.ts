/** Adamax, Adam with the infinity norm (Kingma & Ba 2015, §7.1), as torch.optim.Adamax. */
import { z } from 'zod';
import { updateAverage } from './moments.js';
import { adamFamilyOptions, maximize } from './options.js';
import { adamFamily, beta1Of } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·m/((1−β1ᵗ)·u),  u ← max(β2·u, |g| + ε)';

export const algorithm = `
g ← −g                              if maximize
g ← g + λθ                          if λ ≠ 0
m ← β1·m + (1−β1)g
u ← max(β2·u, |g| + ε)
θ ← θ − γ · m / ((1−β1ᵗ)·u)`;

export const adamaxOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 2e-3 }),
  maximize: maximize(),
});

export function scaleByAdamax(options: { beta2: number; eps: number }): Transform<{ expAvg: Float32Array; expInf: Float32Array }> {
  const { beta2, eps } = options;
  return {
    init: (size) => ({ expAvg: new Float32Array(size), expInf: new Float32Array(size) }),
    named: namedBy({ expAvg: 'exp_avg', expInf: 'exp_inf' }),
    update(u, { expAvg, expInf }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const biasCorrection = 1 - beta1 ** step;
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const m = updateAverage(expAvg, i, g, beta1);
        expInf[i] = Math.max(beta2 * expInf[i], Math.abs(g) + eps);
        u[i] = m / biasCorrection / expInf[i];
      }
    },
  };
}

export function adamax(o: z.output<typeof adamaxOptions>): OptimizerSetup {
  return adamFamily(o, scaleByAdamax({ beta2: o.betas[1], eps: o.eps }));
}
