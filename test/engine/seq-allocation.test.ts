/**
 * A step through the sequence layers allocates nothing after the first (DESIGN.md: "a training
 * step allocates nothing"): forward and backward of a Model over them, for a full batch, a
 * short last batch and evaluation, counted with the typed-array hook of count-allocations.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { countTypedArrays } from '../count-allocations.js';

afterEach(() => expect(globalThis.Float32Array.name).toBe('Float32Array'));

const VOCABULARY = 11;
const BLOCK = 6;
const MAX_BATCH = 4;

function stepOf(model: Model, batch: number): void {
  for (let i = 0; i < batch * BLOCK; i++) model.input[i] = (i * 7) % VOCABULARY;
  const out = model.forward(batch, 'train');
  for (let i = 0; i < batch * model.outputWidth; i++) model.outputGrad[i] = out[i] * 1e-3;
  model.backward(batch);
}

describe('sequence layers', () => {
  it('allocate no typed arrays in a step after the first (embedding, position_embedding, layernorm)', () => {
    const layers = [{ embedding: { num_embeddings: VOCABULARY, embedding_dim: 8 } }, { position_embedding: BLOCK }, 'layernorm'].map(
      (l) => layerSchema.parse(l) as LayerConfig,
    );
    const model = new Model(planModel(layers, [BLOCK]), MAX_BATCH, 0);
    stepOf(model, MAX_BATCH);
    stepOf(model, 3);
    expect(countTypedArrays(() => [MAX_BATCH, 3, MAX_BATCH].forEach((batch) => stepOf(model, batch)))).toBe(0);
    expect(countTypedArrays(() => model.forward(1, 'eval'))).toBe(0);
    expect(countTypedArrays(() => new Float32Array(3).subarray(1))).toBe(2); // the counter itself works
  });

  it('allocate no typed arrays in a step after the first (embedding, two-layer lstm, gru)', () => {
    const layers = [{ embedding: { num_embeddings: VOCABULARY, embedding_dim: 8 } }, { lstm: { hidden_size: 6, num_layers: 2 } }, { gru: 5 }].map(
      (l) => layerSchema.parse(l) as LayerConfig,
    );
    const model = new Model(planModel(layers, [BLOCK]), MAX_BATCH, 0);
    stepOf(model, MAX_BATCH);
    stepOf(model, 3);
    expect(countTypedArrays(() => [MAX_BATCH, 3, MAX_BATCH].forEach((batch) => stepOf(model, batch)))).toBe(0);
    expect(countTypedArrays(() => model.forward(1, 'eval'))).toBe(0);
  });
});
