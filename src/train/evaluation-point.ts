/**
 * Evaluating and saving at the optimizer's evaluation point (Transform.evaluationPoint): ASGD's
 * averaged weights ax, schedule-free's x, train.average's EMA or SWA. The trained weights are put
 * aside, the evaluation weights written into the model for the evaluation (or the saved file), and
 * the trained weights put back bit for bit, so that training continues as if nothing happened —
 * what torch users do by swapping ax in, by optimizer.eval()/train() in schedulefree, or by
 * evaluating swa_utils' AveragedModel copy.
 *
 * With SWA, batch-norm statistics are recomputed for the averaged weights first, as
 * swa_utils.update_bn(train_loader, swa_model): running statistics reset, then one pass over the
 * training data in file order and batches of data.batch_size, in training mode with a cumulative
 * average (Mode 'update_bn'). The trained model's own statistics and its dropout stream are put back
 * afterwards (torch's swa_model is a copy; the training model's stream is not drawn from). An EMA is
 * evaluated with the trained model's statistics, as a copy made with use_buffers would carry them.
 */
import { batching } from '../config/validate.js';
import { allocFloat32 } from '../kernels/arena.js';
import type { Training } from './build.js';

/** Runs a function with the model at the evaluation point; directly when the optimizer has none. */
export type AtEvaluationPoint = <T>(use: () => T) => T;

export function evaluationPoint(training: Training): AtEvaluationPoint {
  const { model, optimizer, config } = training;
  if (!optimizer.hasEvaluationPoint) return (use) => use();
  const trained = allocFloat32(model.values.length);
  const updateBatchNorm = config.train.average?.kind === 'swa' && model.buffers.length > 0 ? batchNormUpdate(training) : null;
  return (use) => {
    trained.set(model.values);
    optimizer.evaluationWeights(trained, model.values);
    const restoreStatistics = updateBatchNorm?.();
    try {
      return use();
    } finally {
      model.values.set(trained);
      restoreStatistics?.();
    }
  };
}

/** swa_utils.update_bn over the training split; returns what puts the trained model's statistics and dropout stream back. */
function batchNormUpdate(training: Training): () => () => void {
  const { model, dataset, targets: match, config } = training;
  const split = dataset.train;
  const order = Uint32Array.from({ length: split.size }, (_, i) => i);
  const targets = allocFloat32(model.maxBatch * match.width);
  const batchSize = Math.min(batching(config).batch_size, model.maxBatch);
  const saved = model.buffers.map((b) => b.value.slice());
  return () => {
    model.buffers.forEach((b, i) => saved[i].set(b.value));
    const dropout = model.dropoutRng.state();
    for (const b of model.buffers) b.value.fill(b.fill);
    for (let start = 0; start < split.size; start += batchSize) {
      const count = Math.min(batchSize, split.size - start);
      split.gather(order, start, count, model.input, targets, match.encoding, match.width);
      model.forward(count, 'update_bn');
    }
    return () => {
      model.buffers.forEach((b, i) => b.value.set(saved[i]));
      model.dropoutRng.restore(dropout);
    };
  };
}
