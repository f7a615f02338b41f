/**
 * Where the blas path's library starts to beat the WebAssembly kernel: times one product of
 * each shape on both, one thread each, operands in the engine memory, and prints a table
 * (multiply-adds, µs per product on each, the ratio). The smallest products show the fixed
 * cost of a call through koffi into the library. Sets choice.ts's BLAS_MIN_PRODUCT
 * (bench/NOTES.md, "BLAS crossover").
 *
 *   ADAM_LAB_KERNEL=blas ADAM_LAB_THREADS=1 node dist/bench/blas-crossover.js
 */
import { allocFloat32, arenaOffset } from '../src/kernels/arena.js';
import { blasLibrary, kernelChoice } from '../src/kernels/choice.js';
import { createTeam } from '../src/kernels/matmul.js';
import { loadavg } from 'node:os';

/** [m, k, n]: cubes, then the products of the benchmark's MLPs (batch × in × out, forward and both backward forms). */
const SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [4, 4, 4],
  [8, 8, 8],
  [16, 16, 16],
  [20, 20, 20],
  [24, 24, 24],
  [32, 32, 32],
  [48, 48, 48],
  [64, 64, 64],
  [96, 96, 96],
  [128, 128, 128],
  [256, 256, 256],
  [100, 2, 4],
  [64, 2, 64],
  [2, 64, 64],
  [64, 64, 2],
  [64, 128, 10],
  [10, 64, 128],
  [64, 784, 128],
  [128, 64, 784],
  [128, 256, 256],
  [256, 128, 256],
  [128, 256, 10],
];

const blas = blasLibrary();
const { module } = kernelChoice();
if (blas === null || module === null) {
  process.stderr.write(`needs ADAM_LAB_KERNEL=blas and a library: ${kernelChoice().note ?? kernelChoice().path}\n`);
  process.exit(2);
}
const team = createTeam(module, 1);

/** Best µs per call of `product` over 5 rounds of enough calls to last about 20 ms. */
function time(product: () => void): number {
  for (let i = 0; i < 20; i++) product();
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < 5) {
    product();
    calls++;
  }
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls * 4; i++) product();
    best = Math.min(best, ((performance.now() - t0) * 1000) / (calls * 4));
  }
  return best;
}

process.stdout.write(`# ${JSON.stringify(blas.info)}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
process.stdout.write('| m×k×n | multiply-adds | wasm-simd µs | blas µs | wasm/blas |\n|---|---|---|---|---|\n');
for (const [m, k, n] of SHAPES) {
  const a = allocFloat32(m * k).fill(0.5);
  const b = allocFloat32(k * n).fill(0.25);
  const c = allocFloat32(m * n);
  const [ca, aa, ba] = [arenaOffset(c), arenaOffset(a), arenaOffset(b)];
  const wasm = time(() => team.run(ca, n, aa, k, false, ba, n, false, m, k, n, -1));
  const library = time(() => blas.sgemm(ca, n, aa, k, false, ba, n, false, m, k, n, 0));
  process.stdout.write(`| ${m}×${k}×${n} | ${m * k * n} | ${wasm.toFixed(2)} | ${library.toFixed(2)} | ${(wasm / library).toFixed(2)} |\n`);
}
