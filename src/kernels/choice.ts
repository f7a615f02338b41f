/**
 * The kernel choice: which path the matrix products and the element-wise kernels take, and
 * how many threads share a large product. Made by the first call to kernelChoice(), never
 * on import, from the environment, and then fixed for the process:
 *
 *   path      'wasm-simd' by default; 'js' when ADAM_LAB_KERNEL=js (for debugging and
 *             comparing) or when WebAssembly is unavailable; 'wasm-relaxed-simd' only when
 *             ADAM_LAB_KERNEL=wasm-relaxed-simd and this Node.js validates relaxed SIMD —
 *             fused multiply-adds, faster but no longer bit-identical to the reference,
 *             hence never the default.
 *   note      why the path differs from the one asked, or null.
 *   threads   threads a large product is shared between (see threadsWanted), and `threadsWhy`
 *             where that number came from, for the start lines of a run.
 *   module    the compiled GEMM module behind the path (null on the js path), for the
 *             matmul's thread team and for tests and benchmarks that build their own teams.
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { memory } from './arena.js';
import { compileGemm, type GemmVariant } from './gemm.js';

export type KernelPath = 'wasm-simd' | 'wasm-relaxed-simd' | 'js';
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-simd', 'wasm-relaxed-simd', 'js'];

export interface KernelChoice {
  readonly path: KernelPath;
  readonly note: string | null;
  readonly threads: number;
  readonly threadsWhy: string;
  readonly module: object | null;
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

function pathWanted(): { path: KernelPath; module: object | null; note: string | null } {
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

let chosen: KernelChoice | null = null;

/** The kernel choice, made on the first call (ADAM_LAB_KERNEL, ADAM_LAB_THREADS) and the same ever after. */
export function kernelChoice(): KernelChoice {
  if (chosen === null) {
    const { path, module, note } = pathWanted();
    const { threads, why } = module === null ? { threads: 1, why: 'the js kernels run on one thread' } : threadsWanted();
    chosen = { path, note, threads, threadsWhy: why, module };
  }
  return chosen;
}
