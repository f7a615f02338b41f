/**
 * Binary cross entropy on logits x (torch.nn.BCEWithLogitsLoss), in the stable form
 *   loss = max(x, 0) − x·y + log(1 + e^(−|x|)),
 *   ∂loss/∂x = (σ(x) − y) / N,   N = B·width.
 */
import type { Loss } from './loss.js';

export const bceWithLogits: Loss = {
  compute(out, target, batch, width, dOut) {
    const n = batch * width;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = out[i];
      const y = target[i];
      total += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
      if (dOut !== null) {
        const sigma = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        dOut[i] = (sigma - y) / n;
      }
    }
    return total / n;
  },
};
