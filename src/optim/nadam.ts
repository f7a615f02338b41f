/**
 * NAdam, Adam with Nesterov momentum and a momentum-decay schedule (Dozat 2016), as the
 * torch.optim.NAdam documentation of torch ≥ 2.0 gives it (1.13 multiplied one μ too many into
 * the product Π μ_i of the second term; the docs were always as below).
 */
import { z } from 'zod';
import { initMoments, MOMENT_NAMES, updateAverage, type Moments } from './moments.js';
import { adamFamilyOptions, decoupledWeightDecay, maximize } from './options.js';
import { adamFamily, beta1Of } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ[(1−μ_t)/(1−Πμ)·g + μ_{t+1}/(1−Πμ·μ_{t+1})·m]/(√v̂ + ε)';

export const algorithm = `
g ← −g                                      if maximize
g ← g + λθ  (coupled) or θ ← θ − γλθ (decoupled)   if λ ≠ 0
μ_t ← β1·(1 − ½·0.96^(tψ)),  μ_{t+1} ← β1·(1 − ½·0.96^((t+1)ψ))        ψ = momentum_decay
m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²,   v̂ ← v/(1−β2ᵗ)
θ ← θ − γ(1−μ_t)/(1 − Π_{i≤t} μ_i) · g/(√v̂ + ε) − γμ_{t+1}/(1 − Π_{i≤t+1} μ_i) · m/(√v̂ + ε)`;

export const nadamOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 2e-3 }),
  momentum_decay: z.number().min(0).finite().default(4e-3).describe('momentum decay ψ of the μ_t schedule'),
  decoupled_weight_decay: decoupledWeightDecay(),
  maximize: maximize(),
});

export function scaleByNadam(options: { beta2: number; eps: number; momentumDecay: number }): Transform<Moments & { muProduct: Float32Array }> {
  const { beta2, eps, momentumDecay } = options;
  return {
    // Π μ_i is float32 state in torch too.
    init: (size) => ({ ...initMoments(size), muProduct: Float32Array.of(1) }),
    named: namedBy(MOMENT_NAMES),
    update(u, { expAvg, expAvgSq, muProduct }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      muProduct[0] *= mu;
      const gradientWeight = (1 - mu) / (1 - muProduct[0]);
      const momentumWeight = muNext / (1 - muProduct[0] * muNext);
      const biasCorrection2 = 1 - beta2 ** step;
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const m = updateAverage(expAvg, i, g, beta1);
        const v = updateAverage(expAvgSq, i, g * g, beta2);
        const denominator = Math.sqrt(v / biasCorrection2) + eps;
        u[i] = (gradientWeight * g + momentumWeight * m) / denominator;
      }
    },
  };
}

export function nadam(o: z.output<typeof nadamOptions>): OptimizerSetup {
  return adamFamily(o, scaleByNadam({ beta2: o.betas[1], eps: o.eps, momentumDecay: o.momentum_decay }));
}
