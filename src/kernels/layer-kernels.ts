/**
 * The layers' kernels (wasm/layer-kernels.wat): WebAssembly SIMD twins of ReLU, of conv2d's
 * batched product and of the data movement of conv2d and max pooling.
 *
 * Naming, as for every kernel here: `fooWasm` is the fast kernel and `fooReference` its plain
 * TypeScript twin, which defines the bits. The plain twins of these are the layers' own loops
 * in src/engine/layers/ (activations.ts, conv2d.ts, pool2d.ts), which run whenever a kernel
 * here returns false.
 *
 * Each `*Wasm` kernel returns false, and does nothing, when the kernels are off
 * (kernelChoice() chose the js path) or an operand lives outside the engine memory. Index
 * maps (Int32Array) must live there too: allocate them with arenaInt32. The length checks
 * guard the memory outside the arrays; the maps' entries are the callers' to keep in range.
 *
 * One kernel here is not WebAssembly: batchedProductBlas, conv2d's products on the blas path.
 */
import { blasFor } from './choice.js';
import { lazyKernels, placed } from './wasm-kernels.js';

interface LayerExports {
  relu(x: number, y: number, n: number): void;
  reluBackward(x: number, dy: number, dx: number, n: number): void;
  scatterAdd(dst: number, src: number, map: number, n: number): void;
  unfold(dst: number, x: number, geometry: number, batch: number): void;
  fold(dx: number, col: number, geometry: number, batch: number): void;
  batchedProduct(y: number, yRow: number, ySample: number, yLine: number, x: number, xRow: number, xStep: number, xSample: number, xLine: number,
    w: number, bias: number, outs: number, kh: number, kw: number, width: number, lines: number, batch: number): void;
  convWeightGrad3x3(dw: number, dy: number, dySample: number, x: number, xSample: number, xRow: number, outs: number, outH: number, outW: number, batch: number): void;
  copyRuns(dst: number, dstStride: number, src: number, srcStride: number, len: number, count: number): void;
  rowSums(dst: number, src: number, rows: number, cols: number): void;
  maxPool(x: number, y: number, winner: number, windows: number, planes: number, inPlane: number, positions: number, size: number): void;
  maxPool2x2(x: number, y: number, winner: number, planes: number, height: number, width: number, outH: number, outW: number): void;
  maxPool2x2Backward(dy: number, dx: number, winner: number, planes: number, height: number, width: number): void;
}

const kernels = lazyKernels<LayerExports>('layer-kernels.wasm', 'layer-kernels-relaxed-simd.wasm');

/** Whether the layers' `*Wasm` kernels run (they follow the matmul's kernel choice). */
export function layerWasmRuns(): boolean {
  return kernels() !== null;
}

/** y[i] ← x[i] > 0 ? x[i] : 0 for i < n */
export function reluWasm(x: Float32Array, y: Float32Array, n: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const px = placed(x, n);
  const py = placed(y, n);
  if (px < 0 || py < 0) return false;
  kernel.relu(px, py, n);
  return true;
}

/** dx[i] ← dy[i] · (x[i] > 0 ? 1 : 0) for i < n */
export function reluBackwardWasm(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const px = placed(x, n);
  const pdy = placed(dy, n);
  const pdx = placed(dx, n);
  if (px < 0 || pdy < 0 || pdx < 0) return false;
  kernel.reluBackward(px, pdy, pdx, n);
  return true;
}

/** dst[map[t]] += src[t] for t < n in increasing t, skipping map[t] < 0. */
export function scatterAddWasm(dst: Float32Array, src: Float32Array, map: Int32Array, n: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pd = placed(dst, 0);
  const ps = placed(src, n);
  const pm = placed(map, n);
  if (pd < 0 || ps < 0 || pm < 0) return false;
  kernel.scatterAdd(pd, ps, pm, n);
  return true;
}

/**
 * The floats an unfold or fold of `batch` samples reaches: of col, and of x or dx from the
 * first sample's start (`geometry`: conv2d.ts's descriptor, see unfoldGeometry there).
 */
function colExtent(geometry: Int32Array, batch: number): number {
  return geometry[0] * geometry[3] * geometry[4] * batch * geometry[9] * geometry[10];
}
function imageExtent(geometry: Int32Array, batch: number): number {
  return (batch - 1) * geometry[11] + geometry[0] * geometry[1] * geometry[2];
}

/** conv2d's unfold (im2col) of `batch` samples of x (from xAt) into col's K rows, as conv2d.ts's loop. */
export function unfoldWasm(col: Float32Array, x: Float32Array, xAt: number, geometry: Int32Array, batch: number): boolean {
  const kernel = kernels();
  if (kernel === null || batch === 0) return false;
  const pc = placed(col, colExtent(geometry, batch));
  const px = placed(x, xAt + imageExtent(geometry, batch));
  const pg = placed(geometry, 0);
  if (pc < 0 || px < 0 || pg < 0) return false;
  kernel.unfold(pc, px + xAt * 4, pg, batch);
  return true;
}

