/**
 * Unfold (im2col) and fold (col2im), conv2d's input reshaping. unfold writes col [K, N] for
 * one group's C_g input channels, as conv2d.ts's header defines it (and says why it is laid
 * out so); fold is its transpose for one sample: every input read into dcol[k, p] gets
 * dcol[k, p] added back, k downwards, so each dx element sums over increasing output position.
 *
 * Each first tries its WebAssembly twin (kernels/layer-kernels.ts), which does the same copies
 * and sums in the same order; the loops here are the reference and fallback.
 */
import { arenaInt32 } from '../../kernels/arena.js';
import { foldWasm, unfoldWasm } from '../../kernels/layer-kernels.js';
import type { Geometry } from './spatial.js';

/** col [K, N] for the batch, from the C_g channels of x that start at xAt. */
export function unfold(col: Float32Array, x: Float32Array, xAt: number, g: Geometry, geometry: Int32Array, batch: number): void {
  if (unfoldWasm(col, x, xAt, geometry, batch)) return;
  const rowLength = batch * g.outHeight * g.outWidth;
  let at = 0;
  for (let c = 0; c < g.groupChannels; c++) {
    for (let i = 0; i < g.kernel[0]; i++) {
      for (let j = 0; j < g.kernel[1]; j++, at += rowLength) unfoldRow(col, at, x, xAt, g, c, i, j, batch);
    }
  }
}

/** Row k = (c·kh + i)·kw + j of col, written from `at`: channel c of every sample shifted by (i, j), 0 in the padding. */
function unfoldRow(col: Float32Array, at: number, x: Float32Array, xAt: number, g: Geometry, c: number, i: number, j: number, batch: number): void {
  const sampleSize = g.channels * g.height * g.width;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      const ih = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
      const line = xAt + b * sampleSize + (c * g.height + ih) * g.width;
      for (let ow = 0; ow < g.outWidth; ow++, at++) {
        const iw = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
        col[at] = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width ? x[line + iw] : 0;
      }
    }
  }
}

/** Adds dcol [K, P] (one sample's) back into the C_g channels of dx that start at xAt: the transpose of unfold, k downwards. */
export function fold(dx: Float32Array, xAt: number, dcol: Float32Array, g: Geometry, geometry: Int32Array): void {
  if (foldWasm(dx, xAt, dcol, geometry, 1)) return;
  for (let c = g.groupChannels - 1; c >= 0; c--) {
    for (let i = g.kernel[0] - 1; i >= 0; i--) {
      for (let j = g.kernel[1] - 1; j >= 0; j--) foldRow(dx, xAt, dcol, g, c, i, j);
    }
  }
}

/** Adds row k = (c·kh + i)·kw + j of dcol into channel c, shifted back by (i, j). */
function foldRow(dx: Float32Array, xAt: number, dcol: Float32Array, g: Geometry, c: number, i: number, j: number): void {
  const from = ((c * g.kernel[0] + i) * g.kernel[1] + j) * g.outHeight * g.outWidth;
  for (let oh = 0; oh < g.outHeight; oh++) {
    const ih = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
    if (ih < 0 || ih >= g.height) continue;
    const line = xAt + (c * g.height + ih) * g.width;
    for (let ow = 0; ow < g.outWidth; ow++) {
      const iw = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
      if (iw >= 0 && iw < g.width) dx[line + iw] += dcol[from + oh * g.outWidth + ow];
    }
  }
}

/**
 * The layer as the unfold and fold kernels read it (wasm/layer-kernels.wat "unfold"): the
 * sizes, then for each kernel column j the output columns [lo, hi) whose input column
 * iw = ow·sw − pw + j·dw lies inside the image, and iw at ow = lo.
 */
export function unfoldGeometry(g: Geometry): Int32Array {
  const geometry = arenaInt32(12 + 3 * g.kernel[1]);
  geometry.set([g.groupChannels, g.height, g.width, ...g.kernel, ...g.stride, g.padding[0], g.dilation[0], g.outHeight, g.outWidth, g.channels * g.height * g.width]);
  for (let j = 0; j < g.kernel[1]; j++) {
    const first = j * g.dilation[1] - g.padding[1];
    const lo = Math.min(g.outWidth, Math.max(0, Math.ceil(-first / g.stride[1])));
    const hi = Math.max(lo, Math.min(g.outWidth, Math.floor((g.width - 1 - first) / g.stride[1]) + 1));
    geometry.set([lo, hi, first + lo * g.stride[1]], 12 + 3 * j);
  }
  return geometry;
}
