/**
 * Binary cross entropy on probabilities p ∈ [0, 1] (torch.nn.BCELoss):
 *   loss = −[y·log p + (1−y)·log(1−p)],   each log clamped at −100 as torch does,
 *   ∂loss/∂p = (p − y) / max(p·(1−p), 1e-12) / N,   N = B·width (torch's backward, same epsilon).
 */
import type { Loss } from './loss.js';

const LOG_FLOOR = -100;
const EPSILON = 1e-12;

export const bce: Loss = {
  compute(out, target, batch, width, dOut) {
    const n = batch * width;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = out[i];
      const y = target[i];
      total -= y * Math.max(Math.log(p), LOG_FLOOR) + (1 - y) * Math.max(Math.log(1 - p), LOG_FLOOR);
      if (dOut !== null) dOut[i] = (p - y) / Math.max(p * (1 - p), EPSILON) / n;
    }
    return total / n;
  },
};
