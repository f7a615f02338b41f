import { describe, expect, it } from 'vitest';
import { arenaOffset } from '../../src/kernels/arena.js';
import { KC, MC, MR, NC, NR } from '../../src/kernels/gemm.js';
import { bandSize, SHARE_MIN } from '../../src/kernels/gemm-team.js';
import {
  createTeam,
  kernelFor,
  matmulAB,
  matmulABReference,
  matmulABt,
  matmulABtReference,
  matmulAtB,
  matmulAtBReference,
} from '../../src/kernels/matmul.js';
import { kernelChoice } from '../../src/kernels/choice.js';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { firstBitDifference } from '../bits.js';
import { countTypedArrays } from '../count-allocations.js';

const { path: KERNEL, module: kernelModule } = kernelChoice();

type Variant = 'ABt' | 'AB' | 'AtB';
const VARIANTS: readonly Variant[] = ['ABt', 'AB', 'AtB'];

/** Sizes around every blocking boundary (MR, NR, KC, MC, NC), 1, and primes. */
const EDGE_SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [1, 1000, 1],
  [2, 3, 1],
  [MR, KC, NR],
  [MR + 1, KC + 1, NR + 1],
  [MR - 1, KC - 1, NR - 1],
  [3, 7, 11],
  [13, 97, 61],
  [MC, 2 * KC, 2 * NR],
  [MC + 1, 2 * KC + 3, 17],
  [5, 600, NC + 9],
  [64, 784, 128],
  [128, 64, 784],
  [10, 64, 128],
  [64, 10, 128],
  [1, 784, 128],
  [257, 31, 1],
  [1, 31, 257],
];

function randomShapes(count: number): [number, number, number][] {
  const rng = new Rng(7, 'data');
  return Array.from({ length: count }, () => [1 + rng.below(150), 1 + rng.below(400), 1 + rng.below(300)]);
}

