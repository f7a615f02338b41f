/**
 * The loss registry: config name → loss, the targets it takes and its decision threshold.
 * Config validation, training and `adam-lab schema` read this one table, as they read the
 * layer registry (layers/registry.ts) and the optimizer registry (optim/registry.ts).
 */
import { bce } from './bce.js';
import { bceWithLogits } from './bce-with-logits.js';
import { crossEntropy } from './cross-entropy.js';
import type { LossKind } from './loss.js';
import { mse } from './mse.js';

export const lossKinds = {
  cross_entropy: {
    loss: crossEntropy,
    targets: 'class',
    expectsProbabilities: false,
    threshold: 0,
    summary: 'softmax cross entropy on logits, class-index targets',
  },
  bce: {
    loss: bce,
    targets: 'values',
    expectsProbabilities: true,
    threshold: 0.5,
    summary: 'binary cross entropy on probabilities (after a sigmoid)',
  },
  bce_with_logits: {
    loss: bceWithLogits,
    targets: 'values',
    expectsProbabilities: false,
    threshold: 0,
    summary: 'binary cross entropy on logits (sigmoid built in, stable)',
  },
  mse: {
    loss: mse,
    targets: 'values',
    expectsProbabilities: false,
    threshold: 0.5,
    summary: 'mean squared error',
  },
} as const satisfies Record<string, LossKind>;

export type LossName = keyof typeof lossKinds;
export const lossNames = Object.keys(lossKinds) as LossName[];
