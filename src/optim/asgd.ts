/**
 * Averaged SGD (Polyak & Juditsky 1992; the decaying step of Bottou 2012), as torch.optim.ASGD's
 * single-tensor code (1.13). The averaged weights ax are the ones to evaluate and save (as torch
 * users swap them into the model): they are this optimizer's evaluation point.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { learningRate, maximize, weightDecay } from './options.js';
import { addDecayedWeights, negate } from './pieces.js';
import { chain, namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ(1 − λη) − η·g,  ax ← ax + μ(θ − ax);  evaluated at ax';

export const algorithm = `
g ← −g                                    if maximize
g ← g + wd·θ                              if weight_decay ≠ 0
θ ← θ·(1 − λη) − η·g                      η starts at γ
ax ← θ if μ = 1, else ax ← ax + μ(θ − ax)  μ starts at 1
η ← γ / (1 + λγt)^α,   μ ← 1 / max(1, t − t0)
evaluation and saved weights: ax`;

export const asgdOptions = z.strictObject({
  lr: learningRate(1e-2),
  lambd: z.number().min(0).finite().default(1e-4).describe('decay term λ'),
  alpha: z.number().finite().default(0.75).describe('power α of the step-size decay'),
  t0: z.number().finite().default(1e6).describe('step t0 at which averaging starts'),
  weight_decay: weightDecay(),
  maximize: maximize(),
});

type AsgdState = { ax: Float32Array; eta: Float32Array; mu: Float32Array };

/**
 * ASGD's step after the frame's decay: u ← −η·(g + λθ) (θ·(1 − λη) − ηg in one addition), then,
 * once θ has moved, the average ax and the next η and μ. η and μ are float32, as torch's state
 * tensors, and read at the next step as torch reads them (.item()).
 */
export function averagedSgd(options: { lambd: number; alpha: number; t0: number }): Transform<AsgdState> {
  const { lambd, alpha, t0 } = options;
  const decay = addDecayedWeights(lambd);
  return {
    init: (size) => ({ ax: allocFloat32(size), eta: new Float32Array(1), mu: new Float32Array(1) }),
    named: namedBy<AsgdState>({ ax: 'ax' }),
    update(u, state, context) {
      if (context.step === 1) {
        state.eta[0] = context.hyper.lr;
        state.mu[0] = 1;
      }
      decay.update(u, undefined, context);
      const eta = state.eta[0];
      for (let i = 0; i < u.length; i++) u[i] *= -eta;
    },
    afterStep({ ax, eta, mu }, { step, params, hyper }) {
      if (mu[0] === 1) ax.set(params);
      else for (let i = 0; i < ax.length; i++) ax[i] += Math.fround(mu[0] * (params[i] - ax[i]));
      eta[0] = hyper.lr / (1 + lambd * hyper.lr * step) ** alpha;
      mu[0] = 1 / Math.max(1, step - t0);
    },
    evaluationPoint({ ax }, _params, out) {
      out.set(ax);
    },
  };
}

export function asgd(o: z.output<typeof asgdOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr },
    transform: chain(o.maximize && negate(), o.weight_decay !== 0 && addDecayedWeights(o.weight_decay), averagedSgd(o)),
  };
}
