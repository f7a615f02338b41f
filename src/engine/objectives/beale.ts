/**
 * Beale's function (Beale 1958), two dimensions; minimum 0 at (3, 0.5):
 *   f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²
 *   with rₖ = cₖ − x + x·yᵏ:  ∂f/∂x = Σ 2rₖ(yᵏ − 1),   ∂f/∂y = Σ 2rₖ·k·x·yᵏ⁻¹
 */
import type { Objective } from './objective.js';

const C = [1.5, 2.25, 2.625];

export function beale(): Objective {
  return {
    dimension: 2,
    family: { kind: 'fixed' },
    minimizer: [3, 0.5],
    evaluate(p, _which, grad) {
      const [x, y] = [p[0], p[1]];
      let f = 0;
      let gx = 0;
      let gy = 0;
      for (let k = 1; k <= 3; k++) {
        const r = C[k - 1] - x + x * y ** k;
        f += r * r;
        gx += 2 * r * (y ** k - 1);
        gy += 2 * r * k * x * y ** (k - 1);
      }
      if (grad !== null) {
        grad[0] = gx;
        grad[1] = gy;
      }
      return f;
    },
  };
}
