/**
 * RMSprop as torch.optim.RMSprop documents it (Hinton's lecture 6e; centered form of Graves 2013):
 *
 *   g ← −g                                     if maximize
 *   g ← g + λθ                                 if λ ≠ 0
 *   v ← αv + (1−α)g²
 *   ṽ ← v − ḡ², ḡ ← αḡ + (1−α)g                if centered, else ṽ ← v
 *   b ← μb + g/(√ṽ + ε), θ ← θ − γb            if μ > 0
 *   θ ← θ − γ g/(√ṽ + ε)                       otherwise
 */
import { z } from 'zod';
import { epsilon, learningRate, maximize, weightDecay } from './options.js';
import { scaleByLearningRate, scaleByRms, torchGradient, trace } from './pieces.js';
import { chain, type Hyperparams, type Transform } from './transform.js';

export const rmspropOptions = z.strictObject({
  lr: learningRate(1e-2),
  alpha: z.number().min(0).max(1).default(0.99),
  eps: epsilon(1e-8),
  weight_decay: weightDecay(),
  momentum: z.number().min(0).finite().default(0),
  centered: z.boolean().default(false),
  maximize: maximize(),
});
export type RmspropOptions = z.output<typeof rmspropOptions>;

export function rmsprop(o: RmspropOptions): { transform: Transform; hyper: Hyperparams } {
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: chain(
      ...torchGradient(o),
      scaleByRms({ alpha: o.alpha, eps: o.eps, centered: o.centered }),
      trace({ dampening: 0, nesterov: false }),
      scaleByLearningRate(),
    ),
  };
}
