/**
 * The fused multiply-add twins (kernels/fma.ts, kernels/reference-fused.ts) and the relaxed-SIMD
 * kernels they are the twins of (gemm-relaxed-simd.wasm, and conv2d's batched product in
 * layer-kernels-relaxed-simd.wasm), taken with ADAM_LAB_KERNEL=wasm-relaxed-simd.
 *
 * fmaf32 is checked against exact rational arithmetic: every float32 is an integer multiple of
 * 2⁻¹⁴⁹, so a·b + c is an integer multiple of 2⁻²⁹⁸, computed exactly with BigInt and rounded
 * to float32 by hand.
 *
 * f32x4.relaxed_madd may legally be fused or not (the WebAssembly relaxed-SIMD proposal leaves
 * it to the hardware), so a relaxed kernel must give its fused twin's bits or, on a CPU
 * without FMA, the default kernel's — nothing else. Which one this machine gives is found
 * on a product whose two answers differ, and named in the tests' titles.
 */
import { describe, expect, it } from 'vitest';
import { arenaOffset, allocFloat32 } from '../../src/kernels/arena.js';
import { compileGemm, KC, MR, NR } from '../../src/kernels/gemm.js';
import { fmaf32 } from '../../src/kernels/fma.js';
import { createTeam, matmulABReference, matmulABtReference, matmulAtBReference } from '../../src/kernels/matmul.js';
import { matmulFusedReference } from '../../src/kernels/reference-fused.js';
import { Rng } from '../../src/core/rng.js';
import { firstBitDifference } from '../bits.js';
import { DIST, runBuilt } from './run-built.js';

/** a·b + c for float32 a, b, c, rounded once to float32 (nearest, ties to even), exactly. */
function exactFma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return Math.fround(a * b + c);
  const scaled = (x: number): bigint => BigInt(x * 2 ** 149); // exact: x is a multiple of 2⁻¹⁴⁹
  const sum = scaled(a) * scaled(b) + (scaled(c) << 149n); // (a·b + c)·2²⁹⁸
  if (sum === 0n) return Math.fround(a * b + c); // exact zero: the sign rule of IEEE addition, which double follows
  const magnitude = sum < 0n ? -sum : sum;
  const top = magnitude.toString(2).length - 1 - 298; // exponent of the leading bit
  const unit = Math.max(top - 23, -149); // exponent of the float32 result's last bit
  const shift = BigInt(unit + 298);
  let kept = magnitude >> shift;
  const rest = magnitude - (kept << shift);
  const half = 1n << (shift - 1n);
  if (rest > half || (rest === half && (kept & 1n) === 1n)) kept += 1n;
  const rounded = Math.fround(Number(kept) * 2 ** unit); // Infinity past the largest float32
  return sum < 0n ? -rounded : rounded;
}

/** The unfused way: the product rounded to float32, then the sum. */
const unfused = (a: number, b: number, c: number): number => Math.fround(Math.fround(a * b) + c);
/** The naive way: the sum rounded to double, then to float32 (double rounding). */
const naive = (a: number, b: number, c: number): number => Math.fround(a * b + c);

const ULP = 2 ** -23;
/** a·b = 2⁻²⁴ − 2⁻⁷⁰: a hair below half an ulp of a float32 in [1, 2). */
const A = 1 + ULP;
const B = 2 ** -24 * (1 - ULP);

