/**
 * The optimizer's element-wise kernels (wasm/optimizer-kernels.wat): WebAssembly SIMD twins of
 * the optimizer's hot pieces, and the sum of squares behind gradient norms.
 *
 * Naming, as for every kernel here: `fooWasm` is the fast kernel, `fooReference` its plain
 * TypeScript twin, which defines the bits, and plain `foo` (sumOfSquares, like matmul.ts's
 * matmulAB) picks between them. The twins of the optimizer's pieces stay beside each piece in
 * src/optim/ (negateReference, scaleReference, addScaledReference, traceReference,
 * adamReference, rmsReference), where their formulas are documented and whose helpers they
 * use; sumOfSquaresReference is here.
 *
 * Each `*Wasm` kernel takes Float32Arrays and returns whether it ran: false when the kernels
 * are off (kernelChoice() chose the js path) or an operand lives outside the engine memory,
 * and the caller then runs the reference, which gives the same bits. The twins of negate,
 * scale, addScaled and Adam compute in float32 and take their scalars as float32 (rounded on
 * the way in, as their references round them); those of trace and rms compute in float64 and
 * take float64 scalars (see wasm/optimizer-kernels.wat for why).
 */
import { lazyKernels, placed } from './wasm-kernels.js';

interface OptimizerExports {
  negate(u: number, n: number): void;
  scale(u: number, n: number, s: number): void;
  addScaled(u: number, x: number, n: number, s: number): void;
  trace(u: number, b: number, n: number, mu: number, c: number, first: number, nesterov: number): void;
  adam(u: number, m: number, v: number, vmax: number, n: number, b1: number, c1: number, b2: number, c2: number, s1: number, s2: number, eps: number, amsgrad: number): void;
  rms(u: number, sq: number, avg: number, n: number, alpha: number, c: number, eps: number, centered: number): void;
  sumOfSquares(x: number, n: number): number;
}

const kernels = lazyKernels<OptimizerExports>('optimizer-kernels.wasm');

/** Whether the optimizer's `*Wasm` kernels run (they follow the matmul's kernel choice). */
export function optimizerWasmRuns(): boolean {
  return kernels() !== null;
}

/** u ← −u */
export function negateWasm(u: Float32Array): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pu = placed(u, 0);
  if (pu < 0) return false;
  kernel.negate(pu, u.length);
  return true;
}

/** u ← s·u */
export function scaleWasm(u: Float32Array, s: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pu = placed(u, 0);
  if (pu < 0) return false;
  kernel.scale(pu, u.length, s);
  return true;
}

/** u ← u + s·x over u's length */
export function addScaledWasm(u: Float32Array, x: Float32Array, s: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pu = placed(u, 0);
  const px = placed(x, u.length);
  if (pu < 0 || px < 0) return false;
  kernel.addScaled(pu, px, u.length, s);
  return true;
}

/** Momentum: see pieces.ts trace and its reference. */
export function traceWasm(u: Float32Array, buffer: Float32Array, mu: number, c: number, first: boolean, nesterov: boolean): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const pu = placed(u, 0);
  const pb = placed(buffer, u.length);
  if (pu < 0 || pb < 0) return false;
  kernel.trace(pu, pb, u.length, mu, c, first ? 1 : 0, nesterov ? 1 : 0);
  return true;
}

/** Adam's scaling: see adam.ts scaleByAdam and its reference; `vmax` null without AMSGrad. */
export function adamWasm(
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
  const kernel = kernels();
  if (kernel === null) return false;
  const n = u.length;
  const pu = placed(u, n);
  const pm = placed(m, n);
  const pv = placed(v, n);
  const pmax = vmax === null ? 0 : placed(vmax, n);
  if (pu < 0 || pm < 0 || pv < 0 || pmax < 0) return false;
  kernel.adam(pu, pm, pv, pmax, n, b1, c1, b2, c2, s1, s2, eps, vmax === null ? 0 : 1);
  return true;
}

/** RMSprop's scaling: see rmsprop.ts scaleByRms and its reference; `avg` null unless centered. */
export function rmsWasm(u: Float32Array, sq: Float32Array, avg: Float32Array | null, alpha: number, c: number, eps: number): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const n = u.length;
  const pu = placed(u, n);
  const psq = placed(sq, n);
  const pavg = avg === null ? 0 : placed(avg, n);
  if (pu < 0 || psq < 0 || pavg < 0) return false;
  kernel.rms(pu, psq, pavg, n, alpha, c, eps, avg === null ? 0 : 1);
  return true;
}

/** Lanes of the sum of squares (see sumOfSquaresReference). */
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
  const kernel = kernels();
  const px = kernel === null ? -1 : placed(x, 0);
  if (kernel === null || px < 0) return sumOfSquaresReference(x);
  return kernel.sumOfSquares(px, x.length);
}
