/**
 * Dropout and Dropout2d (torch.nn): in training each element (Dropout) or each whole channel
 * of a sample (Dropout2d) is zeroed with probability p and the survivors are scaled by 1/(1−p),
 * so the expected activation is unchanged; in evaluation it is the identity. The mask (0 or
 * 1/(1−p) per element) is kept for backward: dx = dy · mask. Draws come from the model's seeded
 * dropout stream, so runs are reproducible.
 */
import { z } from 'zod';
import type { Layer, LayerPlan } from '../layer.js';
import type { Rng } from '../../core/rng.js';
import { sizeOf, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { imageShape } from './spatial.js';

export const dropoutOptions = z.strictObject({ p: z.number().min(0).max(1).default(0.5) });
export type DropoutOptions = z.infer<typeof dropoutOptions>;

/** Dropout2d: one draw per channel of a [C, H, W] sample. */
export function planDropout2d(options: DropoutOptions, inShape: Shape): LayerPlan {
  const [, height, width] = imageShape(inShape, 'dropout2d');
  return planDropout(options, inShape, height * width);
}

/** `unit` is how many consecutive elements share one draw: 1 for Dropout, a channel's H·W for Dropout2d. */
export function planDropout({ p }: DropoutOptions, inShape: Shape, unit = 1): LayerPlan {
  const width = sizeOf(inShape);
  return { outShape: inShape, parameters: [], build: (_parameters, { maxBatch, rng }) => buildDropout(p, width, unit, maxBatch, rng) };
}

function buildDropout(p: number, width: number, unit: number, maxBatch: number, rng: Rng): Layer {
  const mask = allocFloat32(maxBatch * width);
  // p = 1 drops everything (torch returns zeros); avoid the 1/0 scale.
  const keepScale = p < 1 ? 1 / (1 - p) : 0;
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
}