describe('fmaf32', () => {
  it.each([
    // c + a·b lies a hair below the tie c + 2⁻²⁴; in double it lands on the tie, which goes to the even 1 + 2⁻²².
    { a: A, b: B, c: 1 + ULP, want: 1 + ULP },
    { a: -A, b: B, c: -(1 + ULP), want: -(1 + ULP) },
    // c − a·b lies a hair above the tie c − 2⁻²⁴; in double it lands on the tie, which goes to the even c − 2⁻²³.
    { a: -A, b: B, c: 1 + 3 * ULP, want: 1 + 3 * ULP },
    { a: A, b: -B, c: 1 + 3 * ULP, want: 1 + 3 * ULP },
  ])('rounds once where rounding to double first would round twice: $a·$b + $c', ({ a, b, c, want }) => {
    expect(exactFma(a, b, c)).toBe(want);
    expect(naive(a, b, c)).not.toBe(want); // the case is hard: double rounding gets it wrong
    expect(fmaf32(a, b, c)).toBe(want);
  });

  it.each([
    { what: 'a product far below the smallest float32 added to a normal number', a: 2 ** -100, b: 2 ** -100, c: 2 ** -126 },
    { what: 'exact cancellation (+0)', a: 3, b: 0.5, c: -1.5 },
    { what: 'exact cancellation of negative zeros (−0)', a: -0, b: 1, c: -0 },
    { what: 'a subnormal result', a: 2 ** -100, b: 2 ** -40, c: -(2 ** -139) },
    { what: 'the smallest subnormal, rounded from half of it', a: 2 ** -75, b: 2 ** -75 * (1 + ULP), c: 0 },
    { what: 'overflow to infinity', a: 2 ** 127, b: 2, c: -1 },
    { what: 'the largest float32, just short of overflow', a: 2 ** 127 * (2 - 2 * ULP), b: 1, c: 2 ** 103 * (1 - ULP) },
    { what: 'an infinite addend', a: 1, b: 2, c: -Infinity },
    { what: 'infinity times zero', a: Infinity, b: 0, c: 1 },
  ])('$what', ({ a, b, c }) => {
    expect(Object.is(fmaf32(a, b, c), exactFma(a, b, c))).toBe(true);
  });

  it('fuses: it differs from rounding the product first where that rounding matters', () => {
    expect(fmaf32(A, B, 1 + ULP)).toBe(1 + ULP);
    expect(unfused(A, B, 1 + ULP)).toBe(1 + 2 * ULP);
  });

  it('agrees with exact arithmetic on random operands of overlapping magnitudes', () => {
    const rng = new Rng(23, 'data');
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    /** A random float32 with exponent in [e − 8, e + 8]. */
    const near = (e: number): number => {
      bits[0] = (rng.below(2) << 31) | ((127 + e - 8 + rng.below(17)) << 23) | rng.below(1 << 23);
      return f32[0];
    };
    let differedFromUnfused = 0;
    for (let i = 0; i < 20000; i++) {
      const [a, b] = [near(0), near(-24)];
      const c = near(-24 + rng.below(40)); // from below a·b's magnitude to far above it
      const want = exactFma(a, b, c);
      expect(Object.is(fmaf32(a, b, c), want), `${a}·${b} + ${c}`).toBe(true);
      if (!Object.is(unfused(a, b, c), want)) differedFromUnfused++;
    }
    expect(differedFromUnfused).toBeGreaterThan(0);
  });
});

type Form = 'ABt' | 'AB' | 'AtB';
const FORMS: readonly Form[] = ['ABt', 'AB', 'AtB'];
const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 11],
  [MR + 1, KC + 1, NR + 1],
  [13, 97, 61],
  [64, 784, 128],
  [10, 64, 128],
  [130, 300, 20],
];

function filled(rng: Rng, length: number): Float32Array {
  const x = allocFloat32(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniformIn(-1, 1);
  return x;
}

/** The unfused reference of `form` (reference.ts). */
function unfusedReference(form: Form, c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  if (form === 'ABt') matmulABtReference(c, a, b, m, k, n, bias);
  else if (form === 'AB') matmulABReference(c, a, b, m, k, n);
  else matmulAtBReference(c, a, b, m, k, n);
}

describe('matmulFusedReference', () => {
  it.each(FORMS)('%s sums init + a₀b₀ + a₁b₁ + … with one rounding per step', (form) => {
    const rng = new Rng(4, 'data');
    const [m, k, n] = [5, 9, 7];
    const a = filled(rng, m * k);
    const b = filled(rng, k * n);
    const bias = form === 'ABt' ? filled(rng, n) : null;
    const got = new Float32Array(m * n);
    matmulFusedReference(got, a, form === 'AtB', b, form === 'ABt', m, k, n, bias);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = bias === null ? 0 : bias[j];
        for (let p = 0; p < k; p++) sum = exactFma(form === 'AtB' ? a[p * m + i] : a[i * k + p], form === 'ABt' ? b[j * k + p] : b[p * n + j], sum);
        expect(got[i * n + j]).toBe(sum);
      }
    }
  });
});

