/**
 * Dropout and Dropout2d (torch.nn): in training each element (Dropout) or each whole channel
 * of a sample (Dropout2d) is zeroed with probability p and the survivors are scaled by 1/(1−p),
 * so the expected activation is unchanged; in evaluation it is the identity. The mask (0 or
 * 1/(1−p) per element) is kept for backward: dx = dy · mask. Draws come from the model's seeded
 * dropout stream, so runs are reproducible.
 */
import { z } from 'zod';
import type { Layer, LayerPlan } from '../layer.js';
import { sizeOf, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';

export const dropoutOptions = z.strictObject({ p: z.number().min(0).max(1).default(0.5) });
export type DropoutOptions = z.infer<typeof dropoutOptions>;

/** `unit` is how many consecutive elements share one draw: 1 for Dropout, a channel's H·W for Dropout2d. */
export function planDropout({ p }: DropoutOptions, inShape: Shape, unit = 1): LayerPlan {
  const width = sizeOf(inShape);
  // p = 1 drops everything (torch returns zeros); avoid the 1/0 scale.
  const keepScale = p < 1 ? 1 / (1 - p) : 0;
  return {
    outShape: inShape,
    parameters: [],
    build: (_parameters, { maxBatch, rng }): Layer => {
      const mask = allocFloat32(maxBatch * width);
      return {
        forward(x, y, batch, mode) {
          const n = batch * width;
          if (mode === 'eval') {
            for (let i = 0; i < n; i++) y[i] = x[i];
            return;
          }
          for (let i = 0; i < n; i++) {
            mask[i] = i % unit !== 0 ? mask[i - 1] : rng.uniform() < p ? 0 : keepScale;
            y[i] = x[i] * mask[i];
          }
        },
        backward(_x, _y, dy, dx, batch) {
          if (dx === null) return;
          const n = batch * width;
          for (let i = 0; i < n; i++) dx[i] = dy[i] * mask[i];
        },
      };
    },
  };
}