function filled(rng: Rng, length: number): Float32Array {
  const x = allocFloat32(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniformIn(-1, 1);
  return x;
}

/** Operand sizes of a variant: A and B as stored. */
function sizes(variant: Variant, m: number, k: number, n: number): { a: number; b: number } {
  return { a: m * k, b: variant === 'ABt' ? n * k : k * n };
}

function fast(variant: Variant, c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  if (variant === 'ABt') matmulABt(c, a, b, m, k, n, bias);
  else if (variant === 'AB') matmulAB(c, a, b, m, k, n);
  else matmulAtB(c, a, b, m, k, n);
}

function reference(variant: Variant, c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  if (variant === 'ABt') matmulABtReference(c, a, b, m, k, n, bias);
  else if (variant === 'AB') matmulABReference(c, a, b, m, k, n);
  else matmulAtBReference(c, a, b, m, k, n);
}

interface Case {
  readonly variant: Variant;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly withBias: boolean;
}

function cases(shapes: readonly [number, number, number][]): Case[] {
  const all: Case[] = [];
  for (const [m, k, n] of shapes) {
    for (const variant of VARIANTS) {
      all.push({ variant, m, k, n, withBias: false });
      if (variant === 'ABt') all.push({ variant, m, k, n, withBias: true });
    }
  }
  return all;
}

function operands(rng: Rng, { variant, m, k, n, withBias }: Case) {
  const size = sizes(variant, m, k, n);
  return { a: filled(rng, size.a), b: filled(rng, size.b), bias: withBias ? filled(rng, n) : null };
}

const name = ({ variant, m, k, n, withBias }: Case): string => `${variant} m=${m} k=${k} n=${n}${withBias ? ' +bias' : ''}`;

describe('kernel selection', () => {
  it('runs the WebAssembly SIMD kernel by default (the build made it)', () => {
    if (process.env.ADAM_LAB_KERNEL === undefined) expect(KERNEL).toBe('wasm-simd');
    expect(kernelModule === null).toBe(KERNEL === 'js');
  });

  it('takes the fast path exactly when every operand is an engine buffer and no dimension is 0', () => {
    const inArena = allocFloat32(64 * 64);
    const plain = new Float32Array(64 * 64);
    expect(arenaOffset(inArena)).toBeGreaterThan(0);
    expect(arenaOffset(plain)).toBe(-1);
    expect(kernelFor(inArena, inArena, inArena, null, 64, 64, 64)).toBe(KERNEL);
    expect(kernelFor(inArena, plain, inArena, null, 64, 64, 64)).toBe('js');
    expect(kernelFor(inArena, inArena, inArena, plain, 64, 64, 64)).toBe('js');
    expect(kernelFor(inArena, inArena, inArena, null, 1, 1, 1)).toBe(KERNEL);
    expect(kernelFor(inArena, inArena, inArena, null, 4, 0, 4)).toBe('js');
  });
});

// Same summation order (init + a₀b₀ + a₁b₁ + … in float32, see reference.ts) → exact equality.
describe.skipIf(KERNEL !== 'wasm-simd')('the SIMD kernel gives the reference kernel’s bits', () => {
  const rng = new Rng(11, 'data');
  for (const c of cases([...EDGE_SHAPES, ...randomShapes(24)])) {
    it(name(c), () => {
      const { variant, m, k, n } = c;
      const { a, b, bias } = operands(rng, c);
      const got = allocFloat32(m * n).fill(Number.NaN); // every element must be written
      const want = allocFloat32(m * n);
      fast(variant, got, a, b, m, k, n, bias);
      reference(variant, want, a, b, m, k, n, bias);
      expect(kernelFor(got, a, b, bias, m, k, n)).toBe(KERNEL);
      expect(firstBitDifference(got, want), name(c)).toBe(-1);
    });
  }

  it('reads operands at any float offset, not only at aligned block starts', () => {
    const [m, k, n] = [37, 300, 45];
    const base = filled(rng, 1 + m * k + 3 + k * n + 5 + n);
    const a = base.subarray(1, 1 + m * k);
    const b = base.subarray(1 + m * k + 3, 1 + m * k + 3 + n * k);
    const bias = base.subarray(base.length - n);
    const out = allocFloat32(2 + m * n);
    const got = out.subarray(1, 1 + m * n);
    for (const variant of VARIANTS) {
      const want = allocFloat32(m * n);
      fast(variant, got, a, b, m, k, n, variant === 'ABt' ? bias : null);
      reference(variant, want, a, b, m, k, n, variant === 'ABt' ? bias : null);
      expect(kernelFor(got, a, b, null, m, k, n)).toBe(KERNEL);
      expect(firstBitDifference(got, want), variant).toBe(-1);
    }
    expect(out[0]).toBe(0); // nothing written outside C
    expect(out[out.length - 1]).toBe(0);
  });
});

describe('the reference kernels', () => {
  // Forward error of recursive float32 summation with rounded products (Higham, Accuracy and
  // Stability of Numerical Algorithms, §3.1): |ŝ − s| ≤ γ_{k+1}·Σ|terms|, γ_j = j·u/(1 − j·u),
  // u = 2⁻²⁴, counting the bias as one more term. Exact values come from float64.
  it.each(cases([[7, 300, 9], [1, 1, 1], [33, 65, 17]]))('$variant m=$m k=$k n=$n bias=$withBias are within the float32 error bound', (c) => {
    const rng = new Rng(5, 'data');
    const { variant, m, k, n } = c;
    const { a, b, bias } = operands(rng, c);
    const out = allocFloat32(m * n);
    reference(variant, out, a, b, m, k, n, bias);
    const u = 2 ** -24;
    const gamma = ((k + 1) * u) / (1 - (k + 1) * u);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let exact = bias === null ? 0 : bias[j];
        let magnitude = Math.abs(exact);
        for (let p = 0; p < k; p++) {
          const av = variant === 'AtB' ? a[p * m + i] : a[i * k + p];
          const bv = variant === 'ABt' ? b[j * k + p] : b[p * n + j];
          exact += av * bv;
          magnitude += Math.abs(av * bv);
        }
        expect(Math.abs(out[i * n + j] - exact)).toBeLessThanOrEqual(gamma * magnitude);
      }
    }
  });

  it('work on ordinary arrays, which the fast entry points route to them', () => {
    const a = Float32Array.of(1, 2, 3, 4, 5, 6); // [2,3]
    const b = Float32Array.of(1, 0, 0, 1, 1, 1); // the rows of Bᵀ: C[:,0] picks a[:,0], C[:,1] sums a's row
    const c = new Float32Array(4);
    expect(kernelFor(c, a, b, null, 2, 3, 2)).toBe('js');
    matmulABt(c, a, b, 2, 3, 2, Float32Array.of(10, 20));
    expect(Array.from(c)).toEqual([1 + 10, 1 + 2 + 3 + 20, 4 + 10, 4 + 5 + 6 + 20]);
  });

  it('give the bias, or zeros, when k = 0', () => {
    const c = allocFloat32(6).fill(Number.NaN);
    const empty = allocFloat32(0);
    matmulABt(c, empty, empty, 2, 0, 3, Float32Array.of(1, 2, 3));
    expect(Array.from(c)).toEqual([1, 2, 3, 1, 2, 3]);
    matmulAB(c.fill(Number.NaN), empty, empty, 2, 0, 3);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    matmulAtB(c.fill(Number.NaN), empty, empty, 2, 0, 3);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuse buffers too small for the shapes', () => {
    const x = allocFloat32(10);
    expect(() => matmulAB(x, x, x, 4, 4, 4)).toThrow(RangeError);
    expect(() => matmulABt(allocFloat32(4), allocFloat32(4), allocFloat32(4), 2, 2, 2, allocFloat32(1))).toThrow(RangeError);
  });
});

