/**
 * Rastrigin's function (Rastrigin 1974), any dimension; many local minima, the global one 0 at the origin:
 *   f(x) = A·n + Σ (x_i² − A·cos 2πx_i),   ∂f/∂x_i = 2x_i + 2πA·sin 2πx_i,   A = 10 by default.
 */
import { z } from 'zod';
import type { Objective } from './objective.js';

export const rastriginOptions = { a: z.number().finite().default(10) };

export function rastrigin(o: { a: number }, dimension: number): Objective {
  const { a } = o;
  return {
    dimension,
    family: { kind: 'fixed' },
    minimizer: Array.from({ length: dimension }, () => 0),
    evaluate(x, _which, grad) {
      let f = a * dimension;
      for (let i = 0; i < dimension; i++) {
        f += x[i] * x[i] - a * Math.cos(2 * Math.PI * x[i]);
        if (grad !== null) grad[i] = 2 * x[i] + 2 * Math.PI * a * Math.sin(2 * Math.PI * x[i]);
      }
      return f;
    },
  };
}
