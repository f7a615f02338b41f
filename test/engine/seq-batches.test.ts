/**
 * lstm and gru keep their state time-major with one slot per sample of the largest batch
 * (recurrent.ts): a full batch takes the input products of all steps as one GEMM, a short one
 * takes them step by step, and backward runs the weight products over every slot with the
 * unused ones zeroed. None of that may show in a result: the same samples give the same bits
 *  - in a model built for exactly their batch (no unused slots),
 *  - as a short batch of a model built for more,
 *  - inside a full batch whose extra sample has dy = 0 (its terms are exact zeros),
 * for the outputs of those samples and for every parameter gradient. The models are built by
 * Model, so their buffers live in the engine memory and the products take the WebAssembly
 * kernel when there is one (whose bits equal the plain kernel's, kernels/matmul.ts).
 */
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';

const VOCABULARY = 13;
const BLOCK = 5;

function run(layers: LayerConfig[], maxBatch: number, batch: number, ids: Float32Array, dy: Float32Array): { y: number[]; grads: number[] } {
  const model = new Model(planModel(layers, [BLOCK]), maxBatch, 0);
  // A full batch of other samples first, so stale values sit in every slot.
  model.input.fill(1, 0, maxBatch * BLOCK);
  model.forward(maxBatch, 'train');
  model.outputGrad.fill(0.5, 0, maxBatch * model.outputWidth);
  model.backward(maxBatch);

  model.input.set(ids.subarray(0, batch * BLOCK));
  const y = Array.from(model.forward(batch, 'train').subarray(0, 3 * model.outputWidth));
  model.outputGrad.set(dy.subarray(0, batch * model.outputWidth));
  model.backward(batch);
  return { y, grads: Array.from(model.grads) };
}

describe('lstm and gru give the same bits whatever the batch layout', () => {
  for (const recurrent of [{ lstm: { hidden_size: 6, num_layers: 2 } }, { gru: { hidden_size: 6, num_layers: 2 } }]) {
    it(`${Object.keys(recurrent)[0]}: 3 samples alone, as a short batch of 4, and beside a sample with dy = 0`, () => {
      const layers = [{ embedding: { num_embeddings: VOCABULARY, embedding_dim: 4 } }, recurrent].map((l) => layerSchema.parse(l) as LayerConfig);
      const rng = new Rng(5, 'data');
      const ids = Float32Array.from({ length: 4 * BLOCK }, () => rng.below(VOCABULARY));
      const width = BLOCK * 6;
      const dy = Float32Array.from({ length: 4 * width }, (_, i) => (i < 3 * width ? rng.uniformIn(-1, 1) : 0));
      const alone = run(layers, 3, 3, ids, dy);
      const short = run(layers, 4, 3, ids, dy);
      const padded = run(layers, 4, 4, ids, dy);
      expect(alone.grads.some((g) => g !== 0)).toBe(true);
      expect(short.y).toEqual(alone.y);
      expect(padded.y).toEqual(alone.y);
      expect(short.grads).toEqual(alone.grads);
      expect(padded.grads).toEqual(alone.grads);
    });
  }
});
