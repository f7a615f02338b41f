/**
 * The data of an objective run (engine/objectives/): no features to learn from, only which member
 * of the objective's family each step sees. Sample i holds the index i; an online sequence of
 * period P is P samples taken in order (batch size 1, no shuffle), so step t sees member
 * (t − 1) mod P and an epoch is one period. The validation and test splits are the same samples:
 * evaluating on them is the objective's value without the step's randomness (its mean over one
 * period, a fixed objective has one sample). There is no held-out data to keep apart, so val_loss
 * and test_loss are that one value, and the tuned protocol, which tunes on val_loss, tunes on it.
 */
import { Split, type Dataset } from './dataset.js';

export function memberSamples(count: number): Dataset {
  const features = Float32Array.from({ length: count }, (_, i) => i);
  const split = new Split(count, features, [1], new Float32Array(count), 1, null);
  return { inputShape: [1], targets: { kind: 'values', width: 1, binary: false }, train: split, validation: split, test: split, beginEpoch() {} };
}
