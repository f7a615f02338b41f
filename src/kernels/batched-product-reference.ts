/**
 * The plain twin of conv2d's batched product (layer-kernels.ts batchedProductWasm), written once
 * for both roundings: for b < batch, l < lines, o < outs, p < width,
 *
 *   y[b, l, o, p] = bias[o] + Σ_t w[o, t]·x[b, l, p + i·x.row + j·step]   t = i·perRow + j, increasing t
 *
 * each step of the sum being `multiplyAdd(sum, w, v)`: a rounded product and a rounded sum
 * (roundedMultiplyAdd, the default kernel's bits) or one fused multiply-add (reference-fused.ts).
 * w comes packed in panels of four rows, t-major (conv2d.ts pack).
 */
import type { Strided, Terms } from './layer-kernels.js';

export type MultiplyAdd = (sum: number, w: number, v: number) => number;

/** sum + w·v as float32 computes it without fusing: the product rounded, then the sum. */
export const roundedMultiplyAdd: MultiplyAdd = (sum, w, v) => Math.fround(sum + Math.fround(w * v));

export function batchedProductReference(y: Strided, x: Strided, terms: Terms, packed: Float32Array, bias: Float32Array, outs: number, width: number, lines: number, batch: number, multiplyAdd: MultiplyAdd): void {
  const { rows, perRow, step } = terms;
  for (let s = 0; s < batch; s++) {
    for (let l = 0; l < lines; l++) {
      const base = x.at + s * x.sample + l * x.line;
      for (let o = 0; o < outs; o++) {
        const out = y.at + s * y.sample + l * y.line + o * y.row;
        const panel = (o >> 2) * rows * perRow * 4 + (o & 3);
        for (let p = 0; p < width; p++) {
          let sum = bias[o];
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < perRow; j++) sum = multiplyAdd(sum, packed[panel + (i * perRow + j) * 4], x.array[base + i * x.row + j * step + p]);
          }
          y.array[out + p] = sum;
        }
      }
    }
  }
}
