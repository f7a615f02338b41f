/**
 * The WebAssembly SIMD element-wise kernels (wasm/elementwise.wat): twins of the optimizer's
 * hot pieces, whose plain TypeScript references live beside each piece in src/optim/, and
 * the sum of squares behind gradient norms, whose reference is here.
 *
 * Each twin takes Float32Arrays and returns whether it ran: false when the kernels are off
 * (ADAM_LAB_KERNEL=js, or no WebAssembly, as for the matmul) or an operand lives outside the
 * engine memory, and the caller then runs the reference, which gives the same bits. The
 * twins of negate, scale, addScaled and Adam compute in float32 and take their scalars as
 * float32 (rounded on the way in, as their references round them); those of trace and rms
 * compute in float64 and take float64 scalars (see wasm/elementwise.wat for why).
 */
import { readFileSync } from 'node:fs';
import { arenaOffset, memory } from './arena.js';
import { builtFile } from './gemm.js';
import { KERNEL } from './matmul.js';
import { wasm } from './wasm-api.js';

interface ElementExports {
  negate(u: number, n: number): void;
  scale(u: number, n: number, s: number): void;
  addScaled(u: number, x: number, n: number, s: number): void;
  trace(u: number, b: number, n: number, mu: number, c: number, first: number, nesterov: number): void;
  adam(u: number, m: number, v: number, vmax: number, n: number, b1: number, c1: number, b2: number, c2: number, s1: number, s2: number, eps: number, amsgrad: number): void;
  rms(u: number, sq: number, avg: number, n: number, alpha: number, c: number, eps: number, centered: number): void;
  sumOfSquares(x: number, n: number): number;
  relu(x: number, y: number, n: number): void;
  reluBackward(x: number, dy: number, dx: number, n: number): void;
  scatterAdd(dst: number, src: number, map: number, n: number): void;
  unfold(dst: number, x: number, geometry: number, batch: number): void;
  fold(dx: number, col: number, geometry: number, batch: number): void;
  batchedProduct(y: number, yRow: number, ySample: number, x: number, xRow: number, xSample: number, w: number, bias: number, outs: number, k: number, positions: number, batch: number): void;
  copyRuns(dst: number, dstStride: number, src: number, srcStride: number, len: number, count: number): void;
  rowSums(dst: number, src: number, rows: number, cols: number): void;
  maxPool(x: number, y: number, winner: number, windows: number, planes: number, inPlane: number, positions: number, size: number): void;
  maxPool2x2(x: number, y: number, winner: number, planes: number, height: number, width: number, outH: number, outW: number): void;
  maxPool2x2Backward(dy: number, dx: number, winner: number, planes: number, height: number, width: number): void;
}

function instantiate(): ElementExports | null {
  if (KERNEL === 'js' || memory === null) return null;
  const path = builtFile('wasm/elementwise-simd.wasm');
  if (path === null) return null;
  const bytes = readFileSync(path);
  if (!wasm.validate(bytes)) return null;
  return new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as unknown as ElementExports;
}

const kernels = instantiate();

/** Whether the element-wise twins run (they follow the matmul's kernel choice). */
export const ELEMENTWISE_SIMD = kernels !== null;

/**
 * Byte offset of `array` in the engine memory when the kernels run, the array lives there and
 * holds at least `extent` elements (the memory beyond an array is another array's); −1 else.
 */
function placed(array: Float32Array | Int32Array, extent: number): number {
  return kernels === null || extent > array.length ? -1 : arenaOffset(array);
}

/** u ← −u */
export function negateSimd(u: Float32Array): boolean {
  const pu = placed(u, 0);
  if (kernels === null || pu < 0) return false;
  kernels.negate(pu, u.length);
  return true;
}

/** u ← s·u */
export function scaleSimd(u: Float32Array, s: number): boolean {
  const pu = placed(u, 0);
  if (kernels === null || pu < 0) return false;
  kernels.scale(pu, u.length, s);
  return true;
}

/** u ← u + s·x over u's length */
export function addScaledSimd(u: Float32Array, x: Float32Array, s: number): boolean {
  const pu = placed(u, 0);
  const px = placed(x, u.length);
  if (kernels === null || pu < 0 || px < 0) return false;
  kernels.addScaled(pu, px, u.length, s);
  return true;
}

/** Momentum: see pieces.ts trace and its reference. */
export function traceSimd(u: Float32Array, buffer: Float32Array, mu: number, c: number, first: boolean, nesterov: boolean): boolean {
  const pu = placed(u, 0);
  const pb = placed(buffer, u.length);
  if (kernels === null || pu < 0 || pb < 0) return false;
  kernels.trace(pu, pb, u.length, mu, c, first ? 1 : 0, nesterov ? 1 : 0);
  return true;
}

