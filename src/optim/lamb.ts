/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76
 * minutes", Algorithm 2): Adam's direction with decoupled weight decay, rescaled per tensor by
 * the trust ratio ‖θ‖/‖r + λθ‖ — Adam with a layer-wise trust ratio, as tinygrad puts it:
 *   m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²
 *   r ← (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)          (bias_correction: false drops both 1/(1−βᵗ))
 *   u ← r + λθ
 *   θ ← θ − γ·(‖θ‖/‖u‖)·u                          per tensor; ratio 1 when ‖θ‖ or ‖u‖ is 0
 * Variants, and where implementations differ:
 *  - φ(‖θ‖) = ‖θ‖ here (the paper allows a clipped φ; pytorch-optimizer's Lamb clamps ‖θ‖ at 10);
 *  - bias correction: the paper's Algorithm 2 and tensorflow-addons apply it (default here);
 *    cybertronai's pytorch-lamb omits it ("v3 of the paper does not use debiasing"): bias_correction: false;
 *  - the ratio of 1 for a zero norm is tensorflow-addons' and optax's; the paper does not say;
 *  - ε = 1e-6 as tensorflow-addons and pytorch-lamb; optax's default λ is 0 as here.
 */
import { z } from 'zod';
import { scaleByAdam } from './adam.js';
import { adamFamilyOptions, epsilon, maximize } from './options.js';
import { addDecayedWeights, negate, scaleByLearningRate } from './pieces.js';
import { scaleByTrustRatio } from './tensor-pieces.js';
import { chain, type OptimizerSetup } from './transform.js';

export const rule = 'θ ← θ − γ·(‖θ‖/‖r + λθ‖)·(r + λθ),  r = m̂/(√v̂ + ε)  (per tensor)';

export const algorithm = `
g ← −g                                      if maximize
m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²
r ← (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)        bias_correction (else m/(√v + ε))
u ← r + λθ                                  decoupled weight decay
θ ← θ − γ·(‖θ‖/‖u‖)·u                       per tensor; 1 in place of the ratio if ‖θ‖ or ‖u‖ is 0`;

export const lambOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3 }),
  eps: epsilon(1e-6),
  bias_correction: z.boolean().default(true).describe("divide m and v by 1−βᵗ (the paper's Algorithm 2); false as pytorch-lamb"),
  maximize: maximize(),
});

export function lamb(o: z.output<typeof lambOptions>): OptimizerSetup {
  const adam = scaleByAdam({ beta2: o.betas[1], eps: o.eps, amsgrad: false, biasCorrection: o.bias_correction });
  // The decay joins r before the ratio, so that it is the ratio of ‖θ‖ to the whole step's norm.
  const transform = chain(o.maximize && negate(), adam, o.weight_decay !== 0 && addDecayedWeights(o.weight_decay), scaleByTrustRatio(), scaleByLearningRate());
  return { hyper: { lr: o.lr, beta1: o.betas[0] }, transform };
}
