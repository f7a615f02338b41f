/**
 * The kernel choice: which path the matrix products and the element-wise kernels take, and
 * how many threads share a large product. Made by the first call to kernelChoice(), never
 * on import, from the environment, and then fixed for the process:
 *
 *   path      'wasm-simd' by default; 'js' when ADAM_LAB_KERNEL=js (for debugging and
 *             comparing) or when WebAssembly is unavailable; 'wasm-relaxed-simd' only when
 *             ADAM_LAB_KERNEL=wasm-relaxed-simd and this Node.js validates relaxed SIMD (on
 *             Node 20 once gemm.ts has turned on V8's flag for it) — fused multiply-adds,
 *             faster but no longer bit-identical to the reference (their own twins are in
 *             reference-fused.ts), hence never the default;
 *             'blas' when ADAM_LAB_KERNEL=blas and a CBLAS library
 *             loads (blas.ts): products of at least BLAS_MIN_PRODUCT multiply-adds go to its
 *             sgemm, smaller ones and every element-wise kernel stay on wasm-simd. Its bits
 *             are the same run after run, but depend on the library, its version, the core
 *             type it picked and its thread count (OpenBLAS gives other bits on 2 threads than
 *             on 1: bench/NOTES.md), which is why it is never the default either: the default
 *             run gives the same bits on any machine and for any thread count.
 *             ADAM_LAB_BLAS=<library file> selects the blas path too, with that library.
 *   blas      the library in use on the blas path (file, build, core type, threads), else null.
 *   note      why the path differs from the one asked, or null.
 *   threads   threads a large product is shared between (see threadsWanted), and `threadsWhy`
 *             where that number came from, for the start lines of a run. On the blas path they
 *             are the library's threads (OpenBLAS takes the count), and the WebAssembly kernels
 *             that take the small products run on this thread alone: a product too small for
 *             the library is too small to share.
 *   module    the compiled GEMM module behind the path (null on the js path), for the
 *             matmul's thread team and for tests and benchmarks that build their own teams.
 *   shards    ADAM_LAB_SHARDS: how many shards a training step cuts its batch into
 *             (engine/batch-shards.ts). Unlike the threads it decides bits — each shard's
 *             gradient is reduced over its own rows, then the shards' gradients are added — so a
 *             run records it beside the kernel and resumes only with the same count.
 *   shardThreads  how many of the threads run a step's shards at once: min(shards, threads),
 *             1 on the blas path, whose library threads are the process's (one library for every
 *             thread). The threads left over share each thread's large products (teamThreads).
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { memory } from './arena.js';
import { BLAS_VARIABLE, loadBlas, type Blas, type BlasInfo } from './blas.js';
import { UsageError } from '../core/errors.js';
import { compileGemm, type GemmVariant } from './gemm.js';

export type KernelPath = 'wasm-simd' | 'wasm-relaxed-simd' | 'blas' | 'js';
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-simd', 'wasm-relaxed-simd', 'blas', 'js'];

/**
 * On the blas path, the smallest product (m·k·n multiply-adds) that goes to the library: below
 * it the call's fixed cost makes the WebAssembly kernel faster (measured: bench/NOTES.md,
 * "BLAS crossover").
 */
export const BLAS_MIN_PRODUCT = 1 << 13;

export interface KernelChoice {
  readonly path: KernelPath;
  readonly blas: BlasInfo | null;
  readonly note: string | null;
  readonly threads: number;
  readonly threadsWhy: string;
  readonly module: object | null;
  readonly shards: number;
  readonly shardThreads: number;
}

export const SHARDS_VARIABLE = 'ADAM_LAB_SHARDS';
/** The most shards a batch is cut into: past the threads a machine has, more shards only cost. */
export const MAX_SHARDS = 16;

/**
 * ADAM_LAB_SHARDS, 1 when unset or empty; a UsageError naming the variable for anything but a
 * whole number 1..MAX_SHARDS. Why 1 by default: the shard count decides bits, 2 shards on one
 * thread were not shown to cost nothing (0–23 % slower in noisy rounds: bench/NOTES.md, "Batch
 * shards"), and on two threads they help the CNN (+46–54 %) but not the MLPs, whose large products
 * the GEMM team already shares.
 */
