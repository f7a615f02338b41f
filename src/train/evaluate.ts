/**
 * Evaluation: the mean loss and accuracy over a whole split, in evaluation mode (dropout off),
 * in large batches, without backward.
 */
import type { Split, TargetEncoding } from '../data/dataset.js';
import type { LossKind } from '../engine/losses/loss.js';
import type { Model } from '../engine/model.js';
import { classPositions, countCorrect, type AccuracyRule } from './metrics.js';

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number | null;
}

export class Evaluator {
  private readonly order: Uint32Array;

  constructor(
    private readonly model: Model,
    private readonly lossKind: LossKind,
    private readonly encoding: TargetEncoding,
    private readonly targetWidth: number,
    private readonly rule: AccuracyRule,
    private readonly targets: Float32Array,
    private readonly batchSize: number,
    largestSplit: number,
  ) {
    this.order = new Uint32Array(largestSplit);
    for (let i = 0; i < largestSplit; i++) this.order[i] = i;
  }

  evaluate(split: Split): Evaluation {
    const { model } = this;
    const positions = classPositions(this.encoding, this.targetWidth);
    const width = model.outputWidth / positions;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < split.size; start += this.batchSize) {
      const count = Math.min(this.batchSize, split.size - start);
      split.gather(this.order, start, count, model.input, this.targets, this.encoding, this.targetWidth);
      const out = model.forward(count, 'eval');
      lossSum += this.lossKind.loss.compute(out, this.targets, count * positions, width, null) * count;
      if (this.rule !== null) correct += countCorrect(this.rule, out, this.targets, count * positions, width, this.encoding);
    }
    return { loss: lossSum / split.size, accuracy: this.rule === null ? null : correct / (split.size * positions) };
  }
}
