/**
 * global_avg_pool: torch.nn.AdaptiveAvgPool2d(1), [C, H, W] → [C, 1, 1], the mean of each
 * channel. Backward spreads dy/(H·W) over the channel.
 */
import type { Layer, LayerPlan } from '../layer.js';
import type { Shape } from '../../core/shape.js';
import { imageShape } from './spatial.js';

export function planGlobalAvgPool(inShape: Shape): LayerPlan {
  const [channels, height, width] = imageShape(inShape, 'global_avg_pool');
  const plane = height * width;
  const layer: Layer = {
    forward(x, y, batch) {
      for (let i = 0; i < batch * channels; i++) {
        let sum = 0;
        for (let s = i * plane; s < (i + 1) * plane; s++) sum += x[s];
        y[i] = sum / plane;
      }
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx === null) return;
      for (let i = 0; i < batch * channels; i++) {
        const share = dy[i] / plane;
        for (let s = i * plane; s < (i + 1) * plane; s++) dx[s] = share;
      }
    },
  };
  return { outShape: [channels, 1, 1], parameters: [], build: () => layer };
}
