/**
 * Evaluation: the mean loss and accuracy over a whole split, in evaluation mode (dropout off),
 * in large batches, without backward; for classes grouped by frequency (zipf_classes), also the
 * mean loss of each group's samples.
 */
import type { ClassBuckets, Split, TargetEncoding } from '../data/dataset.js';
import type { LossKind } from '../engine/losses/loss.js';
import type { Model } from '../engine/model.js';
import { classPositions, countCorrect, type AccuracyRule } from './metrics.js';

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number | null;
  /** Per class bucket, the mean loss of its samples (null for a bucket with none); absent without buckets. */
  readonly buckets?: readonly (number | null)[];
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
    /** Class buckets; applied only to class-index targets (cross_entropy), whose label is the target itself. */
    private readonly buckets: ClassBuckets | null = null,
  ) {
    this.order = new Uint32Array(largestSplit);
    for (let i = 0; i < largestSplit; i++) this.order[i] = i;
  }

  evaluate(split: Split): Evaluation {
    const { model } = this;
    const positions = classPositions(this.encoding, this.targetWidth);
    const width = model.outputWidth / positions;
    // One class per sample (not a sequence's per position), as zipf_classes has.
    const buckets = this.encoding === 'index' && positions === 1 ? this.buckets : null;
    const bucketSums = new Float64Array(buckets?.count ?? 0);
    const bucketCounts = new Float64Array(buckets?.count ?? 0);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < split.size; start += this.batchSize) {
      const count = Math.min(this.batchSize, split.size - start);
      split.gather(this.order, start, count, model.input, this.targets, this.encoding, this.targetWidth);
      const out = model.forward(count, 'eval');
      lossSum += this.lossKind.loss.compute(out, this.targets, count * positions, width, null) * count;
      if (this.rule !== null) correct += countCorrect(this.rule, out, this.targets, count * positions, width, this.encoding);
      if (buckets !== null) this.addBucketLosses(buckets, out, count, bucketSums, bucketCounts);
    }
    return {
      loss: lossSum / split.size,
      accuracy: this.rule === null ? null : correct / (split.size * positions),
      ...(buckets === null ? {} : { buckets: Array.from(bucketSums, (sum, b) => (bucketCounts[b] === 0 ? null : sum / bucketCounts[b])) }),
    };
  }

  /** Each sample's loss (the loss of a batch of one) added to its class's bucket. */
  private addBucketLosses(buckets: ClassBuckets, out: Float32Array, count: number, sums: Float64Array, counts: Float64Array): void {
    const width = this.model.outputWidth;
    for (let b = 0; b < count; b++) {
      const bucket = buckets.ofClass[this.targets[b]];
      sums[bucket] += this.lossKind.loss.compute(out.subarray(b * width, (b + 1) * width), this.targets.subarray(b, b + 1), 1, width, null);
      counts[bucket]++;
    }
  }
}
