/** Adagrad (Duchi, Hazan & Singer 2011), as torch.optim.Adagrad. */
import { z } from 'zod';
import { epsilon, learningRate, maximize, weightDecay } from './options.js';
import { scaleByInverseTimeDecay, torchChain } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ/(1+(t−1)η) · g/(√Σg² + ε)';

export const algorithm = `
g ← −g                           if maximize
g ← g + λθ                       if λ ≠ 0
γ̃ ← γ / (1 + (t−1)η)             η = lr_decay
s ← s + g²                       s starts at initial_accumulator_value
θ ← θ − γ̃ · g/(√s + ε)`;

/**
 * torch.optim.Adagrad fills every state sum with the constructor's initial_accumulator_value and
 * ignores a group's own (1.13 and 2.x alike), so a group may not set it.
 */
export const constructorOnly = ['initial_accumulator_value'];

export const adagradOptions = z.strictObject({
  lr: learningRate(1e-2),
  lr_decay: z.number().min(0).finite().default(0).describe('learning-rate decay η: γ/(1 + (t−1)η)'),
  weight_decay: weightDecay(),
  initial_accumulator_value: z.number().min(0).finite().default(0).describe('starting value of the sum of squares s'),
  eps: epsilon(1e-10),
  maximize: maximize(),
});

export function scaleBySumOfSquares(options: { initial: number; eps: number }): Transform<{ sum: Float32Array }> {
  const { initial, eps } = options;
  return {
    init: (size) => ({ sum: new Float32Array(size).fill(initial) }),
    named: namedBy({ sum: 'sum' }),
    update(u, { sum }) {
      for (let i = 0; i < u.length; i++) {
        sum[i] += u[i] * u[i];
        u[i] /= Math.sqrt(sum[i]) + eps;
      }
    },
  };
}

export function adagrad(o: z.output<typeof adagradOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr },
    transform: torchChain(
      o,
      scaleBySumOfSquares({ initial: o.initial_accumulator_value, eps: o.eps }),
      o.lr_decay !== 0 && scaleByInverseTimeDecay(o.lr_decay),
    ),
  };
}
