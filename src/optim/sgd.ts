/**
 * SGD as torch.optim.SGD documents it:
 *
 *   g ← −g                                    if maximize
 *   g ← g + λθ                                if λ ≠ 0
 *   b ← g (first step), else μb + (1−τ)g      if μ ≠ 0
 *   g ← g + μb (nesterov), else g ← b          if μ ≠ 0
 *   θ ← θ − γg
 */
import { z } from 'zod';
import { learningRate, maximize, weightDecay } from './options.js';
import { scaleByLearningRate, torchGradient, trace } from './pieces.js';
import { chain, type Hyperparams, type Transform } from './transform.js';

export const sgdOptions = z
  .strictObject({
    lr: learningRate(1e-3),
    momentum: z.number().min(0).finite().default(0),
    dampening: z.number().finite().default(0),
    weight_decay: weightDecay(),
    nesterov: z.boolean().default(false),
    maximize: maximize(),
  })
  .refine((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0), {
    message: 'nesterov needs momentum > 0 and dampening = 0',
    path: ['nesterov'],
  });
export type SgdOptions = z.output<typeof sgdOptions>;

export function sgd(o: SgdOptions): { transform: Transform; hyper: Hyperparams } {
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: chain(
      ...torchGradient(o),
      trace({ dampening: o.dampening, nesterov: o.nesterov }),
      scaleByLearningRate(),
    ),
  };
}
