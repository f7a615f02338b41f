/**
 * Learned position embedding (GPT-2's `wpe`): a table W [block_size, E] whose row t is added to
 * position t of the input.  Per sample x [T, E] → y [T, E] with T ≤ block_size:
 *
 *   y[t] = x[t] + W[t]
 *
 * backward:  dx = dy
 *            dW[t] = Σ_batch dy[t]   for t < T; rows T..block_size−1 are unused, their gradient 0
 *
 * torch has no such module; the equivalent, whose state_dict has the same single `weight`
 * (so "<index>.weight" loads into it), is
 *
 *   class PositionEmbedding(nn.Module):
 *       def __init__(self, block_size, embedding_dim):
 *           super().__init__()
 *           self.weight = nn.Embedding(block_size, embedding_dim).weight
 *       def forward(self, x):                       # x: [B, T, E]
 *           return x + self.weight[: x.shape[1]]
 *
 * Init as that nn.Embedding: W ~ N(0, 1).
 */
import { z } from 'zod';
import type { Layer, LayerPlan, Parameter } from '../layer.js';
import { ShapeMismatch } from '../layer.js';
import { formatShape, type Shape } from '../../core/shape.js';

export const positionEmbeddingOptions = z.strictObject({
  block_size: z.int().positive().describe('the longest sequence: number of learned positions'),
});
export type PositionEmbeddingOptions = z.infer<typeof positionEmbeddingOptions>;

export function planPositionEmbedding(options: PositionEmbeddingOptions, inShape: Shape): LayerPlan {
  if (inShape.length !== 2) throw new ShapeMismatch(`position_embedding needs a sequence [T, E] per sample, got ${formatShape(inShape)}`);
  const [length, width] = inShape;
  if (length > options.block_size) {
    throw new ShapeMismatch(`position_embedding has block_size ${options.block_size} positions but the sequence is ${length} long`);
  }
  const sample = length * width;
  return {
    outShape: inShape,
    parameters: [{ name: 'weight', shape: [options.block_size, width], init: { kind: 'normal', std: 1 } }],
    build: ([weight]: readonly Parameter[]): Layer => ({
      forward(x, y, batch) {
        for (let b = 0; b < batch; b++) {
          const at = b * sample;
          for (let i = 0; i < sample; i++) y[at + i] = x[at + i] + weight.value[i];
        }
      },
      backward(_x, _y, dy, dx, batch) {
        weight.grad.fill(0);
        for (let b = 0; b < batch; b++) {
          const at = b * sample;
          for (let i = 0; i < sample; i++) weight.grad[i] += dy[at + i];
        }
        if (dx !== null) for (let i = 0; i < batch * sample; i++) dx[i] = dy[i];
      },
    }),
  };
}
