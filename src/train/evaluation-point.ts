/**
 * Evaluating and saving at the optimizer's evaluation point (Transform.evaluationPoint): ASGD's
 * averaged weights ax, schedule-free's x, train.average's EMA or SWA. The trained weights are put
 * aside, the evaluation weights written into the model for the evaluation (or the saved file), and
 * the trained weights put back bit for bit, so that training continues as if nothing happened —
 * what torch users do by swapping ax in, by optimizer.eval()/train() in schedulefree, or by
 * evaluating swa_utils' AveragedModel copy.
 */
import type { Model } from '../engine/model.js';
import type { Optimizer } from '../optim/transform.js';

/** `use()` run with the model at the optimizer's evaluation point; directly when it has none. */
export function atEvaluationPoint<T>(model: Model, optimizer: Optimizer, use: () => T): T {
  if (!optimizer.hasEvaluationPoint) return use();
  const trained = Float32Array.from(model.values);
  optimizer.evaluationWeights(trained, model.values);
  try {
    return use();
  } finally {
    model.values.set(trained);
  }
}