/** Adam's scaling: see adam.ts scaleByAdam and its reference; `vmax` null without AMSGrad. */
export function adamSimd(
  u: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  s1: number,
  s2: number,
  eps: number,
): boolean {
  const n = u.length;
  const pu = placed(u, n);
  const pm = placed(m, n);
  const pv = placed(v, n);
  const pmax = vmax === null ? 0 : placed(vmax, n);
  if (kernels === null || pu < 0 || pm < 0 || pv < 0 || pmax < 0) return false;
  kernels.adam(pu, pm, pv, pmax, n, b1, c1, b2, c2, s1, s2, eps, vmax === null ? 0 : 1);
  return true;
}

/** RMSprop's scaling: see rmsprop.ts scaleByRms and its reference; `avg` null unless centered. */
export function rmsSimd(u: Float32Array, sq: Float32Array, avg: Float32Array | null, alpha: number, c: number, eps: number): boolean {
  const n = u.length;
  const pu = placed(u, n);
  const psq = placed(sq, n);
  const pavg = avg === null ? 0 : placed(avg, n);
  if (kernels === null || pu < 0 || psq < 0 || pavg < 0) return false;
  kernels.rms(pu, psq, pavg, n, alpha, c, eps, avg === null ? 0 : 1);
  return true;
}

/** Lanes of the sum of squares (see sumOfSquares). */
const LANES = 8;

/**
 * The reference sum of squares: Σ x² in float64 in the SIMD kernel's order — element i of
 * the first n − n mod 8 into lane i mod 8, the lanes combined pairwise, then the remaining
 * squares one by one. Products of float32 numbers are exact in float64, so only the order of
 * the additions matters, and it is the same.
 */
export function sumOfSquaresReference(x: Float32Array): number {
  const n = x.length;
  const whole = n - (n % LANES);
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
  for (let i = 0; i < whole; i += LANES) {
    l0 += x[i] * x[i];
    l1 += x[i + 1] * x[i + 1];
    l2 += x[i + 2] * x[i + 2];
    l3 += x[i + 3] * x[i + 3];
    l4 += x[i + 4] * x[i + 4];
    l5 += x[i + 5] * x[i + 5];
    l6 += x[i + 6] * x[i + 6];
    l7 += x[i + 7] * x[i + 7];
  }
  let sum = l0 + l1 + (l2 + l3) + (l4 + l5 + (l6 + l7));
  for (let i = whole; i < n; i++) sum += x[i] * x[i];
  return sum;
}

/** Σ x² in float64, on the SIMD kernel when it can run, else the reference: the same bits either way. */
export function sumOfSquares(x: Float32Array): number {
  const px = placed(x, 0);
  if (kernels === null || px < 0) return sumOfSquaresReference(x);
  return kernels.sumOfSquares(px, x.length);
}

// ---- Layer kernels (the layers' own loops are their references). Each returns false, and
// does nothing, when the kernels are off or an operand lives outside the engine memory.
// Index maps (Int32Array) must live there too: allocate them with arenaInt32. The length
// checks guard the memory outside the arrays; the maps' entries are the callers' to keep in range.

/** y[i] ← x[i] > 0 ? x[i] : 0 for i < n */
export function reluWasm(x: Float32Array, y: Float32Array, n: number): boolean {
  const px = placed(x, n);
  const py = placed(y, n);
  if (kernels === null || px < 0 || py < 0) return false;
  kernels.relu(px, py, n);
  return true;
}

