/** RAdam, Adam with the variance rectification of Liu et al. (2020), as torch.optim.RAdam. */
import { z } from 'zod';
import { initMoments, MOMENT_NAMES, updateAverage, type Moments } from './moments.js';
import { adamFamilyOptions, decoupledWeightDecay, maximize } from './options.js';
import { adamFamily, beta1Of } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·m̂·r_t·l_t once ρ_t > 5, else θ ← θ − γ·m̂';

export const algorithm = `
g ← −g                                      if maximize
g ← g + λθ  (coupled) or θ ← θ − γλθ (decoupled)   if λ ≠ 0
m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²,   m̂ ← m/(1−β1ᵗ)
ρ∞ ← 2/(1−β2) − 1,   ρ_t ← ρ∞ − 2tβ2ᵗ/(1−β2ᵗ)
if ρ_t > 5:  l_t ← √(1−β2ᵗ)/(√v + ε),  r_t ← √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t)),  θ ← θ − γ·m̂·r_t·l_t
else:        θ ← θ − γ·m̂`;

export const radamOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3 }),
  decoupled_weight_decay: decoupledWeightDecay(),
  maximize: maximize(),
});

/** torch's threshold: below ρ_t = 5 the variance of the adaptive rate is not tractable. */
const RECTIFICATION_THRESHOLD = 5;

/**
 * r_t at step t, or null while ρ_t ≤ 5 (the step is then plain momentum, θ ← θ − γ·m̂). Also
 * read by the optimizer internals (internals.ts).
 */
export function rectificationOf(beta2: number, step: number): number | null {
  const rhoInfinity = 2 / (1 - beta2) - 1;
  const rho = rhoInfinity - (2 * step * beta2 ** step) / (1 - beta2 ** step);
  if (rho <= RECTIFICATION_THRESHOLD) return null;
  return Math.sqrt(((rho - 4) * (rho - 2) * rhoInfinity) / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho));
}

export function scaleByRadam(options: { beta2: number; eps: number }): Transform<Moments> {
  const { beta2, eps } = options;
  return {
    init: initMoments,
    named: namedBy(MOMENT_NAMES),
    update(u, { expAvg, expAvgSq }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const rectification = rectificationOf(beta2, step);
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const mHat = updateAverage(expAvg, i, g, beta1) / biasCorrection1;
        const v = updateAverage(expAvgSq, i, g * g, beta2);
        u[i] = rectification !== null ? mHat * rectification * (Math.sqrt(biasCorrection2) / (Math.sqrt(v) + eps)) : mHat;
      }
    },
  };
}

export function radam(o: z.output<typeof radamOptions>): OptimizerSetup {
  return adamFamily(o, scaleByRadam({ beta2: o.betas[1], eps: o.eps }));
}
