/**
 * A CBLAS library's cblas_sgemm, called in place on the engine memory: the blas kernel path
 * (choice.ts). 128-bit WebAssembly reaches about a fifth of what the machine's own vector width
 * gives a large product (issue 23: 44 against 204 GFLOP/s at 1024³), so where a BLAS is present
 * and asked for, large products go to it.
 *
 * The call goes through koffi, an FFI package with prebuilt binaries, loaded with require() so
 * that the choice stays synchronous, and only when the blas path is asked for; it is an optional
 * dependency, so a machine where it failed to install keeps the WebAssembly kernels.
 *
 * No copies: the engine memory is one shared WebAssembly.Memory that reserves its whole maximum
 * up front, so its bytes never move, not even when it grows (arena.ts). Its base address is
 * read once, and an operand's pointer is that base plus its byte offset, passed as an integer
 * (a pointer and a uintptr_t travel alike in the C calling convention). Passing typed-array
 * views instead also gives koffi's native side the bytes in place, at the same call cost, but
 * would need a new view per operand per product.
 *
 * The library: the file ADAM_LAB_BLAS names, else Debian's OpenBLAS (libopenblas.so.0, found the
 * way the system's loader finds libraries). A library ADAM_LAB_BLAS names must load, export
 * cblas_sgemm and compute a 2×2 product right, or the run stops with a DataError naming the
 * variable (exit 2): someone who named a library wants that one, not a silent fallback. OpenBLAS
 * also says its core type (openblas_get_corename) and takes a thread count
 * (openblas_set_num_threads); other libraries (BLIS, MKL) keep their own threading settings.
 */
import { createRequire } from 'node:module';
import { DataError } from '../core/errors.js';
import { allocFloat32, arenaOffset } from './arena.js';
import type { WasmMemory } from './wasm-api.js';

/** The environment variable that names a CBLAS library. */
export const BLAS_VARIABLE = 'ADAM_LAB_BLAS';
/** What is loaded when ADAM_LAB_BLAS is not set: Debian's libopenblas0. */
export const DEFAULT_BLAS = 'libopenblas.so.0';

/** CBLAS enum values (cblas.h). */
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** The part of koffi used here, typed here so that the build does not need koffi installed. */
interface Koffi {
  load(path: string): KoffiLibrary;
  address(value: ArrayBufferView): bigint;
}
interface KoffiLibrary {
  func(prototype: string): (...args: unknown[]) => unknown;
}

/** What the start lines and the manifest say about the library in use. */
export interface BlasInfo {
  /** The file as it was named to the loader. */
  readonly library: string;
  /** openblas_get_config(): version and build, or null for a library that is not OpenBLAS. */
  readonly config: string | null;
  /** openblas_get_corename(): the kernels it picked for this CPU (e.g. Haswell, SkylakeX), or null. */
  readonly core: string | null;
  /** The threads it runs a product on (OpenBLAS), or null where the library keeps its own setting. */
  readonly threads: number | null;
}

/** sgemm over byte offsets in the engine memory, row-major, leading dimensions in floats. */
export interface Blas {
  readonly info: BlasInfo;
  /**
   * C[m,n] = op(A)·op(B) + beta·C; aTransposed: A is stored [k, lda ≥ m], else [m, lda ≥ k];
   * bTransposed: B is stored [n, ldb ≥ k], else [k, ldb ≥ n]. C must not overlap A or B.
   */
  sgemm(c: number, ldc: number, a: number, lda: number, aTransposed: boolean, b: number, ldb: number, bTransposed: boolean, m: number, k: number, n: number, beta: 0 | 1): void;
}

function loadKoffi(): Koffi | string {
  try {
    return createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    return `the optional package koffi is not installed (${(error as Error).message.split('\n')[0]})`;
  }
}

/** The symbol `prototype` declares, or null when the library lacks it. */
function optional(library: KoffiLibrary, prototype: string): ((...args: unknown[]) => unknown) | null {
  try {
    return library.func(prototype);
  } catch {
    return null;
  }
}

/**
 * The library ADAM_LAB_BLAS names (or Debian's OpenBLAS) bound to `memory`, with `threads`
 * threads where it takes a count; a string saying why not when the default library is absent;
 * a DataError when ADAM_LAB_BLAS names one that does not work.
 */
export function loadBlas(memory: WasmMemory, threads: number): Blas | string {
  const named = process.env[BLAS_VARIABLE] ?? '';
  const path = named === '' ? DEFAULT_BLAS : named;
  const refuse = (problem: string): string => {
    if (named === '') return `${DEFAULT_BLAS}: ${problem}`;
    throw new DataError(path, `${problem} (named by ${BLAS_VARIABLE})`, `point ${BLAS_VARIABLE} at a CBLAS library (libopenblas.so.0, libblis.so.4, libmkl_rt.so), or unset it`);
  };
  const koffi = loadKoffi();
  if (typeof koffi === 'string') return refuse(koffi);
  let library: KoffiLibrary;
  try {
    library = koffi.load(path);
  } catch (error) {
    return refuse(`cannot be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  const call = optional(library, 'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, uintptr_t a, int lda, uintptr_t b, int ldb, float beta, uintptr_t c, int ldc)');
  if (call === null) return refuse('has no cblas_sgemm: not a CBLAS library');
  const setThreads = optional(library, 'void openblas_set_num_threads(int threads)');
  const getThreads = optional(library, 'int openblas_get_num_threads()');
  const coreName = optional(library, 'const char *openblas_get_corename()');
  const config = optional(library, 'const char *openblas_get_config()');
  setThreads?.(threads);
  const base = Number(koffi.address(new Uint8Array(memory.buffer, 0, 1)));
  const blas: Blas = {
    info: {
      library: path,
      config: config === null ? null : String(config()),
      core: coreName === null ? null : String(coreName()),
      threads: getThreads === null ? null : Number(getThreads()),
    },
    sgemm(c, ldc, a, lda, aTransposed, b, ldb, bTransposed, m, k, n, beta) {
      call(ROW_MAJOR, aTransposed ? TRANS : NO_TRANS, bTransposed ? TRANS : NO_TRANS, m, n, k, 1, base + a, lda, base + b, ldb, beta, base + c, ldc);
    },
  };
  return works(blas) ? blas : refuse('computed a wrong 2×2 product: not a single-precision CBLAS sgemm');
}

/**
 * [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50], so that a library that loads but computes something
 * else (another precision, another integer width) is caught before a run trains on it.
 */
function works(blas: Blas): boolean {
  const operands = allocFloat32(12);
  operands.set([1, 2, 3, 4, 5, 6, 7, 8]);
  const at = arenaOffset(operands);
  blas.sgemm(at + 32, 2, at, 2, false, at + 16, 2, false, 2, 2, 2, 0);
  return [19, 22, 43, 50].every((v, i) => operands[8 + i] === v);
}