/** dx[i] ← dy[i] · (x[i] > 0 ? 1 : 0) for i < n */
export function reluBackwardWasm(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean {
  const px = placed(x, n);
  const pdy = placed(dy, n);
  const pdx = placed(dx, n);
  if (kernels === null || px < 0 || pdy < 0 || pdx < 0) return false;
  kernels.reluBackward(px, pdy, pdx, n);
  return true;
}

/** dst[map[t]] += src[t] for t < n in increasing t, skipping map[t] < 0. */
export function scatterAddWasm(dst: Float32Array, src: Float32Array, map: Int32Array, n: number): boolean {
  const pd = placed(dst, 0);
  const ps = placed(src, n);
  const pm = placed(map, n);
  if (kernels === null || pd < 0 || ps < 0 || pm < 0) return false;
  kernels.scatterAdd(pd, ps, pm, n);
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
  if (batch === 0) return false;
  const pc = placed(col, colExtent(geometry, batch));
  const px = placed(x, xAt + imageExtent(geometry, batch));
  const pg = placed(geometry, 0);
  if (kernels === null || pc < 0 || px < 0 || pg < 0) return false;
  kernels.unfold(pc, px + xAt * 4, pg, batch);
  return true;
}

/** conv2d's fold (col2im): adds col's K rows back into dx (from dxAt), as conv2d.ts's loop. */
export function foldWasm(dx: Float32Array, dxAt: number, col: Float32Array, geometry: Int32Array, batch: number): boolean {
  if (batch === 0) return false;
  const pd = placed(dx, dxAt + imageExtent(geometry, batch));
  const pc = placed(col, colExtent(geometry, batch));
  const pg = placed(geometry, 0);
  if (kernels === null || pd < 0 || pc < 0 || pg < 0) return false;
  kernels.fold(pd + dxAt * 4, pc, pg, batch);
  return true;
}

/**
 * Where a batched product's operand lies: in `array` from `at`, rows `row` and samples
 * `sample` floats apart. Mutable, so a caller can keep one and repoint it without allocating.
 */
export interface Strided {
  array: Float32Array;
  at: number;
  row: number;
  sample: number;
}

/** The last float of `rows` rows of `positions` floats in `batch` samples of a strided operand, plus one. */
function stridedExtent(s: Strided, rows: number, positions: number, batch: number): number {
  return s.at + (batch - 1) * s.sample + (rows - 1) * s.row + positions;
}

/**
 * conv2d's products, as its loop (conv2d.ts multiply): for b < batch, o < outs, p < positions,
 * y[b, o, p] = bias[o] + Σ_t w[o, t]·x[b, t, p] (float32, increasing t) over strided y and x,
 * with w packed in panels of four rows (conv2d.ts pack).
 */
export function batchedProductWasm(y: Strided, x: Strided, packed: Float32Array, bias: Float32Array, outs: number, k: number, positions: number, batch: number): boolean {
  if (batch === 0) return false;
  const py = placed(y.array, stridedExtent(y, outs, positions, batch));
  const px = placed(x.array, stridedExtent(x, k, positions, batch));
  const pw = placed(packed, Math.ceil(outs / 4) * 4 * k);
  const pb = placed(bias, outs);
  if (kernels === null || py < 0 || px < 0 || pw < 0 || pb < 0) return false;
  kernels.batchedProduct(py + y.at * 4, y.row, y.sample, px + x.at * 4, x.row, x.sample, pw, pb, outs, k, positions, batch);
  return true;
}

/** `count` runs of `len` floats: dst[dstAt + q·dstStride + t] ← src[srcAt + q·srcStride + t]. */
export function copyRunsWasm(dst: Float32Array, dstAt: number, dstStride: number, src: Float32Array, srcAt: number, srcStride: number, len: number, count: number): boolean {
  if (count === 0) return false;
  const pd = placed(dst, dstAt + (count - 1) * dstStride + len);
  const ps = placed(src, srcAt + (count - 1) * srcStride + len);
  if (kernels === null || pd < 0 || ps < 0) return false;
  kernels.copyRuns(pd + dstAt * 4, dstStride, ps + srcAt * 4, srcStride, len, count);
  return true;
}

/** dst[r] ← Σ_c src[r·cols + c] (float64, increasing c, rounded once) for r < rows. */
export function rowSumsWasm(dst: Float32Array, src: Float32Array, rows: number, cols: number): boolean {
  const pd = placed(dst, rows);
  const ps = placed(src, rows * cols);
  if (kernels === null || pd < 0 || ps < 0) return false;
  kernels.rowSums(pd, ps, rows, cols);
  return true;
}

/** Max pooling as pool2d.ts's loop: y and winner for planes × positions; windows holds positions × size offsets. */
export function maxPoolWasm(x: Float32Array, y: Float32Array, winner: Int32Array, windows: Int32Array, planes: number, inPlane: number, positions: number, size: number): boolean {
  const outputs = planes * positions;
  const px = placed(x, planes * inPlane);
  const py = placed(y, outputs);
  const pw = placed(winner, outputs);
  const pm = placed(windows, positions * size);
  if (kernels === null || px < 0 || py < 0 || pw < 0 || pm < 0) return false;
  kernels.maxPool(px, py, pw, pm, planes, inPlane, positions, size);
  return true;
}

/**
 * maxPoolWasm for a 2×2 window, stride 2, no padding, over planes of height×width: the same
 * results, four outputs at a time.
 */
export function maxPool2x2Wasm(x: Float32Array, y: Float32Array, winner: Int32Array, planes: number, height: number, width: number): boolean {
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  const outputs = planes * outH * outW;
  const px = placed(x, planes * height * width);
  const py = placed(y, outputs);
  const pw = placed(winner, outputs);
  if (kernels === null || px < 0 || py < 0 || pw < 0) return false;
  kernels.maxPool2x2(px, py, pw, planes, height, width, outH, outW);
  return true;
}

/**
 * The backward of maxPool2x2Wasm for even height and width (every input in one window): dx in
 * full, as zeroing it and adding dy at the winners would leave it. False for odd sizes.
 */
export function maxPool2x2BackwardWasm(dy: Float32Array, dx: Float32Array, winner: Int32Array, planes: number, height: number, width: number): boolean {
  if (height % 2 !== 0 || width % 2 !== 0) return false;
  const outputs = (planes * height * width) / 4;
  const pdy = placed(dy, outputs);
  const pdx = placed(dx, planes * height * width);
  const pw = placed(winner, outputs);
  if (kernels === null || pdy < 0 || pdx < 0 || pw < 0) return false;
  kernels.maxPool2x2Backward(pdy, pdx, pw, planes, height, width);
  return true;
}
