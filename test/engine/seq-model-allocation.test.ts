/**
 * A training step of a small Transformer (residual attention with dropout, residual MLP, a head
 * over every position) and of the whole TrainStep on a text split allocates nothing after the
 * first (DESIGN.md), counted with the typed-array hook of count-allocations.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { TextSplit } from '../../src/data/text.js';
import { createOptimizer } from '../../src/optim/registry.js';
import { optimizerSchema } from '../../src/config/schema.js';
import { TrainStep } from '../../src/train/step.js';
import { countTypedArrays } from '../count-allocations.js';

afterEach(() => expect(globalThis.Float32Array.name).toBe('Float32Array'));

const VOCABULARY = 9;
const BLOCK = 6;
const MAX_BATCH = 4;

describe('sequence models', () => {
  it('allocate no typed arrays in a training step after the first (attention with dropout, residual blocks, a sequence head)', () => {
    const layers = [
      { embedding: { num_embeddings: VOCABULARY, embedding_dim: 8 } },
      { position_embedding: BLOCK },
      { residual: ['layernorm', { causal_self_attention: { num_heads: 2, dropout: 0.1 } }] },
      { residual: ['layernorm', { linear: 16 }, 'gelu', { linear: 8 }] },
      'layernorm',
      { linear: VOCABULARY },
    ].map((l) => layerSchema.parse(l) as LayerConfig);
    const model = new Model(planModel(layers, [BLOCK]), MAX_BATCH, 0);
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adamw' }) as never, model.values);
    const step = new TrainStep(model, optimizer, lossKinds.cross_entropy, 'index', BLOCK, { kind: 'argmax' });
    const tokens = Uint16Array.from({ length: 100 }, (_, i) => (i * 5) % VOCABULARY);
    const split = new TextSplit(tokens, BLOCK, 16);
    const order = Uint32Array.from({ length: split.size }, (_, i) => i);
    step.run(split, order, 0, MAX_BATCH);
    step.run(split, order, MAX_BATCH, 3);
    expect(countTypedArrays(() => [MAX_BATCH, 3, MAX_BATCH].forEach((batch, i) => step.run(split, order, i * MAX_BATCH, batch)))).toBe(0);
    expect(countTypedArrays(() => model.forward(2, 'eval'))).toBe(0);
    expect(Number.isFinite(step.gradNorm)).toBe(true);
    expect(step.correct).toBeGreaterThanOrEqual(0);
    expect(step.correct).toBeLessThanOrEqual(MAX_BATCH);
  });
});
