/**
 * Lookahead (Zhang, Lucas, Hinton & Ba 2019, Algorithm 1) around any optimizer: the inner
 * optimizer takes k fast steps, then the slow weights move a fraction α of the way to the fast
 * ones and the fast weights restart from there:
 *   φ ← φ + α(θ − φ),  θ ← φ        after every k-th step (φ starts at the initial weights)
 * The slow weights start at θ₀ as in the paper (timm's Lookahead starts them at the weights of the
 * first synchronisation instead, which makes that one a no-op). The inner optimizer's state is
 * kept across synchronisations (the paper's default; its "reset" variant is not offered).
 * Evaluation and saved weights are the trained (fast) weights, as timm evaluates them.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { namedBy, type Transform } from './transform.js';

export const lookaheadOptions = z
  .strictObject({
    k: z.int().positive().default(5).describe('synchronise the slow weights every k steps'),
    alpha: z.number().gt(0).max(1).default(0.5).describe('step α of the slow weights towards the fast ones'),
  })
  .describe('Lookahead (Zhang et al. 2019) around this optimizer: {k, alpha}');

export type LookaheadOptions = z.output<typeof lookaheadOptions>;

export const lookaheadAlgorithm = `
lookahead {k, alpha}: φ ← θ₀;  after every k-th step: φ ← φ + α(θ − φ), θ ← φ`;

type LookaheadState = { slow: Float32Array };

/** The Lookahead link: listed first in a chain, it wraps the optimizer after it (chain's afterStep order). */
export function lookahead({ k, alpha }: LookaheadOptions): Transform<LookaheadState> {
  return {
    init: (size) => ({ slow: allocFloat32(size) }),
    named: namedBy<LookaheadState>({ slow: 'lookahead_slow_buff' }),
    update(_u, { slow }, { step, params }) {
      if (step === 1) slow.set(params);
    },
    afterStep({ slow }, { step, params }) {
      if (step % k !== 0) return;
      for (let i = 0; i < slow.length; i++) {
        slow[i] += Math.fround(alpha * (params[i] - slow[i]));
        params[i] = slow[i];
      }
    },
  };
}
