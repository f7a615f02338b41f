/**
 * The loss of an objective run: the model's output is already the objective's value, so the
 * loss is its batch mean and ∂loss/∂out = 1/B. Not a config loss: `objective:` stands where
 * `loss:` would.
 */
import type { LossKind } from '../losses/loss.js';

export const objectiveValue: LossKind = {
  loss: {
    compute(out, _target, batch, _width, dOut) {
      let total = 0;
      for (let b = 0; b < batch; b++) {
        total += out[b];
        if (dOut !== null) dOut[b] = 1 / batch;
      }
      return total / batch;
    },
  },
  targets: 'values',
  expectsProbabilities: false,
  threshold: 0,
  summary: "the objective's value",
};