/** conv2d's fold (col2im): adds col's K rows back into dx (from dxAt), as conv2d.ts's loop. */
export function foldWasm(dx: Float32Array, dxAt: number, col: Float32Array, geometry: Int32Array, batch: number): boolean {
  const kernel = kernels();
  if (kernel === null || batch === 0) return false;
  const pd = placed(dx, dxAt + imageExtent(geometry, batch));
  const pc = placed(col, colExtent(geometry, batch));
  const pg = placed(geometry, 0);
  if (pd < 0 || pc < 0 || pg < 0) return false;
  kernel.fold(pd + dxAt * 4, pc, pg, batch);
  return true;
}

/**
 * Where a batched product's operand lies: in `array` from `at`, rows `row`, samples `sample`
 * and lines `line` floats apart. Mutable, so a caller can keep one and repoint it without
 * allocating.
 */
export interface Strided {
  array: Float32Array;
  at: number;
  row: number;
  sample: number;
  line: number;
}

/**
 * How a batched product's terms lie in x: `rows` × `perRow`, term (i, j) at i·x.row + j·step
 * floats from a position, in that order (t = i·perRow + j). A col's K rows are 1 × K with step
 * = its row.
 */
export interface Terms {
  readonly rows: number;
  readonly perRow: number;
  step: number;
}

/**
 * conv2d's products, as its loop (conv2d.ts product): for b < batch, l < lines, o < outs,
 * p < width, y[b, l, o, p] = bias[o] + Σ_t w[o, t]·x[b, l, p + (term t's offset)] (float32,
 * increasing t) over strided y and x, with w packed in panels of four rows (conv2d.ts pack).
 * On the wasm-relaxed-simd path its vector multiply-adds are fused (from 8 positions a line up):
 * its twin there is batchedProductFusedReference.
 */
/** One past the last float a strided operand of `rows` rows, `lines` lines and `batch` samples, each row `width` floats, reaches. */
function stridedEnd(s: Strided, rows: number, width: number, lines: number, batch: number): number {
  return s.at + (batch - 1) * s.sample + (lines - 1) * s.line + (rows - 1) * s.row + width;
}

export function batchedProductWasm(y: Strided, x: Strided, terms: Terms, packed: Float32Array, bias: Float32Array, outs: number, width: number, lines: number, batch: number): boolean {
  const kernel = kernels();
  if (kernel === null || batch === 0) return false;
  const { rows, perRow, step } = terms;
  const py = placed(y.array, stridedEnd(y, outs, width, lines, batch));
  const px = placed(x.array, stridedEnd(x, rows, width, lines, batch) + (perRow - 1) * step);
  const pw = placed(packed, Math.ceil(outs / 4) * 4 * rows * perRow);
  const pb = placed(bias, outs);
  if (py < 0 || px < 0 || pw < 0 || pb < 0) return false;
  kernel.batchedProduct(py + y.at * 4, y.row, y.sample, y.line, px + x.at * 4, x.row, step, x.sample, x.line, pw, pb, outs, rows, perRow, width, lines, batch);
  return true;
}

/**
 * The weight gradient of conv2d's direct 3×3 convolution of one input channel at stride 1, as
 * its loop (conv2d.ts directWeightGradient): dw[o·9 + i·3 + j] = Σ_{b, oh, ow} dy[b, o, oh, ow]·
 * x[b, oh + i, ow + j] from +0 in increasing (b, oh, ow), with dy [batch, ≥ outs, outH, outW]
 * from dyAt, samples dySample floats apart, and x the zero-padded input, rows xRow and samples
 * xSample floats apart (the fourth lane reads one float past a row's last tap: past the last
 * sample's last row too).
 */
export function convWeightGrad3x3Wasm(dw: Float32Array, dy: Float32Array, dyAt: number, dySample: number, x: Float32Array, xSample: number, xRow: number, outs: number, outH: number, outW: number, batch: number): boolean {
  const kernel = kernels();
  if (kernel === null || batch === 0) return false;
  const pd = placed(dw, outs * 9);
  const py = placed(dy, dyAt + (batch - 1) * dySample + outs * outH * outW);
  const px = placed(x, (batch - 1) * xSample + (outH + 2) * xRow + 1);
  if (pd < 0 || py < 0 || px < 0) return false;
  kernel.convWeightGrad3x3(pd, py + dyAt * 4, dySample, px, xSample, xRow, outs, outH, outW, batch);
  return true;
}