const relaxed = compileGemm('wasm-relaxed-simd');
const team = typeof relaxed === 'string' ? null : createTeam(relaxed, 1);

/** C = op(A)·op(B) (+ bias) on the relaxed kernel. */
function relaxedProduct(form: Form, c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  const aByColumns = form === 'AtB';
  const bByRows = form === 'ABt';
  (team as NonNullable<typeof team>).run(arenaOffset(c), n, arenaOffset(a), aByColumns ? m : k, aByColumns, arenaOffset(b), bByRows ? k : n, bByRows, m, k, n, bias === null ? -1 : arenaOffset(bias));
}

/** Whether this machine's relaxed_madd is fused: the one-step product bias + a·b of the hard case, whose two roundings differ. */
function observedMode(): 'fused' | 'unfused' | 'neither' {
  const [a, b, bias, c] = [A, B, 1 + ULP, Number.NaN].map((x) => allocFloat32(1).fill(x));
  relaxedProduct('ABt', c, a, b, 1, 1, 1, bias);
  return c[0] === fmaf32(A, B, 1 + ULP) ? 'fused' : c[0] === unfused(A, B, 1 + ULP) ? 'unfused' : 'neither';
}

const mode = team === null ? 'neither' : observedMode();

describe.skipIf(team === null)(`the relaxed-SIMD product (relaxed_madd observed ${mode} here) gives the bits of the ${mode} twin`, () => {
  it('fused or unfused, nothing else', () => {
    expect(['fused', 'unfused']).toContain(mode);
  });

  const rng = new Rng(12, 'data');
  for (const form of FORMS) {
    for (const [m, k, n] of SHAPES) {
      it(`${form} m=${m} k=${k} n=${n}`, () => {
        const a = filled(rng, m * k);
        const b = filled(rng, k * n);
        const bias = form === 'ABt' ? filled(rng, n) : null;
        const got = allocFloat32(m * n).fill(Number.NaN);
        const fusedTwin = new Float32Array(m * n);
        const unfusedTwin = new Float32Array(m * n);
        relaxedProduct(form, got, a, b, m, k, n, bias);
        matmulFusedReference(fusedTwin, a, form === 'AtB', b, form === 'ABt', m, k, n, bias);
        unfusedReference(form, unfusedTwin, a, b, m, k, n, bias);
        expect(firstBitDifference(got, mode === 'fused' ? fusedTwin : unfusedTwin)).toBe(-1);
        // Past a handful of terms the two roundings part: the comparison above could tell them apart.
        if (k >= 64) expect(firstBitDifference(fusedTwin, unfusedTwin)).not.toBe(-1);
      });
    }
  }

  it('gives the same bits on 2 threads, the workers running the relaxed module too', async () => {
    const [m, k, n] = [64, 784, 128];
    const a = filled(rng, m * k);
    const b = filled(rng, n * k);
    const bias = filled(rng, n);
    const want = new Float32Array(m * n);
    if (mode === 'fused') matmulFusedReference(want, a, false, b, true, m, k, n, bias);
    else matmulABtReference(want, a, b, m, k, n, bias);
    const pair = createTeam(relaxed as object, 2);
    const got = allocFloat32(m * n);
    const product = (): void => pair.run(arenaOffset(got), n, arenaOffset(a), k, false, arenaOffset(b), k, true, m, k, n, arenaOffset(bias));
    product(); // starts the worker; until it runs, this thread takes every band
    const since = performance.now();
    while (pair.workerBands === 0 && performance.now() - since < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      product();
    }
    expect(pair.workerBands, 'the worker took part').toBeGreaterThan(0);
    for (let repeat = 0; repeat < 3; repeat++) {
      got.fill(Number.NaN);
      product();
      expect(firstBitDifference(got, want)).toBe(-1);
    }
  });
});

/**
 * conv2d's batched product in a child process on `kernel` (the layer module follows the
 * process's kernel choice): strided x and y with gaps between rows and samples, a whole panel
 * of four outputs and two more, 8+ positions (the vector tile and its overlapping last tile)
 * and under 8 (scalar), over a col's terms and over a direct 3×3 convolution's lines. Prints the bits of y, of the fused twin's y, and whether the kernel ran.
 */