// (On the wasm-relaxed-simd path the bits are the fused twin's: kernels-fused.test.ts shares that product.)
describe.skipIf(KERNEL === 'js' || KERNEL === 'wasm-relaxed-simd')('threads', () => {
  it('cut the output into aligned bands', () => {
    expect(bandSize(128, 4, NR)).toBe(32);
    expect(bandSize(10, 4, NR)).toBe(8);
    expect(bandSize(5, 4, MR)).toBe(4);
    expect(bandSize(784, 6, NR)).toBe(136);
  });

  // A band is computed whole by one thread in the reference order, so the bits cannot depend
  // on the thread count or on which thread took which band.
  it.each([
    ['AB', 96, 300, 257],
    ['ABt', 257, 129, 80],
    ['AtB', 128, 64, 784],
    ['ABt', 64, 784, 128],
  ] as const)('give the same bits with 1, 2 and 3 threads (%s %i×%i×%i)', async (variant, m, k, n) => {
    expect(m * k * n).toBeGreaterThanOrEqual(SHARE_MIN);
    const rng = new Rng(3, 'data');
    const size = sizes(variant, m, k, n);
    const a = filled(rng, size.a);
    const b = filled(rng, size.b);
    const bias = variant === 'ABt' ? filled(rng, n) : null;
    const want = allocFloat32(m * n);
    reference(variant, want, a, b, m, k, n, bias);
    const aByColumns = variant === 'AtB';
    const bByRows = variant === 'ABt';
    for (const threads of [1, 2, 3]) {
      const team = createTeam(kernelModule as object, threads);
      const got = allocFloat32(m * n);
      const product = (): void => {
        got.fill(Number.NaN);
        team.run(arenaOffset(got), n, arenaOffset(a), aByColumns ? m : k, aByColumns, arenaOffset(b), bByRows ? k : n, bByRows, m, k, n, bias === null ? -1 : arenaOffset(bias));
      };
      product(); // starts the workers; until they run, this thread takes every band
      const since = performance.now();
      while (threads > 1 && team.workerBands === 0 && performance.now() - since < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        product();
      }
      if (threads > 1) expect(team.workerBands, 'workers took part').toBeGreaterThan(0);
      for (let repeat = 0; repeat < 5; repeat++) {
        product();
        expect(firstBitDifference(got, want), `${threads} threads`).toBe(-1);
      }
    }
  });
});

describe('determinism and allocation', () => {
  it('the same inputs give the same bits twice', () => {
    const rng = new Rng(9, 'data');
    const [m, k, n] = [70, 333, 150];
    const a = filled(rng, m * k);
    const b = filled(rng, k * n);
    const bias = filled(rng, n);
    const first = allocFloat32(m * n);
    const second = allocFloat32(m * n);
    matmulABt(first, a, b, m, k, n, bias);
    matmulABt(second, a, b, m, k, n, bias);
    expect(firstBitDifference(first, second)).toBe(-1);
  });

  it('creates no typed arrays per product, on one thread or shared', () => {
    const rng = new Rng(2, 'data');
    const [m, k, n] = [64, 784, 128];
    const a = filled(rng, m * k);
    const w = filled(rng, n * k);
    const bias = filled(rng, n);
    const y = allocFloat32(m * n);
    const dW = allocFloat32(n * k);
    const dx = allocFloat32(m * k);
    // The engine's own team has one thread on a 2-core machine (matmul.ts), so a team of two
    // makes sure a shared product is counted too.
    const team = KERNEL === 'js' ? null : createTeam(kernelModule as object, 2);
    const step = (): void => {
      matmulABt(y, a, w, m, k, n, bias);
      matmulAtB(dW, y, a, n, m, k);
      matmulAB(dx, y, w, m, n, k);
      matmulABt(y, a, w, 3, 5, 7, null); // small: one thread
      team?.run(arenaOffset(y), n, arenaOffset(a), k, false, arenaOffset(w), k, true, m, k, n, arenaOffset(bias));
    };
    step(); // the first call may start worker threads
    const created = countTypedArrays(() => {
      for (let i = 0; i < 3; i++) step();
    });
    expect(created).toBe(0);
  });
});
