/**
 * An objective as the one layer of a model, so that training, optimizers, parameter groups,
 * internals and checkpoints work on it as on any network: its one parameter `x` [n] holds the
 * coordinates; its input [1] is a sample's member index (which function of an online sequence
 * the step sees); its output [1] is the value, which the objective's loss passes on as it is.
 *
 *   forward (train):  y_b = f_{w_b}(x),  w_b the member of sample b (or drawn, for a random family)
 *   forward (eval):   y_b = f_{w_b}(x) for a cycle (the split holds one period), E[f](x) for a random family
 *   backward:         ∂L/∂x = Σ_b dy_b·∇f_{w_b}(x) + noise·N(0, 1) per coordinate
 *   project:          x clamped to the domain after every optimizer step
 *
 * Gradient noise and random members draw from the model's one random stream (the dropout
 * stream), which checkpoints save and restore, so a resumed run sees the same draws.
 */
import type { Layer, LayerPlan, Parameter } from '../layer.js';
import { expectedValue, memberFor, projectOnto, type Box, type Objective } from './objective.js';

/** What the last training step saw, for the trajectory's regret. */
export interface ObjectiveTrace {
  /** The member of the family the last training step's sample used (0 for a fixed objective). */
  member: number;
  /** Its value at the coordinates before that step, f_t(x_t), in float64. */
  value: number;
}

export function planObjectiveLayer(objective: Objective, start: readonly number[], noise: number, domain: Box | null, trace: ObjectiveTrace): LayerPlan {
  return {
    outShape: [1],
    parameters: [{ name: 'x', shape: [objective.dimension], init: { kind: 'values', values: start } }],
    build([x]: readonly Parameter[], context): Layer {
      const members = new Int32Array(context.maxBatch);
      const grad = new Float64Array(objective.dimension);
      return {
        forward(input, y, batch, mode) {
          if (mode === 'eval' && objective.family.kind === 'random') {
            y.fill(expectedValue(objective, x.value), 0, batch);
            return;
          }
          for (let b = 0; b < batch; b++) {
            members[b] = mode === 'train' ? memberFor(objective.family, input[b], context.rng) : input[b];
            const value = objective.evaluate(x.value, members[b], null);
            y[b] = value;
            // The float64 value, before y's float32 rounding.
            if (b === 0 && mode === 'train') trace.value = value;
          }
          if (mode === 'train') trace.member = members[0];
        },
        backward(_input, _y, dy, _dx, batch) {
          x.grad.fill(0);
          for (let b = 0; b < batch; b++) {
            objective.evaluate(x.value, members[b], grad);
            for (let i = 0; i < grad.length; i++) x.grad[i] += dy[b] * grad[i];
          }
          if (noise > 0) for (let i = 0; i < x.grad.length; i++) x.grad[i] += noise * context.rng.normal();
        },
        project:
          domain === null
            ? undefined
            : () => projectOnto(domain, x.value),
      };
    },
  };
}