const BATCHED = `
import { allocFloat32 } from '${DIST}kernels/arena.js';
import { kernelChoice } from '${DIST}kernels/choice.js';
import { batchedProductWasm } from '${DIST}kernels/layer-kernels.js';
import { batchedProductFusedReference } from '${DIST}kernels/reference-fused.js';
import { Rng } from '${DIST}core/rng.js';
const rng = new Rng(5, 'data');
const filled = (n) => { const a = allocFloat32(n); for (let i = 0; i < n; i++) a[i] = rng.uniformIn(-1, 1); return a; };
const bits = (a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const cases = [];
// A col's terms (one line, k rows), then a direct 3×3 convolution's (lines of a padded input).
for (const [outs, k, positions, batch] of [[6, 9, 30, 2], [8, 72, 196, 2], [3, 4, 5, 2]]) {
  const xRow = positions + 3, xSample = k * xRow + 5, yRow = positions + 1, ySample = outs * yRow + 2;
  const x = { array: filled(batch * xSample), at: 1, row: xRow, sample: xSample, line: 0 };
  const packed = filled(Math.ceil(outs / 4) * 4 * k);
  const bias = filled(outs);
  const y = { array: allocFloat32(batch * ySample + 1), at: 1, row: yRow, sample: ySample, line: 0 };
  const twin = { ...y, array: allocFloat32(batch * ySample + 1) };
  const terms = { rows: 1, perRow: k, step: xRow };
  const ran = batchedProductWasm(y, x, terms, packed, bias, outs, positions, 1, batch);
  batchedProductFusedReference(twin, x, terms, packed, bias, outs, positions, 1, batch);
  cases.push({ ran, kernel: bits(y.array), fusedTwin: bits(twin.array) });
}
{
  const outs = 5, width = 12, lines = 12, batch = 2, xRow = width + 2, xSample = (lines + 2) * xRow + 1;
  const x = { array: filled(batch * xSample + 1), at: 0, row: xRow, sample: xSample, line: xRow };
  const packed = filled(Math.ceil(outs / 4) * 4 * 9);
  const bias = filled(outs);
  const y = { array: allocFloat32(batch * outs * lines * width), at: 0, row: width, sample: outs * lines * width, line: outs * width };
  const twin = { ...y, array: allocFloat32(y.array.length) };
  const terms = { rows: 3, perRow: 3, step: 1 };
  const ran = batchedProductWasm(y, x, terms, packed, bias, outs, width, lines, batch);
  batchedProductFusedReference(twin, x, terms, packed, bias, outs, width, lines, batch);
  cases.push({ ran, kernel: bits(y.array), fusedTwin: bits(twin.array) });
}
console.log(JSON.stringify({ path: kernelChoice().path, cases }));`;

describe.skipIf(team === null)(`conv2d's relaxed batched product (relaxed_madd observed ${mode} here) gives the bits of the ${mode} twin`, () => {
  it('against its fused twin, or the default kernel where relaxed_madd is not fused', () => {
    const relaxedRun = JSON.parse(runBuilt(BATCHED, { ADAM_LAB_KERNEL: 'wasm-relaxed-simd' }));
    const defaultRun = JSON.parse(runBuilt(BATCHED));
    expect([relaxedRun.path, defaultRun.path]).toEqual(['wasm-relaxed-simd', 'wasm-simd']);
    relaxedRun.cases.forEach((got: { ran: boolean; kernel: number[]; fusedTwin: number[] }, i: number) => {
      const unfusedTwin = defaultRun.cases[i].kernel as number[];
      expect([got.ran, defaultRun.cases[i].ran]).toEqual([true, true]);
      expect(got.kernel, `case ${i}`).toEqual(mode === 'fused' ? got.fusedTwin : unfusedTwin);
    });
    // The long sums part the two roundings (so the comparison could tell them apart); under 8 positions the kernel is scalar and unfused.
    expect(relaxedRun.cases[1].fusedTwin).not.toEqual(defaultRun.cases[1].kernel);
    expect(relaxedRun.cases[2].fusedTwin).toEqual(defaultRun.cases[2].kernel);
  });
});
