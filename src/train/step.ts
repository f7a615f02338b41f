/**
 * One optimizer step on one batch: gather → forward → loss → backward → gradient norm →
 * optimizer. The training loop and the benchmarks both run exactly this.
 */
import type { Split, TargetEncoding } from '../data/dataset.js';
import type { LossKind } from '../engine/losses/loss.js';
import type { Model } from '../engine/model.js';
import { allocFloat32 } from '../kernels/arena.js';
import type { Optimizer } from '../optim/transform.js';
import { classPositions, countCorrect, type AccuracyRule } from './metrics.js';

/** What watches the optimizer's update (the optimizer internals, internals.ts). */
export interface StepObserver {
  /** After backward and the gradient norm, before the optimizer turns the gradient into the update. */
  beforeUpdate(): void;
  afterUpdate(): void;
}

export class TrainStep {
  /** The batch's targets, as the loss reads them; shared with evaluation. */
  readonly targets: Float32Array;
  /** Gradient norm before the update of the last step (NaN when it diverged). */
  gradNorm = NaN;
  /** Correctly predicted samples of the last batch (for a sequence, correct positions ÷ positions per sample). */
  correct = 0;
  /** Called around the optimizer's update; null when nothing watches it. */
  observer: StepObserver | null = null;

  constructor(
    readonly model: Model,
    readonly optimizer: Optimizer,
    readonly lossKind: LossKind,
    readonly encoding: TargetEncoding,
    readonly targetWidth: number,
    readonly accuracy: AccuracyRule,
  ) {
    this.targets = allocFloat32(model.maxBatch * targetWidth);
    this.positions = classPositions(encoding, targetWidth);
  }

  /** Classes per sample: T for a sequence, whose loss is the mean over every position (torch's view(-1, vocab)). */
  private readonly positions: number;

  /**
   * torch's closure, for an optimizer that evaluates again within the step (L-BFGS): forward and
   * backward on the same batch at the parameters as they are then, the gradient written into
   * model.grads. Made once; `loss` and `count` are set per step.
   */
  private readonly closure = {
    loss: NaN,
    count: 0,
    evaluate: (): number => {
      const { model } = this;
      const loss = this.lossOf(model.forward(this.closure.count, 'train'), this.closure.count);
      model.backward(this.closure.count);
      return loss;
    },
  };

  /**
   * The batch loss of the model's output for `count` samples, its gradient written into
   * model.outputGrad: over count·positions rows of the classes' width (a sequence's loss is the
   * mean over every position). Float32, as torch computes it and steps.csv records it: a mean that
   * overflows float32 is a divergence even where the float64 sum behind it is still finite.
   */
  private lossOf(out: Float32Array, count: number): number {
    const { model } = this;
    return Math.fround(this.lossKind.loss.compute(out, this.targets, count * this.positions, model.outputWidth / this.positions, model.outputGrad));
  }

  /**
   * Trains on samples order[start .. start+count) of `split` and returns the batch loss
   * computed before the update. A non-finite loss returns at once, leaving the parameters as they were.
   */
  run(split: Split, order: Uint32Array, start: number, count: number): number {
    const { model, targets } = this;
    split.gather(order, start, count, model.input, targets, this.encoding, this.targetWidth);
    const out = model.forward(count, 'train');
    const loss = this.lossOf(out, count);
    if (!Number.isFinite(loss)) {
      this.gradNorm = NaN;
      this.correct = 0;
      return loss;
    }
    this.correct = this.accuracy === null ? 0 : countCorrect(this.accuracy, out, targets, count * this.positions, model.outputWidth / this.positions, this.encoding) / this.positions;
    model.backward(count);
    this.gradNorm = this.optimizer.gradNorm(model.grads);
    // Handed on, so that clipping by the global norm does not compute it a second time.
    this.observer?.beforeUpdate();
    this.closure.loss = loss;
    this.closure.count = count;
    this.optimizer.apply(model.grads, this.gradNorm, this.closure);
    model.project();
    this.observer?.afterUpdate();
    return loss;
  }
}
