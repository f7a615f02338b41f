/**
 * Per-tensor transformations (Transform.perTensor): a transformation that asks for it gets one
 * segment per tensor with the tensor's shape, in init and in the step context, and a state whose
 * shape is not the tensor's (factored) reaches checkpoints with its own shape. One that does not
 * ask keeps a group's adjacent tensors merged into one segment.
 */
import { describe, expect, it } from 'vitest';
import { chain, Optimizer, type NamedState, type Transform } from '../../src/optim/transform.js';
import { scaleByLearningRate } from '../../src/optim/pieces.js';
import type { TensorView } from '../../src/optim/groups.js';

const tensors: TensorView[] = [
  { name: '0.weight', shape: [2, 3], offset: 0, length: 6 },
  { name: '0.bias', shape: [2], offset: 6, length: 2 },
];

/** Records the shapes it is given; its state is one sum per row of a matrix (a factored state), else per element. */
function shapeRecorder(perTensor: boolean, seen: { init: (readonly number[] | undefined)[]; step: (readonly number[] | undefined)[] }): Transform<{ rows: Float32Array; shape: readonly number[] | undefined }> {
  return {
    perTensor,
    init(size, shape) {
      seen.init.push(shape);
      return { rows: new Float32Array(shape?.length === 2 ? shape[0] : size), shape };
    },
    named: ({ rows, shape }): NamedState => ({ elements: [shape?.length === 2 ? ['row_sum', rows, [shape[0], 1]] : ['row_sum', rows]], scalars: [] }),
    update(u, { rows, shape }, context) {
      seen.step.push(context.shape);
      // Row sums of the gradient; the update itself is left as it is.
      if (shape?.length === 2) for (let r = 0; r < shape[0]; r++) for (let c = 0; c < shape[1]; c++) rows[r] += u[r * shape[1] + c];
      else rows.set(u);
    },
  };
}

function optimizerOf(perTensor: boolean, seen: { init: (readonly number[] | undefined)[]; step: (readonly number[] | undefined)[] }, params: Float32Array): Optimizer {
  const transform = chain(shapeRecorder(perTensor, seen), scaleByLearningRate());
  const segments = transform.perTensor === true ? tensors : [{ offset: 0, length: 8 }];
  return new Optimizer([{ transform, hyper: { lr: 0.5 }, segments }], params);
}

describe('per-tensor transformations', () => {
  it('give a transformation that asks one segment per tensor, with its shape in init and in every step', () => {
    const seen = { init: [] as (readonly number[] | undefined)[], step: [] as (readonly number[] | undefined)[] };
    const params = new Float32Array(8);
    const optimizer = optimizerOf(true, seen, params);
    optimizer.apply(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(seen.init).toEqual([[2, 3], [2]]);
    expect(seen.step).toEqual([[2, 3], [2]]);
    // θ ← θ − 0.5·g: the chain still ends in the learning rate.
    expect([...params]).toEqual([-0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4]);
    // A factored state is the tensor's whole array, with its own shape.
    expect(optimizer.tensorState(tensors[0]).get('row_sum')).toEqual(Float32Array.of(6, 15));
    expect(optimizer.tensorStateShapes(tensors[0]).get('row_sum')).toEqual([2, 1]);
    expect(optimizer.tensorState(tensors[1]).get('row_sum')).toEqual(Float32Array.of(7, 8));
    expect(optimizer.tensorStateShapes(tensors[1]).get('row_sum')).toEqual([2]);
    expect(optimizer.segmentScalars()).toHaveLength(2);
  });

  it('leave a transformation that does not ask one merged segment, without a shape', () => {
    const seen = { init: [] as (readonly number[] | undefined)[], step: [] as (readonly number[] | undefined)[] };
    const optimizer = optimizerOf(false, seen, new Float32Array(8));
    optimizer.apply(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(seen.init).toEqual([undefined]);
    expect(seen.step).toEqual([undefined]);
    expect(optimizer.tensorState(tensors[1]).get('row_sum')).toEqual(Float32Array.of(7, 8));
  });

  it('make a chain per-tensor when one link is', () => {
    expect(chain(scaleByLearningRate()).perTensor).toBe(false);
    expect(chain(shapeRecorder(true, { init: [], step: [] }), scaleByLearningRate()).perTensor).toBe(true);
  });
});
