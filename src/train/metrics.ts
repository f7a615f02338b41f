/**
 * Accuracy, per sample: for class targets the arg-max output must be the
 * class (for one-hot rows, the target's arg-max); for 0/1 targets every output must fall on the
 * right side of the loss's threshold. Real-valued targets have no accuracy.
 */
import type { TargetEncoding, TargetInfo } from '../data/dataset.js';

export type AccuracyRule = { readonly kind: 'argmax' } | { readonly kind: 'threshold'; readonly at: number } | null;

export function accuracyRule(targets: TargetInfo, encoding: TargetEncoding, threshold: number): AccuracyRule {
  if (encoding === 'index' || encoding === 'one-hot') return { kind: 'argmax' };
  if (targets.kind === 'class' || targets.binary) return { kind: 'threshold', at: threshold };
  return null;
}

/** Number of samples of the batch predicted correctly. */
export function countCorrect(
  rule: Exclude<AccuracyRule, null>,
  out: Float32Array,
  target: Float32Array,
  batch: number,
  width: number,
  encoding: TargetEncoding,
): number {
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    if (rule.kind === 'argmax') {
      const label = encoding === 'index' ? target[b] : argmax(target, row, width);
      if (argmax(out, row, width) === label) correct++;
    } else {
      let all = true;
      for (let j = 0; j < width; j++) if (out[row + j] > rule.at !== (target[row + j] === 1)) all = false;
      if (all) correct++;
    }
  }
  return correct;
}

function argmax(values: Float32Array, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

/**
 * How many classified positions a sample has: with class-index targets, one per target value
 * (T for a text block, whose loss and accuracy are over every position), otherwise 1.
 */
export function classPositions(encoding: TargetEncoding, targetWidth: number): number {
  return encoding === 'index' ? targetWidth : 1;
}
