/** SGD, with momentum, dampening and Nesterov's look-ahead (torch.optim.SGD). */
import { z } from 'zod';
import { learningRate, maximize, momentum, weightDecay } from './options.js';
import { torchChain, trace } from './pieces.js';
import type { OptimizerSetup } from './transform.js';

export const rule = 'θ ← θ − γ·(nesterov ? g + μb : b),  b ← μb + (1−τ)g';

export const algorithm = `
g ← −g                                   if maximize
g ← g + λθ                               if λ ≠ 0
b ← g (first step), else b ← μb + (1−τ)g  if μ ≠ 0
g ← g + μb (nesterov), else g ← b         if μ ≠ 0
θ ← θ − γg`;

export const sgdOptions = z
  .strictObject({
    lr: learningRate(1e-3),
    momentum: momentum(),
    dampening: z.number().finite().default(0).describe('dampening τ of the momentum'),
    weight_decay: weightDecay(),
    nesterov: z.boolean().default(false).describe("Nesterov's momentum (needs μ > 0 and τ = 0)"),
    maximize: maximize(),
  })
  .refine((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0), {
    message: 'nesterov needs momentum > 0 and dampening = 0',
    path: ['nesterov'],
  });

export function sgd(o: z.output<typeof sgdOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: torchChain(o, trace({ dampening: o.dampening, nesterov: o.nesterov })),
  };
}
