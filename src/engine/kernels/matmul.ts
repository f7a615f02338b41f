/**
 * Matrix products over row-major Float32Arrays, in the three forms a linear layer needs, so
 * backward never materializes a transposed copy:
 *
 *   matmulABt: C[m,n] = A[m,k] · B[n,k]ᵀ (+ bias[n])   forward  y = x·Wᵀ + b
 *   matmulAB:  C[m,n] = A[m,k] · B[k,n]                backward dx = dy·W
 *   matmulAtB: C[m,n] = A[k,m]ᵀ · B[k,n]               backward dW = dyᵀ·x
 *
 * C is overwritten, never accumulated into. Each call takes the WebAssembly SIMD kernel
 * (gemm.ts) when every operand lives in the engine memory (allocFloat32's buffers) — even
 * the seed toy's 100×2×4 product runs faster there (0.7 µs against 1.5 µs) — and the plain
 * reference kernel (reference.ts) otherwise, or when a dimension is 0. With the default
 * kernel both give identical bits, so which one ran never shows in a result.
 *
 * KERNEL says which path the engine uses: 'wasm-simd' by default; 'js' when
 * ADAM_LAB_KERNEL=js (for debugging and comparing) or when WebAssembly is unavailable;
 * 'wasm-relaxed-simd' only when ADAM_LAB_KERNEL=wasm-relaxed-simd and this Node.js
 * validates relaxed SIMD — fused multiply-adds, faster but no longer bit-identical to the
 * reference, hence never the default. KERNEL_NOTE says why the path differs from the one asked.
 * Large products are shared between KERNEL_THREADS threads by bands of output
 * (gemm-team.ts), which changes no bit of the result.
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { arenaOffset, arenaScratch, memory } from './arena.js';
import { compileGemm, Gemm, SCRATCH_BYTES, type GemmScratch, type GemmVariant } from './gemm.js';
import { CONTROL_BYTES, GemmTeam, type WorkerSetup } from './gemm-team.js';
import { matmulABReference, matmulABtReference, matmulAtBReference } from './reference.js';

export { matmulABReference, matmulABtReference, matmulAtBReference };

export type KernelPath = 'wasm-simd' | 'wasm-relaxed-simd' | 'js';
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-simd', 'wasm-relaxed-simd', 'js'];

/**
 * ADAM_LAB_THREADS, else every available core on the main thread and 1 on a worker thread:
 * a sweep already runs one trial per core on worker threads, and kernel threads on top
 * would only compete with them.
 */
function threadsWanted(): number {
  const asked = Number(process.env.ADAM_LAB_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, 16);
  return isMainThread ? Math.min(availableParallelism(), 8) : 1;
}

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

function selectKernel(): { path: KernelPath; module: object | null; note: string | null } {
  const asked = process.env.ADAM_LAB_KERNEL ?? '';
  if (asked === 'js') return { path: 'js', module: null, note: null };
  if (memory === null) return { path: 'js', module: null, note: 'no shared WebAssembly memory could be reserved' };
  let note: string | null = null;
  if (asked !== '' && asked !== 'wasm-simd' && asked !== 'wasm-relaxed-simd') {
    note = `ADAM_LAB_KERNEL=${asked} ignored (valid: ${KERNEL_PATHS.join(', ')})`;
  }
  const tried: GemmVariant[] = asked === 'wasm-relaxed-simd' ? ['wasm-relaxed-simd', 'wasm-simd'] : ['wasm-simd'];
  for (const variant of tried) {
    const module = compileGemm(variant);
    if (typeof module !== 'string') return { path: variant, module, note };
    note = `${note === null ? '' : `${note}; `}${variant} unavailable: ${module}`;
  }
  return { path: 'js', module: null, note };
}

const selected = selectKernel();
export const KERNEL: KernelPath = selected.path;
export const KERNEL_NOTE: string | null = selected.note;
/** Threads a large product is shared between (see threadsWanted). */
export const KERNEL_THREADS: number = selected.module === null ? 1 : threadsWanted();
const gemm: GemmTeam | null = selected.module === null ? null : createTeam(selected.module, KERNEL_THREADS);

/** The compiled module behind KERNEL (null on the js path), for tests and benchmarks that build their own teams. */
export const kernelModule: object | null = selected.module;

function checkSizes(c: Float32Array, cLength: number, a: Float32Array, aLength: number, b: Float32Array, bLength: number, bias: Float32Array | null, n: number): void {
  if (c.length < cLength || a.length < aLength || b.length < bLength || (bias !== null && bias.length < n)) {
    throw new RangeError(`matmul: buffers of ${c.length}, ${a.length}, ${b.length} floats too small for C ${cLength}, A ${aLength}, B ${bLength}`);
  }
}

/** Whether a product of these operands and sizes goes to the WebAssembly kernel. */
function onFastPath(c: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): boolean {
  return (
    gemm !== null &&
    m >= 1 &&
    k >= 1 &&
    n >= 1 &&
    arenaOffset(c) >= 0 &&
    arenaOffset(a) >= 0 &&
    arenaOffset(b) >= 0 &&
    (bias === null || arenaOffset(bias) >= 0)
  );
}

/** Which kernel a product of these operands and sizes runs on (tests and diagnostics). */
export function kernelFor(c: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): KernelPath {
  return onFastPath(c, a, b, bias, m, k, n) ? KERNEL : 'js';
}

export function matmulABt(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  checkSizes(c, m * n, a, m * k, b, n * k, bias, n);
  if (onFastPath(c, a, b, bias, m, k, n)) {
    (gemm as GemmTeam).run(arenaOffset(c), n, arenaOffset(a), k, false, arenaOffset(b), k, true, m, k, n, bias === null ? -1 : arenaOffset(bias));
  } else matmulABtReference(c, a, b, m, k, n, bias);
}

export function matmulAB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, m * k, b, k * n, null, n);
  if (onFastPath(c, a, b, null, m, k, n)) (gemm as GemmTeam).run(arenaOffset(c), n, arenaOffset(a), k, false, arenaOffset(b), n, false, m, k, n, -1);
  else matmulABReference(c, a, b, m, k, n);
}

export function matmulAtB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, k * m, b, k * n, null, n);
  if (onFastPath(c, a, b, null, m, k, n)) (gemm as GemmTeam).run(arenaOffset(c), n, arenaOffset(a), m, true, arenaOffset(b), n, false, m, k, n, -1);
  else matmulAtBReference(c, a, b, m, k, n);
}
