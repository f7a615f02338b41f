/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Program 1 and
 * Algorithm 2), as lucidrains' lion-pytorch and optax.lion implement it:
 *   c ← β1·m + (1−β1)·g
 *   θ ← θ − γ·(sign(c) + λθ)          decoupled weight decay, as the paper's Program 1
 *   m ← β2·m + (1−β2)·g
 * sign(0) = 0 (torch.sign). The paper and lion-pytorch agree; optax's default λ is 1e-3, the
 * paper's and lion-pytorch's 0, which is taken here.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { flushSubnormal } from './moments.js';
import { decayRate, learningRate, maximize, weightDecay } from './options.js';
import { beta1Of, torchChain } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·(sign(β1·m + (1−β1)g) + λθ),  m ← β2·m + (1−β2)g';

export const algorithm = `
g ← −g                                      if maximize
c ← β1·m + (1−β1)·g
θ ← θ − γ·(sign(c) + λθ)                    decoupled weight decay
m ← β2·m + (1−β2)·g                         (Chen et al. 2023, Program 1)`;

export const lionOptions = z.strictObject({
  lr: learningRate(1e-4),
  betas: z.tuple([decayRate(), decayRate()]).default([0.9, 0.99]).describe('(β1, β2): interpolation of the update direction, decay of the momentum m'),
  weight_decay: weightDecay(),
  maximize: maximize(),
});

/** Lion's sign of an interpolated momentum: u ← sign(β1·m + (1−β1)·g), then m ← β2·m + (1−β2)·g (in float32). */
export function scaleBySignMomentum(beta2: number): Transform<{ expAvg: Float32Array }> {
  return {
    init: (size) => ({ expAvg: allocFloat32(size) }),
    named: namedBy({ expAvg: 'exp_avg' }),
    update(u, { expAvg }, { hyper }) {
      const f = Math.fround;
      const b1 = f(beta1Of(hyper));
      const c1 = f(1 - beta1Of(hyper));
      const b2 = f(beta2);
      const c2 = f(1 - beta2);
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const m = expAvg[i];
        u[i] = Math.sign(f(f(b1 * m) + f(c1 * g)));
        expAvg[i] = flushSubnormal(f(f(b2 * m) + f(c2 * g)));
      }
    },
  };
}

export function lion(o: z.output<typeof lionOptions>): OptimizerSetup {
  return { hyper: { lr: o.lr, beta1: o.betas[0] }, transform: torchChain({ ...o, decoupled_weight_decay: true }, scaleBySignMomentum(o.betas[1])) };
}
