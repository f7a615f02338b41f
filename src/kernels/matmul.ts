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
 * ADAM_LAB_THREADS, else 1 on a worker thread (a sweep already runs one trial per core on
 * worker threads, and kernel threads on top would only compete with them) and on a machine
 * of 2 cores or fewer, else every available core up to 8.
 *
 * Why 1 on 2 cores, measured on this project's 2-vCPU machine while other work kept its
 * cores busy, as on a CI runner or a developer's machine (`npm run bench`, full epochs, best
 * of 3): W1 64 700 → 51 400 samples/s, W2 27 500 → 23 400, W3 7 400 → 5 600 going from 1 to
 * 2 threads (in a busier spell, best of 2: W1 62 400 → 37 100, W2 25 300 → 17 200); only
 * the bare 512³ product gained (39 → 82 GFLOP/s). The worker polls for its next product and
 * needs a core of its own, which a 2-core machine seldom has to spare. The results are the
 * same bits either way (gemm-team.ts), so this is about speed and about not loading CI's
 * cores: with 1 thread no worker is started at all. Above 2 cores the earlier rule stands
 * (not measured here: no such machine).
 */
function threadsWanted(): { threads: number; why: string } {
  const asked = Number(process.env.ADAM_LAB_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return { threads: Math.min(asked, 16), why: 'ADAM_LAB_THREADS' };
  if (!isMainThread) return { threads: 1, why: 'default on a worker thread' };
  const cores = availableParallelism();
  return cores <= 2 ? { threads: 1, why: `default on ${cores} core${cores > 1 ? 's' : ''}` } : { threads: Math.min(cores, 8), why: `default: ${cores} cores` };
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
const wanted = selected.module === null ? { threads: 1, why: 'the js kernels run on one thread' } : threadsWanted();
/** Threads a large product is shared between (see threadsWanted). */
export const KERNEL_THREADS: number = wanted.threads;
/** Where KERNEL_THREADS came from, for the start lines of a run ("ADAM_LAB_THREADS", "default on 2 cores", …). */
export const KERNEL_THREADS_WHY: string = wanted.why;
const gemm: GemmTeam | null = selected.module === null ? null : createTeam(selected.module, KERNEL_THREADS);

/** The compiled module behind KERNEL (null on the js path), for tests and benchmarks that build their own teams. */
export const kernelModule: object | null = selected.module;

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
  if (gemm === null || m < 1 || k < 1 || n < 1) return null;
  offsets.c = arenaOffset(c);
  offsets.a = arenaOffset(a);
  offsets.b = arenaOffset(b);
  offsets.bias = bias === null ? -1 : arenaOffset(bias);
  return offsets.c >= 0 && offsets.a >= 0 && offsets.b >= 0 && (bias === null || offsets.bias >= 0) ? offsets : null;
}

/** Which kernel a product of these operands and sizes runs on (tests and diagnostics). */
export function kernelFor(c: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): KernelPath {
  return fastOffsets(c, a, b, bias, m, k, n) === null ? 'js' : KERNEL;
}

export function matmulABt(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  checkSizes(c, m * n, a, m * k, b, n * k, bias, n);
  const at = fastOffsets(c, a, b, bias, m, k, n);
  if (at === null) matmulABtReference(c, a, b, m, k, n, bias);
  else (gemm as GemmTeam).run(at.c, n, at.a, k, false, at.b, k, true, m, k, n, at.bias);
}

export function matmulAB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, m * k, b, k * n, null, n);
  const at = fastOffsets(c, a, b, null, m, k, n);
  if (at === null) matmulABReference(c, a, b, m, k, n);
  else (gemm as GemmTeam).run(at.c, n, at.a, k, false, at.b, n, false, m, k, n, -1);
}

export function matmulAtB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  checkSizes(c, m * n, a, k * m, b, k * n, null, n);
  const at = fastOffsets(c, a, b, null, m, k, n);
  if (at === null) matmulAtBReference(c, a, b, m, k, n);
  else (gemm as GemmTeam).run(at.c, n, at.a, m, true, at.b, n, false, m, k, n, -1);
}
