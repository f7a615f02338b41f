/**
 * The products of the benchmark's workloads one by one, on this process's kernel path: to
 * compare paths (ADAM_LAB_KERNEL) where whole training epochs vary too much on a shared
 * machine. Not a test, and not part of `npm run bench`:
 *
 *   npm run build && [ADAM_LAB_KERNEL=wasm-relaxed-simd] node dist/bench/product-kernels.js [TEXT]
 *
 * (TEXT: only the products whose name contains it, e.g. W3.)
 * Each product runs in rounds of ROUND_MS and reports its best round's µs per call: a round
 * that no other process interrupted. One thread. Prints one table.
 */
import { loadavg } from 'node:os';
import { allocFloat32 } from '../src/kernels/arena.js';
import { kernelChoice } from '../src/kernels/choice.js';
import { batchedProductWasm, type Strided } from '../src/kernels/layer-kernels.js';
import { matmulAB, matmulABt, matmulAtB } from '../src/kernels/matmul.js';
import { Rng } from '../src/core/rng.js';

const ROUND_MS = 20;
const ROUNDS = 100;
const rng = new Rng(0, 'data');

function filled(n: number): Float32Array {
  const x = allocFloat32(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniformIn(-1, 1);
  return x;
}

function bestMicroseconds(call: () => void): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      call();
      calls++;
      now = performance.now();
    }
    best = Math.min(best, ((now - start) * 1000) / calls);
  }
  return best;
}

/** A matrix product C[m,n] in one of the three forms, on fresh operands. */
function product(form: 'ABt' | 'AB' | 'AtB', m: number, k: number, n: number): () => void {
  const a = filled(m * k);
  const b = filled(k * n);
  const c = allocFloat32(m * n);
  const bias = form === 'ABt' ? filled(n) : null;
  if (form === 'ABt') return () => matmulABt(c, a, b, m, k, n, bias);
  return form === 'AB' ? () => matmulAB(c, a, b, m, k, n) : () => matmulAtB(c, a, b, m, k, n);
}

/** conv2d's batched product over plain [batch, rows, positions] operands. */
function batched(outs: number, k: number, positions: number, batch: number): () => void {
  const x: Strided = { array: filled(batch * k * positions), at: 0, row: positions, sample: k * positions, line: 0 };
  const y: Strided = { array: allocFloat32(batch * outs * positions), at: 0, row: positions, sample: outs * positions, line: 0 };
  const terms = { rows: 1, perRow: k, step: positions };
  const packed = filled(Math.ceil(outs / 4) * 4 * k);
  const bias = filled(outs);
  return () => {
    if (!batchedProductWasm(y, x, terms, packed, bias, outs, positions, 1, batch)) throw new Error('the batched product kernel did not run');
  };
}

const CASES: [string, () => void][] = [
  ['W1 forward x·W1ᵀ 64×784×128', product('ABt', 64, 784, 128)],
  ['W1 dW1 = dyᵀ·x 128×64×784', product('AtB', 128, 64, 784)],
  ['W2 forward x·W1ᵀ 128×784×256', product('ABt', 128, 784, 256)],
  ['W2 forward h·W2ᵀ 128×256×256', product('ABt', 128, 256, 256)],
  ['W2 dW1 256×128×784', product('AtB', 256, 128, 784)],
  ['W2 dx = dy·W2 128×256×256', product('AB', 128, 256, 256)],
  ['W3 conv1 forward (8 outs, k 9, 784 positions, batch 64)', batched(8, 9, 784, 64)],
  ['W3 conv2 forward (16 outs, k 72, 196 positions, batch 64)', batched(16, 72, 196, 64)],
  ['W3 conv2 dcol, one sample (72 outs, k 16, 196 positions)', batched(72, 16, 196, 1)],
  ['GEMM 512³', product('AB', 512, 512, 512)],
];

const lines = [`kernel ${kernelChoice().path}, ${kernelChoice().threads} thread(s), load before ${loadavg()[0].toFixed(2)}`, 'product | best µs per call'];
const only = process.argv[2] ?? '';
for (const [name, call] of CASES.filter(([name]) => name.includes(only))) lines.push(`${name} | ${bestMicroseconds(call).toFixed(1)}`);
lines.push(`load after ${loadavg()[0].toFixed(2)}`);
process.stdout.write(`${lines.join('\n')}\n`);
