/**
 * TrainStep.run with the batch's uint8 → float32 scaling on its WebAssembly kernel changes no
 * bit of a run. The step is compared with the same step written out plainly — Split.gather into
 * an ordinary array (its own loop) copied into the model's input, forward, loss, backward,
 * Optimizer.gradNorm, then Optimizer.apply — on real MNIST images, normalized, shuffled, over a
 * few steps: the loss and the gradient norm of every step (what steps.csv records) and the
 * parameters after them must be the same bits.
 */
import { describe, expect, it, vi } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { Rng } from '../../src/core/rng.js';
import type { Split } from '../../src/data/dataset.js';
import { bundledMnistFolder, loadMnistLike } from '../../src/data/mnist.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { dataWasmRuns } from '../../src/kernels/data-kernels.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import type { Optimizer } from '../../src/optim/transform.js';
import { TrainStep } from '../../src/train/step.js';
import { firstBitDifference } from '../bits.js';
import { twinsRunBy } from '../twin-calls.js';

vi.mock('../../src/kernels/data-kernels.js', async (original) => (await import('../twin-calls.js')).recordingTwins(original));

const BATCH = 32;
const STEPS = 6;
const layers: LayerConfig[] = [{ linear: { out_features: 24, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }];
const train = loadMnistLike('mnist', bundledMnistFolder(), { channels: 1, scale: Float64Array.of(1 / 0.3081 / 255), shift: Float64Array.of(0.1307 / 0.3081) }).train.limit(400);

interface Trace {
  readonly losses: number[];
  readonly norms: number[];
  readonly params: Float32Array;
}

function setup(config: Record<string, unknown>, clipping: { clip_grad_norm?: number }): { model: Model; optimizer: Optimizer; order: Uint32Array } {
  const model = new Model(planModel(layers, [1, 28, 28]), BATCH, 0);
  const optimizer = createOptimizer(optimizerSchema.parse(config) as OptimizerConfig, model.values, clipping);
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  new Rng(0, 'shuffle').shuffle(order);
  return { model, optimizer, order };
}

function stepped(config: Record<string, unknown>, clipping: { clip_grad_norm?: number }): Trace {
  const { model, optimizer, order } = setup(config, clipping);
  const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', 1, null);
  const losses: number[] = [];
  const norms: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    expect(twinsRunBy(() => losses.push(step.run(train, order, s * BATCH, BATCH)))).toEqual(['scaleBytesWasm']);
    norms.push(step.gradNorm);
  }
  return { losses, norms, params: Float32Array.from(model.values) };
}

/** The step written out plainly, with the gather's own loop. */
function plain(config: Record<string, unknown>, clipping: { clip_grad_norm?: number }, split: Split = train): Trace {
  const { model, optimizer, order } = setup(config, clipping);
  const x = new Float32Array(BATCH * split.featureSize);
  const targets = new Float32Array(BATCH);
  const losses: number[] = [];
  const norms: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    split.gather(order, s * BATCH, BATCH, x, targets, 'index', 1);
    model.input.set(x);
    const out = model.forward(BATCH, 'train');
    losses.push(Math.fround(lossKinds.cross_entropy.loss.compute(out, targets, BATCH, model.outputWidth, model.outputGrad)));
    model.backward(BATCH);
    const norm = optimizer.gradNorm(model.grads);
    optimizer.apply(model.grads, norm);
    norms.push(norm);
  }
  return { losses, norms, params: Float32Array.from(model.values) };
}

describe.skipIf(!dataWasmRuns())('the training step with the gather kernel gives the bits of the plain step', () => {
  const cases = [
    { label: 'adam', config: { name: 'adam', lr: 1e-3 }, clipping: {} },
    { label: 'adamw, amsgrad', config: { name: 'adamw', lr: 1e-3, amsgrad: true }, clipping: {} },
    { label: 'adam, clip_grad_norm', config: { name: 'adam', lr: 1e-3 }, clipping: { clip_grad_norm: 0.5 } },
    { label: 'sgd, momentum', config: { name: 'sgd', lr: 0.05, momentum: 0.9 }, clipping: {} },
  ];
  for (const { label, config, clipping } of cases) {
    it(`${label}: loss and gradient norm of every step, and the parameters after ${STEPS} steps`, () => {
      const got = stepped(config, clipping);
      const want = plain(config, clipping);
      expect(got.losses).toEqual(want.losses);
      expect(got.norms).toEqual(want.norms);
      expect(firstBitDifference(got.params, want.params)).toBe(-1);
    });
  }

  it('can tell: other input bits (the ÷255 scaling without normalization) give another run', () => {
    const other = train.with({ scaling: { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) } });
    expect(plain({ name: 'adam' }, {}, other).losses).not.toEqual(stepped({ name: 'adam' }, {}).losses);
  });
});
