/**
 * The counterexamples of Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond" (ICLR 2018),
 * linear functions on the domain [−1, 1] (a `domain` box, projected onto after every step):
 *
 *   online (Section 3, Theorem 1; Section 5, Figure 1 left and centre):
 *     f_t(x) = c·x when t mod period = 1, otherwise `otherwise`·x       (t = 1, 2, … the step)
 *   stochastic (Theorem 3; Figure 1 right):
 *     f_t(x) = c·x with probability p, otherwise `otherwise`·x
 *
 * Theorem 1 uses c = C > 2, otherwise = −1, period 3; the experiment of Section 5 uses
 * c = 1010, otherwise = −10, period 101 (online) and p = 0.01 (stochastic). The average slope is
 * positive, so the minimizer is the domain's low end x = −1; Adam with β2 small against the rare
 * large gradient drifts to +1.
 */
import { z } from 'zod';
import type { Box, Objective } from './objective.js';

export const reddiOnlineOptions = {
  c: z.number().finite().default(1010).describe('the slope of f_t when t mod period = 1 (Reddi et al. 2018, Section 5: 1010)'),
  otherwise: z.number().finite().default(-10).describe('the slope of every other f_t (Section 5: −10; Theorem 1: −1)'),
  period: z.int().min(2).default(101).describe('how often the large slope comes (Section 5: 101; Theorem 1: 3)'),
};

export const reddiStochasticOptions = {
  c: z.number().finite().default(1010).describe('the rare slope (Reddi et al. 2018, Section 5: 1010)'),
  otherwise: z.number().finite().default(-10).describe('the common slope (Section 5: −10)'),
  p: z.number().gt(0).lt(1).default(0.01).describe('the probability of the rare slope (Section 5: 0.01)'),
};

/** f_which(x) = slopes[which]·x in one dimension; the minimizer is the end of the domain the mean slope points away from. */
function linear(slopes: readonly number[], weights: readonly number[], domain: Box | null): Pick<Objective, 'evaluate' | 'minimizer' | 'dimension'> {
  const mean = slopes.reduce((sum, s, i) => sum + s * weights[i], 0);
  return {
    dimension: 1,
    minimizer: domain === null || mean === 0 ? null : [mean > 0 ? domain.low[0] : domain.high[0]],
    evaluate(x, which, grad) {
      if (grad !== null) grad[0] = slopes[which];
      return slopes[which] * x[0];
    },
  };
}

export function reddiOnline(o: { c: number; otherwise: number; period: number }, domain: Box | null): Objective {
  // Member i is step t with (t − 1) mod period = i: member 0 is t mod period = 1, the large slope.
  const slopes = Array.from({ length: o.period }, (_, i) => (i === 0 ? o.c : o.otherwise));
  return { ...linear(slopes, slopes.map(() => 1 / o.period), domain), family: { kind: 'cycle', period: o.period } };
}

export function reddiStochastic(o: { c: number; otherwise: number; p: number }, domain: Box | null): Objective {
  const probabilities = [o.p, 1 - o.p];
  return { ...linear([o.c, o.otherwise], probabilities, domain), family: { kind: 'random', probabilities } };
}
