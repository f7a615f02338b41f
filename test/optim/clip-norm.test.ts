/**
 * clip_grad_norm and the norm Optimizer.apply is handed: the training step computes the
 * gradient's global norm for steps.csv and hands it on, so that the clip (the chain's first
 * link) does not compute it again. A handed norm must give the bits the clip's own gives.
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { sumOfSquares } from '../../src/kernels/optimizer-kernels.js';

const l2Norm = (values: Float32Array): number => Math.sqrt(sumOfSquares(values));
import { firstBitDifference } from '../bits.js';

const SIZE = 1003;
const config = optimizerSchema.parse({ name: 'adam', lr: 0.01 }) as OptimizerConfig;

/** Parameters after `steps` steps on made-up gradients of norm about 4, the norm handed to apply by `handed`. */
function train(maxNorm: number, handed: ((grads: Float32Array) => number) | null, steps = 5): Float32Array {
  const rng = new Rng(3, 'data');
  const params = allocFloat32(SIZE);
  params.set(Float32Array.from({ length: SIZE }, () => rng.uniformIn(-1, 1)));
  const grads = allocFloat32(SIZE);
  const optimizer = createOptimizer(config, params, { clip_grad_norm: maxNorm });
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < SIZE; i++) grads[i] = Math.sin(i * (step + 1)) * 0.2;
    if (handed === null) optimizer.apply(grads);
    else optimizer.apply(grads, handed(grads));
  }
  return params;
}

describe('clip_grad_norm with the norm handed to Optimizer.apply', () => {
  for (const maxNorm of [1, 100]) {
    it(`gives the bits of the norm the clip computes itself (max_norm ${maxNorm}: ${maxNorm === 1 ? 'clips' : 'does not clip'})`, () => {
      expect(firstBitDifference(train(maxNorm, l2Norm), train(maxNorm, null))).toBe(-1);
    });
  }

  it('is the norm the clip uses: a different one clips differently', () => {
    expect(firstBitDifference(train(1, (grads) => 2 * l2Norm(grads)), train(1, null))).not.toBe(-1);
  });
});
