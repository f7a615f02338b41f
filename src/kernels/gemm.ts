/**
 * The WebAssembly SIMD matrix product, driven from here: C[m,n] = op(A)·op(B) (+ bias)
 * where every operand is a byte offset in the engine memory (arena.ts) and each of A and B
 * is stored either way round, which covers A·B, Aᵀ·B and A·Bᵀ without transposed copies.
 *
 * Cache blocking as in GotoBLAS/BLIS: for each block of NC columns and KC depth, B's block
 * is packed into 8-column panels (KC×NC floats = 1 MiB, within the 2 MiB L2, streamed one
 * 8 KiB panel at a time through L1); for each block of MC rows, A's block is packed into
 * 4-row panels (MC×KC floats = 128 KiB) and `macro` runs the 4×8 micro-kernel over every
 * tile (gemm.wat says why the tile is 4×8). KC = 256 keeps one B panel and one A panel
 * (8 + 4 KiB) together well inside the 48 KiB L1. The kernel is bound by arithmetic, not
 * memory, so these sizes matter little (bench/NOTES.md). The blocks are few (a handful of calls
 * into WebAssembly per product), so this loop stays in readable TypeScript.
 *
 * Depth blocks run in increasing p and C carries the partial sums between them, so each
 * element is summed in exactly the reference kernels' order (see gemm.wat).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { wasm, type WasmMemory } from './wasm-api.js';

export const MR = 4;
export const NR = 8;
export const KC = 256;
export const MC = 128;
export const NC = 1024;

export type GemmVariant = 'wasm-simd' | 'wasm-relaxed-simd';

/** Where one thread's packed blocks and edge tile live: byte offsets in the memory. */
export interface GemmScratch {
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
}

/** Bytes of each scratch area (the tile is followed by a padded bias of NR floats). */
export const SCRATCH_BYTES = { packA: MC * KC * 4, packB: KC * NC * 4, tile: (MR * NR + NR) * 4 } as const;

interface GemmExports {
  macro(mc: number, nc: number, kc: number, pa: number, pb: number, c: number, ldc: number, init: number, bias: number, tile: number): void;
  packContiguous(src: number, ld: number, kc: number, len: number, width: number, dst: number): void;
  packTransposed(src: number, ld: number, kc: number, len: number, width: number, dst: number): void;
}

/** How micro-kernel accumulators start: see gemm.wat's $micro. */
const INIT_ZERO = 0;
const INIT_FROM_C = 1;
const INIT_BIAS = 2;

/**
 * A file of the build output (the .wasm modules, the compiled worker): beside this file
 * when it runs compiled from dist/, else — under vitest, which runs src/ — in
 * dist/src/kernels of the same checkout.
 */
export function builtFile(relative: string): string | null {
  const candidates = [new URL(`./${relative}`, import.meta.url), new URL(`../../dist/src/kernels/${relative}`, import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * The V8 flag behind which Node 20 validates relaxed SIMD (Node 22 ships it). Set at run time,
 * before compiling, it works on the main thread and on the team's workers, which receive the
 * compiled module and share the process's flags (bench/NOTES.md, "Relaxed SIMD"). It is set
 * only when the relaxed variant is asked for, so a default run never changes V8's flags.
 */
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** The compiled module for `variant`, or the reason it cannot run on this Node.js. */
export function compileGemm(variant: GemmVariant): object | string {
  const path = builtFile(`wasm/${variant.replace('wasm-', 'gemm-')}.wasm`);
  if (path === null) return `${variant} module not built (npm run build)`;
  const bytes = readFileSync(path);
  if (!wasm.validate(bytes) && variant === 'wasm-relaxed-simd') setFlagsFromString(RELAXED_SIMD_FLAG);
  if (!wasm.validate(bytes)) {
    return variant === 'wasm-relaxed-simd' ? `this Node.js has no relaxed SIMD, not even with ${RELAXED_SIMD_FLAG}` : 'this Node.js cannot run WebAssembly SIMD';
  }
  return new wasm.Module(bytes);
}

/** One thread's instance of the kernels over the shared memory, with its own scratch. */
export class Gemm {
  private readonly kernels: GemmExports;

  constructor(
    module: object,
    memory: WasmMemory,
    private readonly scratch: GemmScratch,
  ) {
    this.kernels = new wasm.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
  }

  /**
   * C[m,n] = op(A)·op(B) + bias; operands are byte offsets, leading dimensions in floats
   * (a row of C is ldc floats apart, and so on), `bias` < 0 for none.
   * aByColumns: A is stored k-major ([k, ≥m], Aᵀ·B), else m-major ([m, ≥k]);
   * bByRows: B is stored n-major ([n, ≥k], A·Bᵀ), else k-major ([k, ≥n]).
   * Requires m, n, k ≥ 1.
   */
  run(c: number, ldc: number, a: number, lda: number, aByColumns: boolean, b: number, ldb: number, bByRows: boolean, m: number, k: number, n: number, bias: number): void {
    const { kernels } = this;
    const { packA, packB, tile } = this.scratch;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        if (bByRows) kernels.packTransposed(b + (jc * ldb + pc) * 4, ldb * 4, kc, nc, NR, packB);
        else kernels.packContiguous(b + (pc * ldb + jc) * 4, ldb * 4, kc, nc, NR, packB);
        const init = pc > 0 ? INIT_FROM_C : bias >= 0 ? INIT_BIAS : INIT_ZERO;
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          if (aByColumns) kernels.packContiguous(a + (pc * lda + ic) * 4, lda * 4, kc, mc, MR, packA);
          else kernels.packTransposed(a + (ic * lda + pc) * 4, lda * 4, kc, mc, MR, packA);
          kernels.macro(mc, nc, kc, packA, packB, c + (ic * ldc + jc) * 4, ldc * 4, init, bias + jc * 4, tile);
        }
      }
    }
  }
}
