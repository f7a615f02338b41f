/**
 * Matrix products over row-major Float32Arrays, in the three forms a linear layer needs, so
 * backward never materializes a transposed copy:
 *
 *   matmulABt: C[m,n] = A[m,k] · B[n,k]ᵀ (+ bias[n])   forward  y = x·Wᵀ + b
 *   matmulAB:  C[m,n] = A[m,k] · B[k,n]                backward dx = dy·W
 *   matmulAtB: C[m,n] = A[k,m]ᵀ · B[k,n]               backward dW = dyᵀ·x
 *
 * C is overwritten, never accumulated into, and must not overlap A, B or the bias (A and B may
 * be the same array: both are only read). Each call takes the WebAssembly SIMD kernel
 * (gemm.ts) when every operand lives in the engine memory (allocFloat32's buffers) — even
 * the smallest products run faster there (bench/NOTES.md) — and the plain reference kernel
 * (reference.ts) otherwise, or when a dimension is 0. With the default kernel both give
 * identical bits, so which one ran never shows in a result.
 *
 * Naming: `matmulAB` picks the path, `matmulABReference` is the plain twin; the fast path is
 * the thread team over gemm.ts. Which kernel and how many threads is kernelChoice()'s
 * (choice.ts); the team that shares large products between those threads by bands of output
 * (gemm-team.ts, which changes no bit of the result) is created by the first product that
 * can use it, never on import.
 *
 * On the blas path (choice.ts) a product of at least BLAS_MIN_PRODUCT multiply-adds goes to the
 * CBLAS library's sgemm instead (blas.ts), on the same operands in place; its bits are the
 * library's own, close to the reference within float32 rounding but not equal to it.
 */
import { arenaOffset, arenaScratch, memory } from './arena.js';
import { blasFor, kernelChoice, teamThreads, type KernelPath } from './choice.js';
import { Gemm, SCRATCH_BYTES, type GemmScratch } from './gemm.js';
import { CONTROL_BYTES, GemmTeam, type WorkerSetup } from './gemm-team.js';
import { matmulABReference, matmulABtReference, matmulAtBReference } from './reference.js';

export { matmulABReference, matmulABtReference, matmulAtBReference };

function scratch(): GemmScratch {
  return { packA: arenaScratch(SCRATCH_BYTES.packA), packB: arenaScratch(SCRATCH_BYTES.packB), tile: arenaScratch(SCRATCH_BYTES.tile) };
}

/** A team of `threads` over the engine memory for a compiled kernel module. */
export function createTeam(module: object, threads: number): GemmTeam {
  const mem = memory as NonNullable<typeof memory>;
  const control = arenaScratch(CONTROL_BYTES);
  const workers: WorkerSetup[] = [];
  for (let t = 1; t < threads; t++) workers.push({ module, memory: mem, scratch: scratch(), control });
  return new GemmTeam(new Gemm(module, mem, scratch()), workers);
}

/** The engine's team for kernelChoice(), null on the js path; undefined until first needed. */
let engineTeam: GemmTeam | null | undefined;

function team(): GemmTeam | null {
  if (engineTeam === undefined) {
    const choice = kernelChoice();
    engineTeam = choice.module === null ? null : createTeam(choice.module, teamThreads(choice));
  }
  return engineTeam;
}

function checkSizes(c: Float32Array, cLength: number, a: Float32Array, aLength: number, b: Float32Array, bLength: number, bias: Float32Array | null, n: number): void {
  if (c.length < cLength || a.length < aLength || b.length < bLength || (bias !== null && bias.length < n)) {
    throw new RangeError(`matmul: buffers of ${c.length}, ${a.length}, ${b.length} floats too small for C ${cLength}, A ${aLength}, B ${bLength}`);
  }
}

/**
 * Byte offsets of the operands in the engine memory (bias −1 when there is none), or null when
 * the product cannot go to the WebAssembly kernel: no kernel, an empty size, or an operand that
 * lives outside the memory. Filled in place: the training step calls this for every product.
 */
const offsets = { c: 0, a: 0, b: 0, bias: -1 };
function fastOffsets(c: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): typeof offsets | null {
  if (m < 1 || k < 1 || n < 1 || team() === null) return null;
  offsets.c = arenaOffset(c);
  offsets.a = arenaOffset(a);
  offsets.b = arenaOffset(b);
  offsets.bias = bias === null ? -1 : arenaOffset(bias);
  return offsets.c >= 0 && offsets.a >= 0 && offsets.b >= 0 && (bias === null || offsets.bias >= 0) ? offsets : null;
}

/** Which kernel a product of these operands and sizes runs on (tests and diagnostics). */
export function kernelFor(c: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): KernelPath {
  if (fastOffsets(c, a, b, bias, m, k, n) === null) return 'js';
  const { path } = kernelChoice();
  return blasFor(m, k, n) !== null ? 'blas' : path === 'blas' ? 'wasm-simd' : path;
}

/** C's m rows set to bias[0..n), for the library to add the product to (beta = 1). */
function fillRows(c: Float32Array, bias: Float32Array, m: number, n: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] = bias[j];
}

export function matmulABt(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  checkSizes(c, m * n, a, m * k, b, n * k, bias, n);
  const at = fastOffsets(c, a, b, bias, m, k, n);
  const blas = at === null ? null : blasFor(m, k, n);
  if (at === null) matmulABtReference(c, a, b, m, k, n, bias);
  else if (blas !== null) {
    if (bias !== null) fillRows(c, bias, m, n);
    blas.sgemm(at.c, n, at.a, k, false, at.b, k, true, m, k, n, bias === null ? 0 : 1);
  } else (engineTeam as GemmTeam).run(at.c, n, at.a, k, false, at.b, k, true, m, k, n, at.bias);
}

export function matmulAB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, m * k, b, k * n, null, n);
  const at = fastOffsets(c, a, b, null, m, k, n);
  const blas = at === null ? null : blasFor(m, k, n);
  if (at === null) matmulABReference(c, a, b, m, k, n);
  else if (blas !== null) blas.sgemm(at.c, n, at.a, k, false, at.b, n, false, m, k, n, 0);
  else (engineTeam as GemmTeam).run(at.c, n, at.a, k, false, at.b, n, false, m, k, n, -1);
}

export function matmulAtB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, k * m, b, k * n, null, n);
  const at = fastOffsets(c, a, b, null, m, k, n);
  const blas = at === null ? null : blasFor(m, k, n);
  if (at === null) matmulAtBReference(c, a, b, m, k, n);
  else if (blas !== null) blas.sgemm(at.c, n, at.a, m, true, at.b, n, false, m, k, n, 0);
  else (engineTeam as GemmTeam).run(at.c, n, at.a, m, true, at.b, n, false, m, k, n, -1);
}
