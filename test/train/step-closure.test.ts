/**
 * The closure a step hands to the optimizer (L-BFGS evaluates it again within a step) computes the
 * step's own loss: at unchanged parameters it must give the very loss run() computed. For a
 * sequence (several class positions per sample) that means the loss over every position — the
 * closure once took a sample's whole output as one row, a different loss.
 */
import { describe, expect, it } from 'vitest';
import { Split } from '../../src/data/dataset.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import type { Closure, Optimizer } from '../../src/optim/transform.js';
import { TrainStep } from '../../src/train/step.js';

const SAMPLES = 6;
const FEATURES = 5;

/** An optimizer that only evaluates the closure, as L-BFGS does first, and keeps both losses. */
function probe(): { optimizer: Optimizer; seen: { given: number; evaluated: number }[] } {
  const seen: { given: number; evaluated: number }[] = [];
  const optimizer = {
    gradNorm: () => 0,
    apply: (_grads: Float32Array, _norm: number | undefined, closure: Closure) => void seen.push({ given: closure.loss, evaluated: closure.evaluate() }),
  } as unknown as Optimizer;
  return { optimizer, seen };
}

describe("a step's closure", () => {
  it.each([
    ['one class per sample', 1, 4],
    ['a sequence of 3 positions over 4 classes', 3, 4],
  ])('gives the loss run() computed (%s)', (_what, positions, classes) => {
    const model = new Model(planModel([{ linear: { out_features: positions * classes, bias: true } }], [FEATURES]), SAMPLES, 0);
    const features = Float32Array.from({ length: SAMPLES * FEATURES }, (_, i) => Math.sin(i));
    const targets = Float32Array.from({ length: SAMPLES * positions }, (_, i) => (i * 7) % classes);
    const split = new Split(SAMPLES, features, [FEATURES], targets, positions, null);
    const { optimizer, seen } = probe();
    const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', positions, null);
    const loss = step.run(split, Uint32Array.from({ length: SAMPLES }, (_, i) => i), 0, SAMPLES);
    expect(seen).toEqual([{ given: loss, evaluated: loss }]);
  });
});
