/**
 * Mean squared error (torch.nn.MSELoss):
 *   loss = Σ (x − y)² / N,   ∂loss/∂x = 2(x − y) / N,   N = B·width.
 */
import type { Loss } from './loss.js';

export const mse: Loss = {
  compute(out, target, batch, width, dOut) {
    const n = batch * width;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const diff = out[i] - target[i];
      total += diff * diff;
      if (dOut !== null) dOut[i] = (2 * diff) / n;
    }
    return total / n;
  },
};
