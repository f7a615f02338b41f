/**
 * Adam as torch.optim.Adam documents it (Kingma & Ba 2015; AMSGrad of Reddi et al. 2018):
 *
 *   g ← −g                                     if maximize
 *   g ← g + λθ                                 if λ ≠ 0 (L2 penalty; AdamW decouples it)
 *   m ← β1·m + (1−β1)g,  v ← β2·v + (1−β2)g²
 *   v_max ← max(v_max, v), used in place of v  if amsgrad
 *   θ ← θ − γ · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)          ε outside the square root
 */
import { z } from 'zod';
import { decayRate, epsilon, learningRate, maximize, weightDecay } from './options.js';
import { scaleByAdam, scaleByLearningRate, torchGradient } from './pieces.js';
import { chain, type Hyperparams, type Transform } from './transform.js';

export const adamOptions = z.strictObject({
  lr: learningRate(1e-3),
  betas: z.tuple([decayRate(), decayRate()]).default([0.9, 0.999]),
  eps: epsilon(1e-8),
  weight_decay: weightDecay(),
  amsgrad: z.boolean().default(false),
  maximize: maximize(),
});
export type AdamOptions = z.output<typeof adamOptions>;

export function adam(o: AdamOptions): { transform: Transform; hyper: Hyperparams } {
  return {
    hyper: { lr: o.lr, beta1: o.betas[0] },
    transform: chain(
      ...torchGradient(o),
      scaleByAdam({ beta2: o.betas[1], eps: o.eps, amsgrad: o.amsgrad }),
      scaleByLearningRate(),
    ),
  };
}
