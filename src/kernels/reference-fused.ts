/**
 * The plain twins of the relaxed-SIMD kernels (ADAM_LAB_KERNEL=wasm-relaxed-simd) where
 * f32x4.relaxed_madd is fused, as on x86-64 with FMA3 and on ARM64: the default kernels' sums
 * in the default kernels' order, but every step one fused multiply-add rounded once (fmaf32)
 * instead of a rounded product and a rounded sum. Where relaxed_madd is not fused (a CPU
 * without FMA), the relaxed kernels give the default kernels' bits instead. Test references
 * only: on the relaxed path a product the kernels cannot take falls back to the unfused loops.
 */
import { fmaf32 } from './fma.js';
import { batchedProductReference, roundedMultiplyAdd } from './batched-product-reference.js';
import type { Strided, Terms } from './layer-kernels.js';

/**
 * The matrix product of gemm-relaxed-simd.wasm: C[m,n] = op(A)·op(B) (+ bias[n]), each element
 * init + a₀b₀ + a₁b₁ + … in increasing p (init the bias or 0), as reference.ts sums.
 * aByColumns: A is stored [k, m] (Aᵀ·B), else [m, k]; bByRows: B is stored [n, k] (A·Bᵀ),
 * else [k, n] — the layouts of gemm.ts's Gemm.run, so one loop covers all three forms.
 * C is overwritten.
 */
export function matmulFusedReference(
  c: Float32Array,
  a: Float32Array,
  aByColumns: boolean,
  b: Float32Array,
  bByRows: boolean,
  m: number,
  k: number,
  n: number,
  bias: Float32Array | null,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias === null ? 0 : bias[j];
      for (let p = 0; p < k; p++) sum = fmaf32(aByColumns ? a[p * m + i] : a[i * k + p], bByRows ? b[j * k + p] : b[p * n + j], sum);
      c[i * n + j] = sum;
    }
  }
}

/**
 * conv2d's batched product (layer-kernels.ts batchedProductWasm) as the relaxed layer module
 * computes it where relaxed_madd is fused: for b < batch, l < lines, o < outs, p < width,
 * y[b, l, o, p] = bias[o] + Σ_t w[o, t]·x[b, l, p + i·x.row + j·step] over t = i·perRow + j in
 * increasing t, each step one fmaf32 (batched-product-reference.ts with the multiply-add fused).
 * That holds from 8 positions a line up; under 8 the kernel runs scalar f32 code, which has no
 * relaxed multiply-add, so there each step is a rounded product and a rounded sum, as by
 * default. w comes packed in panels of four rows (conv2d.ts pack).
 */
export function batchedProductFusedReference(y: Strided, x: Strided, terms: Terms, packed: Float32Array, bias: Float32Array, outs: number, width: number, lines: number, batch: number): void {
  batchedProductReference(y, x, terms, packed, bias, outs, width, lines, batch, width >= 8 ? (sum, w, v) => fmaf32(w, v, sum) : roundedMultiplyAdd);
}
