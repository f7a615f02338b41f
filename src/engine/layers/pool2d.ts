/**
 * MaxPool2d and AvgPool2d (torch.nn), NCHW, each channel pooled on its own. The window of
 * every output position is precomputed as input offsets (patchSources), with −1 where the
 * window covers padding.
 *
 *   max: y = max over the window (padding counts as −∞; the first maximum wins, NaN propagates,
 *        as torch's CPU kernel); backward routes dy to the winning input.
 *   avg: y = Σ window / divisor, divisor = kh·kw with count_include_pad (torch's default),
 *        else the number of real inputs in the window; backward spreads dy/divisor back.
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan } from '../layer.js';
import { arenaInt32 } from '../../kernels/arena.js';
import { maxPool2x2BackwardWasm, maxPool2x2Wasm, maxPoolWasm, scatterAddWasm } from '../../kernels/layer-kernels.js';
import { type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { imageShape, outputSize, pair, sizePair, type Geometry, type SizeOption } from './spatial.js';

const poolOptions = {
  kernel_size: sizePair(1),
  /** Defaults to kernel_size, as in torch. */
  stride: sizePair(1).optional(),
  padding: sizePair(0).default(0),
};

/** The resolved config shows the stride torch would use. */
const withStride = <T extends { kernel_size: SizeOption; stride?: SizeOption }>(o: T) => ({ ...o, stride: o.stride ?? o.kernel_size });

export const maxPool2dOptions = z.strictObject(poolOptions).transform(withStride);
export const avgPool2dOptions = z.strictObject({ ...poolOptions, count_include_pad: z.boolean().default(true) }).transform(withStride);

type PoolOptions = { kernel_size: SizeOption; stride: SizeOption; padding: SizeOption };

function poolGeometry(layer: string, o: PoolOptions, inShape: Shape): Geometry {
  const [channels, height, width] = imageShape(inShape, layer);
  const kernel = pair(o.kernel_size);
  const padding = pair(o.padding);
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new ShapeMismatch(`${layer}: padding ${padding.join('×')} is more than half the kernel ${kernel.join('×')} (torch refuses it too)`);
  }
  const stride = pair(o.stride);
  const [outHeight, outWidth] = outputSize(layer, [height, width], kernel, stride, padding);
  return { channels, height, width, kernel, stride, padding, dilation: [1, 1], outHeight, outWidth, groupChannels: 1 };
}

/**
 * The offset in a channel plane that each window entry reads, position by position (for each
 * output position, its kh·kw entries), or −1 where the window covers padding. Computed once,
 * so the pools' loops are plain gathers and scatters.
 */
function patchSources(g: Geometry): Int32Array {
  const [kh, kw] = g.kernel;
  // In the engine memory, where the WebAssembly kernels read it.
  const sources = arenaInt32(g.outHeight * g.outWidth * kh * kw);
  let at = 0;
  for (let oh = 0; oh < g.outHeight; oh++) {
    for (let ow = 0; ow < g.outWidth; ow++) {
      for (let i = 0; i < kh; i++) {
        const ih = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
        for (let j = 0; j < kw; j++) {
          const iw = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
          sources[at++] = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width ? ih * g.width + iw : -1;
        }
      }
    }
  }
  return sources;
}

export function planMaxPool2d(o: z.output<typeof maxPool2dOptions>, inShape: Shape): LayerPlan {
  const g = poolGeometry('maxpool2d', o, inShape);
  const size = g.kernel[0] * g.kernel[1];
  const inPlane = g.height * g.width;
  const positions = g.outHeight * g.outWidth;
  return {
    outShape: [g.channels, g.outHeight, g.outWidth],
    parameters: [],
    build: (_p, { maxBatch }): Layer => {
      // Built with the model, not planned: planning only infers shapes (a config check must not allocate).
      const windows = patchSources(g);
      const winner = arenaInt32(maxBatch * g.channels * positions);
      const plain2x2 = [...g.kernel, ...g.stride].every((v) => v === 2) && g.padding[0] === 0 && g.padding[1] === 0;
      return {
        // Each loop first tries its WebAssembly twin (same comparisons and sums, same order).
        forward(x, y, batch) {
          if (plain2x2 && maxPool2x2Wasm(x, y, winner, batch * g.channels, g.height, g.width)) return;
          if (maxPoolWasm(x, y, winner, windows, batch * g.channels, inPlane, positions, size)) return;
          for (let plane = 0, out = 0; plane < batch * g.channels; plane++) {
            const base = plane * inPlane;
            for (let p = 0; p < positions; p++, out++) {
              let best = -Infinity;
              let at = -1;
              for (let w = p * size; w < (p + 1) * size; w++) {
                const source = windows[w];
                if (source < 0) continue;
                const value = x[base + source];
                if (value > best || Number.isNaN(value) || at < 0) {
                  best = value;
                  at = source;
                  if (Number.isNaN(value)) break;
                }
              }
              y[out] = best;
              winner[out] = base + at;
            }
          }
        },
        backward(_x, _y, dy, dx, batch) {
          if (dx === null) return;
          if (plain2x2 && maxPool2x2BackwardWasm(dy, dx, winner, batch * g.channels, g.height, g.width)) return;
          dx.fill(0, 0, batch * g.channels * inPlane);
          if (scatterAddWasm(dx, dy, winner, batch * g.channels * positions)) return;
          for (let out = 0; out < batch * g.channels * positions; out++) dx[winner[out]] += dy[out];
        },
      };
    },
  };
}

export function planAvgPool2d(o: z.output<typeof avgPool2dOptions>, inShape: Shape): LayerPlan {
  const g = poolGeometry('avgpool2d', o, inShape);
  const size = g.kernel[0] * g.kernel[1];
  const inPlane = g.height * g.width;
  const positions = g.outHeight * g.outWidth;
  // Built with the model, not planned: planning only infers shapes (a config check must not allocate).
  const build = (): Layer => {
    const windows = patchSources(g);
    const divisors = allocFloat32(positions);
    for (let p = 0; p < positions; p++) {
      let inside = 0;
      for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) inside++;
      divisors[p] = o.count_include_pad ? size : inside;
    }
    return {
      forward(x, y, batch) {
        for (let plane = 0, out = 0; plane < batch * g.channels; plane++) {
          const base = plane * inPlane;
          for (let p = 0; p < positions; p++, out++) {
            let sum = 0;
            for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) sum += x[base + windows[w]];
            y[out] = sum / divisors[p];
          }
        }
      },
      backward(_x, _y, dy, dx, batch) {
        if (dx === null) return;
        dx.fill(0, 0, batch * g.channels * inPlane);
        for (let plane = 0, out = 0; plane < batch * g.channels; plane++) {
          const base = plane * inPlane;
          for (let p = 0; p < positions; p++, out++) {
            const share = dy[out] / divisors[p];
            for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) dx[base + windows[w]] += share;
          }
        }
      },
    };
  };
  return { outShape: [g.channels, g.outHeight, g.outWidth], parameters: [], build };
}