function shardsWanted(): number {
  const asked = process.env[SHARDS_VARIABLE] ?? '';
  if (asked === '') return 1;
  const shards = /^[0-9]+$/.test(asked) ? Number(asked) : NaN;
  if (!(shards >= 1 && shards <= MAX_SHARDS)) throw new UsageError(`${SHARDS_VARIABLE}=${asked}: the shards a batch is cut into must be a whole number from 1 to ${MAX_SHARDS}`);
  return shards;
}

/** Threads that share one thread's large matrix products: the threads left once each running shard has its own (1 on the blas path, whose library has its own threads). */
export function teamThreads(choice: KernelChoice): number {
  return choice.path === 'blas' ? 1 : Math.max(1, Math.floor(choice.threads / choice.shardThreads));
}

/**
 * ADAM_LAB_THREADS, else 1 on a worker thread (a sweep already runs one trial per core on
 * worker threads, and kernel threads on top would only compete with them) and on a machine
 * of 2 cores or fewer, else every available core up to 8.
 *
 * Why 1 on 2 cores: the worker polls for its next product and needs a core of its own,
 * which a 2-core machine busy with other work (a CI runner, a developer's machine) seldom
 * has to spare, so training got slower with a second thread; only a bare large product
 * gained (bench/NOTES.md). The results are the same bits either way (gemm-team.ts), so this
 * is about speed and about not loading CI's cores: with 1 thread no worker is started at all.
 */
function threadsWanted(): { threads: number; why: string } {
  const asked = Number(process.env.ADAM_LAB_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return { threads: Math.min(asked, 16), why: 'ADAM_LAB_THREADS' };
  if (!isMainThread) return { threads: 1, why: 'default on a worker thread' };
  const cores = availableParallelism();
  return cores <= 2 ? { threads: 1, why: `default on ${cores} core${cores > 1 ? 's' : ''}` } : { threads: Math.min(cores, 8), why: `default: ${cores} cores` };
}

/** ADAM_LAB_KERNEL, where ADAM_LAB_BLAS alone asks for the blas path. */
function pathAsked(): string {
  const asked = process.env.ADAM_LAB_KERNEL ?? '';
  return asked === '' && (process.env[BLAS_VARIABLE] ?? '') !== '' ? 'blas' : asked;
}

function pathWanted(asked: string): { path: Exclude<KernelPath, 'blas'>; module: object | null; note: string | null } {
  if (asked === 'js') return { path: 'js', module: null, note: null };
  if (memory === null) return { path: 'js', module: null, note: 'no shared WebAssembly memory could be reserved' };
  let note: string | null = null;
  if (asked !== '' && !(KERNEL_PATHS as readonly string[]).includes(asked)) {
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

let chosen: KernelChoice | null = null;
let library: Blas | null = null;

/**
 * The kernel choice, made on the first call (ADAM_LAB_KERNEL, ADAM_LAB_BLAS, ADAM_LAB_THREADS)
 * and the same ever after. Throws a DataError when ADAM_LAB_BLAS names a library that does not
 * work (blas.ts); when the default library or koffi is missing, the blas path falls back to
 * wasm-simd and `note` says why.
 */
export function kernelChoice(): KernelChoice {
  if (chosen === null) {
    const shards = shardsWanted();
    const asked = pathAsked();
    const { path, module, note } = pathWanted(asked);
    const { threads, why } = module === null ? { threads: 1, why: 'the js kernels run on one thread' } : threadsWanted();
    const loaded = asked === 'blas' && module !== null && memory !== null ? loadBlas(memory, threads) : null;
    if (loaded === null || typeof loaded === 'string') {
      chosen = { path, blas: null, note: typeof loaded === 'string' ? `blas unavailable, ${path} instead: ${loaded}` : note, threads, threadsWhy: why, module, shards, shardThreads: Math.min(shards, threads) };
    } else {
      library = loaded;
      chosen = { path: 'blas', blas: loaded.info, note, threads: loaded.info.threads ?? threads, threadsWhy: loaded.info.threads === null ? 'the library’s own setting' : why, module, shards, shardThreads: 1 };
    }
  }
  return chosen;
}

/** The loaded library on the blas path (after kernelChoice()), else null. */
export function blasLibrary(): Blas | null {
  kernelChoice();
  return library;
}

/** The library for a product of m·k·n multiply-adds on the blas path, or null when it stays in WebAssembly. */
export function blasFor(m: number, k: number, n: number): Blas | null {
  return m * k * n >= BLAS_MIN_PRODUCT ? blasLibrary() : null;
}
