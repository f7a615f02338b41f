/**
 * Embedding (torch.nn.Embedding): a lookup table W [num_embeddings, embedding_dim].
 * Per sample the input is token ids stored as floats, any shape S (a sequence [T]); the output
 * is [...S, E], one row of W per id:  y[n] = W[id[n]].
 *
 * backward:  dW[v] = Σ_{n : id[n] = v} dy[n]   (a scatter-add over the batch; rows no id
 *            used are 0 — backward *writes* the gradient, so it is zeroed first)
 *            the ids have no gradient: dx is 0 (torch gives integer indices none).
 *
 * Init as torch: W ~ N(0, 1).
 */
import { z } from 'zod';
import type { Layer, LayerPlan, Parameter } from '../layer.js';
import { ShapeMismatch } from '../layer.js';
import { sizeOf, type Shape } from '../../core/shape.js';

export const embeddingOptions = z.strictObject({
  num_embeddings: z.int().positive().describe('size of the vocabulary: ids run from 0 to num_embeddings − 1'),
  embedding_dim: z.int().positive().describe('width E of each embedding vector'),
});
export type EmbeddingOptions = z.infer<typeof embeddingOptions>;

export function planEmbedding(options: EmbeddingOptions, inShape: Shape): LayerPlan {
  const vocabulary = options.num_embeddings;
  const width = options.embedding_dim;
  const ids = sizeOf(inShape);
  if (ids < 1) throw new ShapeMismatch('embedding needs at least one token id per sample');
  return {
    outShape: [...inShape, width],
    parameters: [{ name: 'weight', shape: [vocabulary, width], init: { kind: 'normal', std: 1 } }],
    build: ([weight]: readonly Parameter[]): Layer => ({
      forward(x, y, batch) {
        for (let n = 0; n < batch * ids; n++) {
          const row = tokenRow(x[n], vocabulary) * width;
          const out = n * width;
          for (let j = 0; j < width; j++) y[out + j] = weight.value[row + j];
        }
      },
      backward(x, _y, dy, dx, batch) {
        weight.grad.fill(0);
        for (let n = 0; n < batch * ids; n++) {
          const row = tokenRow(x[n], vocabulary) * width;
          const from = n * width;
          for (let j = 0; j < width; j++) weight.grad[row + j] += dy[from + j];
        }
        if (dx !== null) dx.fill(0, 0, batch * ids);
      },
    }),
  };
}

/** The table row of an id; torch raises IndexError for an id outside the table, and so do we. */
function tokenRow(id: number, vocabulary: number): number {
  if (!(Number.isInteger(id) && id >= 0 && id < vocabulary)) throw new RangeError(`embedding: token id ${id} is not an integer in 0..${vocabulary - 1}`);
  return id;
}
