/**
 * The data of an objective run (engine/objectives/): no features to learn from, only which member
 * of the objective's family each step sees. Sample i holds the index i; an online sequence of
 * period P is P samples taken in order (batch size 1, no shuffle), so step t sees member
 * (t − 1) mod P and an epoch is one period. The test split is the same samples: evaluating on it
 * is the objective's mean over one period (a fixed objective has one sample).
 */
import { Split, type Dataset } from './dataset.js';

export function memberSamples(count: number): Dataset {
  const features = Float32Array.from({ length: count }, (_, i) => i);
  const split = new Split(count, features, [1], new Float32Array(count), 1, null);
  return { inputShape: [1], targets: { kind: 'values', width: 1, binary: false }, train: split, validation: null, test: split, beginEpoch() {} };
}
