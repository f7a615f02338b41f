/**
 * Cross entropy on logits with integer class targets (torch.nn.CrossEntropyLoss):
 *   loss_b = log Σ_j e^(x_bj) − x_b,y_b            (log-softmax, shifted by max_j x_bj for stability)
 *   ∂loss/∂x_bj = (softmax(x_b)_j − [j = y_b]) / B
 */
import type { Loss } from './loss.js';

export const crossEntropy: Loss = {
  compute(out, target, batch, width, dOut) {
    let total = 0;
    for (let b = 0; b < batch; b++) {
      const row = b * width;
      let max = -Infinity;
      for (let j = 0; j < width; j++) if (out[row + j] > max) max = out[row + j];
      let sumExp = 0;
      for (let j = 0; j < width; j++) sumExp += Math.exp(out[row + j] - max);
      const label = target[b];
      total += max + Math.log(sumExp) - out[row + label];
      if (dOut !== null) {
        for (let j = 0; j < width; j++) {
          const softmax = Math.exp(out[row + j] - max) / sumExp;
          dOut[row + j] = (softmax - (j === label ? 1 : 0)) / batch;
        }
      }
    }
    return total / batch;
  },
};
