/**
 * An ill-conditioned quadratic bowl f(x) = ½·xᵀAx, A = Rᵀ·diag(λ)·R, minimum 0 at the origin.
 * The eigenvalues λ_i run geometrically from 1 to condition_number (λ_0 = 1, λ_{n−1} = κ), and R
 * rotates the plane of the first two coordinates by `rotation` degrees, so that the valley is not
 * aligned with the axes (where diagonal methods such as Adam have it easy). ∇f = Ax.
 */
import { z } from 'zod';
import type { Objective } from './objective.js';

export const quadraticOptions = {
  condition_number: z.number().min(1).finite().default(10).describe('largest over smallest curvature (eigenvalues geometric from 1 to this)'),
  rotation: z.number().finite().default(0).describe('degrees by which the axes of the first two coordinates are rotated'),
};

export function quadratic(o: { condition_number: number; rotation: number }, dimension: number): Objective {
  const eigen = Array.from({ length: dimension }, (_, i) => (dimension === 1 ? 1 : o.condition_number ** (i / (dimension - 1))));
  const angle = (o.rotation * Math.PI) / 180;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  /** y = R·x: only the first two coordinates turn. */
  const rotate = (x: ArrayLike<number>, y: Float64Array, sign: number): void => {
    for (let i = 0; i < dimension; i++) y[i] = x[i];
    if (dimension < 2) return;
    y[0] = cos * x[0] + sign * sin * x[1];
    y[1] = -sign * sin * x[0] + cos * x[1];
  };
  const turned = new Float64Array(dimension);
  const scaled = new Float64Array(dimension);
  return {
    dimension,
    family: { kind: 'fixed' },
    minimizer: Array.from({ length: dimension }, () => 0),
    evaluate(x, _which, grad) {
      rotate(x, turned, 1);
      let f = 0;
      for (let i = 0; i < dimension; i++) {
        f += 0.5 * eigen[i] * turned[i] * turned[i];
        scaled[i] = eigen[i] * turned[i];
      }
      // ∇f = Rᵀ·diag(λ)·R·x: the inverse rotation of the scaled, rotated point.
      if (grad !== null) rotate(scaled, grad, -1);
      return f;
    },
  };
}
