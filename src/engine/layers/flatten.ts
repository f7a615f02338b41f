/**
 * Flatten (torch.nn.Flatten with its defaults): [C, H, W] → [C·H·W] per sample. The data is
 * already contiguous, so forward and backward are copies; only the recorded shape changes.
 */
import type { Layer, LayerPlan } from '../layer.js';
import { sizeOf, type Shape } from '../../core/shape.js';

export function planFlatten(inShape: Shape): LayerPlan {
  const width = sizeOf(inShape);
  const layer: Layer = {
    forward(x, y, batch) {
      copy(y, x, batch * width);
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx !== null) copy(dx, dy, batch * width);
    },
  };
  return { outShape: [width], parameters: [], build: () => layer };
}

/** A loop rather than `set(subarray(...))`: a subarray is a new typed-array object per step. */
function copy(to: Float32Array, from: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) to[i] = from[i];
}
