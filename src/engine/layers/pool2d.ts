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
  // Built with the model, not planned: planning only infers shapes (a config check must not allocate).
  return { outShape: [g.channels, g.outHeight, g.outWidth], parameters: [], build: (_p, { maxBatch }) => buildMaxPool2d(g, maxBatch) };
}

export function planAvgPool2d(o: z.output<typeof avgPool2dOptions>, inShape: Shape): LayerPlan {
  const g = poolGeometry('avgpool2d', o, inShape);
  // Built with the model, not planned: planning only infers shapes (a config check must not allocate).
  return { outShape: [g.channels, g.outHeight, g.outWidth], parameters: [], build: () => buildAvgPool2d(g, o.count_include_pad) };
}

/**
 * A pool's sizes and its window table (patchSources): `planes` is B·C, one pooled plane per
 * channel of every sample.
 */
interface Pool {
  readonly windows: Int32Array;
  /** Entries per window, kh·kw. */
  readonly size: number;
  /** An input plane, H·W, and an output plane, Ho·Wo. */
  readonly inPlane: number;
  readonly positions: number;
}

function poolOf(g: Geometry): Pool {
  return { windows: patchSources(g), size: g.kernel[0] * g.kernel[1], inPlane: g.height * g.width, positions: g.outHeight * g.outWidth };
}

// Each max-pool loop first tries its WebAssembly twin (same comparisons and sums, same order);
// the loop is the reference and fallback.

function buildMaxPool2d(g: Geometry, maxBatch: number): Layer {
  const pool = poolOf(g);
  const { windows, size, inPlane, positions } = pool;
  /** The input index each output took its value from, for backward. */
  const winner = arenaInt32(maxBatch * g.channels * positions);
  const plain2x2 = [...g.kernel, ...g.stride].every((v) => v === 2) && g.padding[0] === 0 && g.padding[1] === 0;
  return {
    forward(x, y, batch) {
      const planes = batch * g.channels;
      if (plain2x2 && maxPool2x2Wasm(x, y, winner, planes, g.height, g.width)) return;
      if (maxPoolWasm(x, y, winner, windows, planes, inPlane, positions, size)) return;
      for (let plane = 0; plane < planes; plane++) maxPoolPlane(pool, x, y, winner, plane);
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx === null) return;
      const planes = batch * g.channels;
      if (plain2x2 && maxPool2x2BackwardWasm(dy, dx, winner, planes, g.height, g.width)) return;
      dx.fill(0, 0, planes * inPlane);
      if (scatterAddWasm(dx, dy, winner, planes * positions)) return;
      for (let out = 0; out < planes * positions; out++) dx[winner[out]] += dy[out];
    },
  };
}

/** y and winner of one plane: each window's first maximum (padding skipped), or its first NaN. */
function maxPoolPlane({ windows, size, inPlane, positions }: Pool, x: Float32Array, y: Float32Array, winner: Int32Array, plane: number): void {
  const base = plane * inPlane;
  for (let p = 0, out = plane * positions; p < positions; p++, out++) {
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

function buildAvgPool2d(g: Geometry, countIncludePad: boolean): Layer {
  const pool = poolOf(g);
  const divisors = windowDivisors(pool, countIncludePad);
  return {
    forward(x, y, batch) {
      for (let plane = 0; plane < batch * g.channels; plane++) avgPoolPlane(pool, divisors, x, y, plane);
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx === null) return;
      dx.fill(0, 0, batch * g.channels * pool.inPlane);
      for (let plane = 0; plane < batch * g.channels; plane++) avgUnpoolPlane(pool, divisors, dy, dx, plane);
    },
  };
}

/** What each window's sum is divided by: kh·kw, or with count_include_pad false the real inputs it covers. */
function windowDivisors({ windows, size, positions }: Pool, countIncludePad: boolean): Float32Array {
  const divisors = allocFloat32(positions);
  for (let p = 0; p < positions; p++) {
    let inside = 0;
    for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) inside++;
    divisors[p] = countIncludePad ? size : inside;
  }
  return divisors;
}

/** y of one plane: each window's sum over its real inputs, over its divisor. */
function avgPoolPlane({ windows, size, inPlane, positions }: Pool, divisors: Float32Array, x: Float32Array, y: Float32Array, plane: number): void {
  const base = plane * inPlane;
  for (let p = 0, out = plane * positions; p < positions; p++, out++) {
    let sum = 0;
    for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) sum += x[base + windows[w]];
    y[out] = sum / divisors[p];
  }
}

/** dx of one plane (zeroed by the caller) += each window's dy over its divisor, on every real input of the window. */
function avgUnpoolPlane({ windows, size, inPlane, positions }: Pool, divisors: Float32Array, dy: Float32Array, dx: Float32Array, plane: number): void {
  const base = plane * inPlane;
  for (let p = 0, out = plane * positions; p < positions; p++, out++) {
    const share = dy[out] / divisors[p];
    for (let w = p * size; w < (p + 1) * size; w++) if (windows[w] >= 0) dx[base + windows[w]] += share;
  }
}
