/**
 * The saddle f(x, y) = x² − y², ∇f = (2x, −2y): a stationary point at the origin that is a minimum
 * along x and a maximum along y. Started on the x-axis (y = 0) the gradient never leaves it; a
 * small y grows by the factor (1 + 2·lr) per plain gradient step, which is why escaping is slow.
 * Unbounded below, so it has no minimizer.
 */
import type { Objective } from './objective.js';

export function saddle(): Objective {
  return {
    dimension: 2,
    family: { kind: 'fixed' },
    minimizer: null,
    evaluate(p, _which, grad) {
      if (grad !== null) {
        grad[0] = 2 * p[0];
        grad[1] = -2 * p[1];
      }
      return p[0] * p[0] - p[1] * p[1];
    },
  };
}
