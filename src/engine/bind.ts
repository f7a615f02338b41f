/**
 * Building a plan's layers over flat parameter and gradient vectors: each layer's weight and
 * bias become views into `values` and `grads` at the plan's offsets, its buffers (running
 * statistics) are allocated, and its scratch is sized by the context's largest batch. The model
 * binds its layers once (model.ts); a batch shard's replica binds its own layers to the same
 * `values` and a gradient vector of its own (shard-replica.ts), so every replica reads the same
 * parameters and writes its own gradient.
 *
 * Weight tying (a head's `tie_weight: <embedding index>`): the head's weight is the embedding's
 * weight, one tensor in `values` under the embedding's name, as torch's parameters() yields a
 * tied tensor once. Its gradient is the sum of both uses; since every layer's backward *writes*
 * its gradients, the head writes into a scratch buffer of its own (a Tie), which the model adds
 * to the embedding's gradient once the whole stack is through.
 */
import type { BuildContext, Layer } from './layer.js';
import { stateName, type ModelPlan, type NamedBuffer, type NamedParameter } from './model-plan.js';
import { sizeOf } from '../core/shape.js';
import { allocFloat32 } from '../kernels/arena.js';

/** A tied head's gradient (`own`), to be added to its embedding's (`shared`) after backward. */
export interface Tie {
  readonly shared: Float32Array;
  readonly own: Float32Array;
}

export interface BoundLayers {
  readonly layers: readonly Layer[];
  readonly parameters: readonly NamedParameter[];
  readonly buffers: readonly NamedBuffer[];
  readonly ties: readonly Tie[];
}

export function bindLayers(plan: ModelPlan, values: Float32Array, grads: Float32Array, context: BuildContext): BoundLayers {
  const parameters: NamedParameter[] = [];
  const buffers: NamedBuffer[] = [];
  const boundByLayer: NamedParameter[][] = [];
  const ties: Tie[] = [];
  let offset = 0;
  const layers = plan.layers.map(({ plan: layerPlan, tiedTo }, index) => {
    const bound = layerPlan.parameters.map((spec) => {
      const size = sizeOf(spec.shape);
      if (tiedTo !== undefined && spec.name === 'weight') {
        const embedding = boundByLayer[tiedTo][0];
        const own = allocFloat32(size);
        ties.push({ shared: embedding.grad, own });
        return { ...spec, fullName: embedding.fullName, value: embedding.value, grad: own };
      }
      const parameter: NamedParameter = {
        ...spec,
        fullName: stateName(plan, index, spec.name),
        value: values.subarray(offset, offset + size),
        grad: grads.subarray(offset, offset + size),
      };
      offset += size;
      parameters.push(parameter);
      return parameter;
    });
    boundByLayer.push(bound);
    const state = (layerPlan.buffers ?? []).map((spec) => {
      const size = sizeOf(spec.shape);
      const buffer: NamedBuffer = { ...spec, fullName: stateName(plan, index, spec.name), value: spec.dtype === 'I64' ? new Float64Array(size) : allocFloat32(size) };
      buffers.push(buffer);
      return buffer;
    });
    return layerPlan.build(bound, context, state);
  });
  return { layers, parameters, buffers, ties };
}
