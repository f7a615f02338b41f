/**
 * Adam (Kingma & Ba 2015), with AMSGrad (Reddi et al. 2018) and AdamW's decoupled weight decay
 * (Loshchilov & Hutter 2019), as torch.optim.Adam and torch.optim.AdamW.
 */
import { z } from 'zod';
import { initMoments, updateAverage, type Moments } from './moments.js';
import { adamFamilyOptions, decoupledWeightDecay, maximize } from './options.js';
import { beta1Of, torchChain } from './pieces.js';
import type { OptimizerSetup, Transform } from './transform.js';

export const rule = 'θ ← θ − γ·m̂/(√v̂ + ε)  (amsgrad: running max of v)';
export const adamwRule = 'θ ← θ − γ·(m̂/(√v̂ + ε) + λθ)  (decoupled weight decay)';

export const algorithm = `
g ← −g                                      if maximize
g ← g + λθ                                  if λ ≠ 0, coupled (Adam's default: L2)
θ ← θ − γλθ                                 if λ ≠ 0, decoupled (AdamW)
m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²
v_max ← max(v_max, v), used in place of v   if amsgrad
θ ← θ − γ · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)            ε outside the square root`;

const amsgrad = () => z.boolean().default(false).describe('AMSGrad: divide by the running maximum of v');

export const adamOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3 }),
  amsgrad: amsgrad(),
  maximize: maximize(),
  decoupled_weight_decay: decoupledWeightDecay(),
});

export const adamwOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3, weight_decay: 1e-2 }),
  amsgrad: amsgrad(),
  maximize: maximize(),
});

/**
 * Adam's scaling, u ← (m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + ε); with AMSGrad the running maximum of
 * the raw v replaces v (torch ≥ 1.13: the maximum is taken before bias correction).
 */
export function scaleByAdam(options: { beta2: number; eps: number; amsgrad: boolean }): Transform<Moments & { maxExpAvgSq: Float32Array }> {
  const { beta2, eps, amsgrad: useMax } = options;
  return {
    init: (size) => ({ ...initMoments(size), maxExpAvgSq: new Float32Array(useMax ? size : 0) }),
    update(u, { expAvg, expAvgSq, maxExpAvgSq }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const m = updateAverage(expAvg, i, g, beta1);
        let v = updateAverage(expAvgSq, i, g * g, beta2);
        if (useMax) {
          maxExpAvgSq[i] = Math.max(maxExpAvgSq[i], v); // Math.max keeps a NaN, as torch.maximum does
          v = maxExpAvgSq[i];
        }
        u[i] = m / biasCorrection1 / (Math.sqrt(v) / biasCorrection2Sqrt + eps);
      }
    },
  };
}

export function adam(o: z.output<typeof adamOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr, beta1: o.betas[0] },
    transform: torchChain(o, scaleByAdam({ beta2: o.betas[1], eps: o.eps, amsgrad: o.amsgrad })),
  };
}

/** AdamW is Adam with decoupled weight decay (and a default λ of 1e-2). */
export function adamw(o: z.output<typeof adamwOptions>): OptimizerSetup {
  return adam({ ...o, decoupled_weight_decay: true });
}