/**
 * conv2d's products on the blas path (choice.ts), through the library's sgemm in place, one call
 * per sample: y_b[outs, positions] ← bias + op(w)·x_b[k, positions], with y_b and x_b strided as
 * for batchedProductWasm (one line, a term per row of x: x.row apart) and w not packed: [outs, k], or
 * `transposed` stored [k, outs] (dcol = W_gᵀ·dy_b). Each sample's operands are already plain row-major matrices with leading
 * dimensions y.row and x.row, so nothing is copied. False, and nothing done, off the blas path,
 * when one sample's product is under BLAS_MIN_PRODUCT multiply-adds (batchedProductWasm is
 * faster there), or when an operand lives outside the engine memory. The bits are the
 * library's, within float32 rounding of batchedProductWasm's, as for the matmul on that path.
 */
export function batchedProductBlas(y: Strided, x: Strided, w: Float32Array, transposed: boolean, bias: Float32Array | null, outs: number, k: number, positions: number, batch: number): boolean {
  const blas = batch === 0 ? null : blasFor(outs, k, positions);
  if (blas === null) return false;
  const py = placed(y.array, stridedEnd(y, outs, positions, 1, batch));
  const px = placed(x.array, stridedEnd(x, k, positions, 1, batch));
  const pw = placed(w, outs * k);
  if (py < 0 || px < 0 || pw < 0 || (bias !== null && bias.length < outs)) return false;
  for (let b = 0; b < batch; b++) {
    const yAt = y.at + b * y.sample;
    // The library adds the product to the bias rows (beta = 1), as matmulABt does on this path.
    if (bias !== null) for (let o = 0; o < outs; o++) y.array.fill(bias[o], yAt + o * y.row, yAt + o * y.row + positions);
    blas.sgemm(py + yAt * 4, y.row, pw, transposed ? outs : k, transposed, px + (x.at + b * x.sample) * 4, x.row, false, outs, k, positions, bias === null ? 0 : 1);
  }
  return true;
}

/** `count` runs of `len` floats: dst[dstAt + q·dstStride + t] ← src[srcAt + q·srcStride + t]. */
export function copyRunsWasm(dst: Float32Array, dstAt: number, dstStride: number, src: Float32Array, srcAt: number, srcStride: number, len: number, count: number): boolean {
  const kernel = kernels();
  if (kernel === null || count === 0) return false;
  const pd = placed(dst, dstAt + (count - 1) * dstStride + len);
  const ps = placed(src, srcAt + (count - 1) * srcStride + len);
  if (pd < 0 || ps < 0) return false;
  kernel.copyRuns(pd + dstAt * 4, dstStride, ps + srcAt * 4, srcStride, len, count);
  return true;
}

/** dst[r] ← Σ_c src[r·cols + c] (float64, increasing c, rounded once) for r < rows. */
export function rowSumsWasm(dst: Float32Array, src: Float32Array, rows: number, cols: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pd = placed(dst, rows);
  const ps = placed(src, rows * cols);
  if (pd < 0 || ps < 0) return false;
  kernel.rowSums(pd, ps, rows, cols);
  return true;
}

/** Max pooling as pool2d.ts's loop: y and winner for planes × positions; windows holds positions × size offsets. */
export function maxPoolWasm(x: Float32Array, y: Float32Array, winner: Int32Array, windows: Int32Array, planes: number, inPlane: number, positions: number, size: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const outputs = planes * positions;
  const px = placed(x, planes * inPlane);
  const py = placed(y, outputs);
  const pw = placed(winner, outputs);
  const pm = placed(windows, positions * size);
  if (px < 0 || py < 0 || pw < 0 || pm < 0) return false;
  kernel.maxPool(px, py, pw, pm, planes, inPlane, positions, size);
  return true;
}

/**
 * maxPoolWasm for a 2×2 window, stride 2, no padding, over planes of height×width: the same
 * results, four outputs at a time.
 */
export function maxPool2x2Wasm(x: Float32Array, y: Float32Array, winner: Int32Array, planes: number, height: number, width: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  const outputs = planes * outH * outW;
  const px = placed(x, planes * height * width);
  const py = placed(y, outputs);
  const pw = placed(winner, outputs);
  if (px < 0 || py < 0 || pw < 0) return false;
  kernel.maxPool2x2(px, py, pw, planes, height, width, outH, outW);
  return true;
}

/**
 * The backward of maxPool2x2Wasm for even height and width (every input in one window): dx in
 * full, as zeroing it and adding dy at the winners would leave it. False for odd sizes.
 */
export function maxPool2x2BackwardWasm(dy: Float32Array, dx: Float32Array, winner: Int32Array, planes: number, height: number, width: number): boolean {
  const kernel = kernels();
  if (kernel === null || height % 2 !== 0 || width % 2 !== 0) return false;
  const outputs = (planes * height * width) / 4;
  const pdy = placed(dy, outputs);
  const pdx = placed(dx, planes * height * width);
  const pw = placed(winner, outputs);
  if (pdy < 0 || pdx < 0 || pw < 0) return false;
  kernel.maxPool2x2Backward(pdy, pdx, pw, planes, height, width);
  return true;
}
