/**
 * Rosenbrock's valley (Rosenbrock 1960), in n ≥ 2 dimensions as scipy.optimize.rosen writes it:
 *   f(x) = Σ_{i<n−1} b·(x_{i+1} − x_i²)² + (a − x_i)²,   minimum 0 at (a, a², …) — for a = 1, (1, …, 1).
 *   ∂f/∂x_i = −4b·x_i·(x_{i+1} − x_i²) − 2(a − x_i)  [i < n−1]   +   2b·(x_i − x_{i−1}²)  [i > 0]
 */
import { z } from 'zod';
import type { Objective } from './objective.js';

export const rosenbrockOptions = {
  a: z.number().finite().default(1),
  b: z.number().finite().default(100),
};

export function rosenbrock(o: { a: number; b: number }, dimension: number): Objective {
  const { a, b } = o;
  return {
    dimension,
    family: { kind: 'fixed' },
    minimizer: a === 1 ? Array.from({ length: dimension }, () => 1) : null,
    evaluate(x, _which, grad) {
      grad?.fill(0);
      let f = 0;
      for (let i = 0; i < dimension - 1; i++) {
        const valley = x[i + 1] - x[i] * x[i];
        const offset = a - x[i];
        f += b * valley * valley + offset * offset;
        if (grad !== null) {
          grad[i] += -4 * b * x[i] * valley - 2 * offset;
          grad[i + 1] += 2 * b * valley;
        }
      }
      return f;
    },
  };
}
