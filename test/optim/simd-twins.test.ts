/**
 * The optimizer's WebAssembly SIMD twins (kernels/wasm/optimizer-kernels.wat) against their
 * TypeScript references, bit for bit: each kernel on random data of lengths around its vector
 * widths, at aligned and unaligned starts; then every optimizer of the registry, with
 * clipping, stepped on engine buffers (twins) and on ordinary arrays (references).
 */
import { describe, expect, it, vi } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { addScaledWasm, adamWasm, negateWasm, optimizerWasmRuns, rmsWasm, scaleWasm, sumOfSquares, sumOfSquaresReference, traceWasm } from '../../src/kernels/optimizer-kernels.js';
import { arenaOffset } from '../../src/kernels/arena.js';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { adamReference } from '../../src/optim/adam.js';
import { negateReference, scaleReference, traceReference } from '../../src/optim/pieces.js';
import { addScaledReference } from '../../src/optim/transform.js';
import { createOptimizer, optimizerKinds, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import { rmsReference } from '../../src/optim/rmsprop.js';
import { firstBitDifference } from '../bits.js';
import { twinsRunBy } from '../twin-calls.js';

vi.mock('../../src/kernels/optimizer-kernels.js', async (original) => (await import('../twin-calls.js')).recordingTwins(original));

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1003];

/** Same bits, or both NaN (a NaN's sign and payload are not specified by either side). */
const firstDifference = (x: Float32Array, y: Float32Array): number => firstBitDifference(x, y, { anyNaN: true });

/**
 * An engine buffer of `length` random values starting `shift` floats into its block (so SIMD
 * loads are unaligned when shift ≠ 0), with a few zeros, tiny, huge and subnormal-bound values
 * (around 2⁻¹²⁶, where running averages are flushed) mixed in; and an ordinary copy for the
 * reference.
 */
function pair(rng: Rng, length: number, shift: number, scale = 1, positive = false): { simd: Float32Array; plain: Float32Array } {
  const block = allocFloat32(length + shift + 1);
  const simd = block.subarray(shift, shift + length);
  for (let i = 0; i < length; i++) {
    const r = rng.uniform();
    const value = r < 0.05 ? 0 : r < 0.08 ? 1e-30 : r < 0.1 ? 1e30 : r < 0.15 ? rng.uniformIn(-3e-38, 3e-38) : rng.uniformIn(-1, 1) * scale;
    simd[i] = positive ? Math.abs(value) : value;
  }
  expect(arenaOffset(simd)).toBeGreaterThan(0);
  return { simd, plain: Float32Array.from(simd) };
}

const expectSame = (got: Float32Array, want: Float32Array, what: string): void => expect(firstDifference(got, want), what).toBe(-1);

describe.skipIf(!optimizerWasmRuns())('each SIMD twin gives its reference’s bits', () => {
  const rng = new Rng(21, 'data');
  const shapes = LENGTHS.flatMap((n) => [0, 1, 3].map((shift) => ({ n, shift })));

  it.each(shapes)('negate, scale, addScaled (n=$n, shift=$shift)', ({ n, shift }) => {
    const u = pair(rng, n, shift);
    expect(negateWasm(u.simd)).toBe(true);
    negateReference(u.plain);
    expectSame(u.simd, u.plain, 'negate');
    for (const s of [-1e-3, 0.37, 1]) {
      expect(scaleWasm(u.simd, s)).toBe(true);
      scaleReference(u.plain, s);
      expectSame(u.simd, u.plain, `scale ${s}`);
      const x = pair(rng, n, (shift + 1) % 4);
      expect(addScaledWasm(u.simd, x.simd, s)).toBe(true);
      addScaledReference(u.plain, x.plain, s);
      expectSame(u.simd, u.plain, `addScaled ${s}`);
    }
  });

  it.each(shapes)('trace (n=$n, shift=$shift)', ({ n, shift }) => {
    for (const [mu, dampening, nesterov] of [[0.9, 0, false], [0.9, 0, true], [0.5, 0.3, false]] as const) {
      const b = pair(rng, n, shift);
      for (const first of [true, false, false]) {
        const u = pair(rng, n, (shift + 2) % 4);
        expect(traceWasm(u.simd, b.simd, mu, 1 - dampening, first, nesterov)).toBe(true);
        traceReference(u.plain, b.plain, mu, 1 - dampening, first, nesterov);
        expectSame(u.simd, u.plain, 'u');
        expectSame(b.simd, b.plain, 'buffer');
      }
    }
  });

  it.each(shapes)('adam, with and without AMSGrad (n=$n, shift=$shift)', ({ n, shift }) => {
    for (const amsgrad of [false, true]) {
      const m = pair(rng, n, shift, 1e-2);
      const v = pair(rng, n, shift, 1e-4, true);
      const vmax = pair(rng, n, shift, 1e-4, true);
      for (const [beta1, beta2, eps, step] of [[0.9, 0.999, 1e-8, 1], [0.9, 0.999, 1e-8, 7], [0.5, 0.9, 1e-3, 100]]) {
        const u = pair(rng, n, (shift + 1) % 4, 1e-2);
        const s1 = 1 - beta1 ** step;
        const s2 = Math.sqrt(1 - beta2 ** step);
        const max = amsgrad ? vmax : null;
        expect(adamWasm(u.simd, m.simd, v.simd, max?.simd ?? null, beta1, 1 - beta1, beta2, 1 - beta2, s1, s2, eps)).toBe(true);
        adamReference(u.plain, m.plain, v.plain, max?.plain ?? null, beta1, 1 - beta1, beta2, 1 - beta2, s1, s2, eps);
        expectSame(u.simd, u.plain, 'u');
        expectSame(m.simd, m.plain, 'm');
        expectSame(v.simd, v.plain, 'v');
        expectSame(vmax.simd, vmax.plain, 'v_max');
      }
    }
  });

  it.each(shapes)('rms, centered or not (n=$n, shift=$shift)', ({ n, shift }) => {
    for (const centered of [false, true]) {
      const sq = pair(rng, n, shift, 1e-2, true);
      const avg = pair(rng, n, shift, 1e-2);
      for (const [alpha, eps] of [[0.99, 1e-8], [0.9, 1e-3]]) {
        const u = pair(rng, n, (shift + 3) % 4, 1e-1);
        const a = centered ? avg : null;
        expect(rmsWasm(u.simd, sq.simd, a?.simd ?? null, alpha, 1 - alpha, eps)).toBe(true);
        rmsReference(u.plain, sq.plain, a?.plain ?? null, alpha, 1 - alpha, eps);
        expectSame(u.simd, u.plain, 'u');
        expectSame(sq.simd, sq.plain, 'square average');
        expectSame(avg.simd, avg.plain, 'gradient average');
      }
    }
  });

  it.each(shapes)('sum of squares (n=$n, shift=$shift)', ({ n, shift }) => {
    const x = pair(rng, n, shift, 3);
    expect(Object.is(sumOfSquares(x.simd), sumOfSquaresReference(x.plain))).toBe(true);
    // An ordinary array takes the reference, which is Σ x² up to rounding: a plain float64 sum in
    // index order lands within n·2⁻⁵³ of it, relative, since every term is positive.
    const inOrder = x.plain.reduce((sum, v) => sum + v * v, 0);
    expect(Math.abs(sumOfSquares(x.plain) - inOrder)).toBeLessThanOrEqual(1e-12 * inOrder);
  });

  it('flush running averages to zero below the smallest normal float32, on both sides', () => {
    const n = 7;
    const u = pair(rng, n, 0);
    const m = pair(rng, n, 0);
    const v = pair(rng, n, 0);
    for (const x of [u, m, v]) x.simd.fill(0);
    m.simd.fill(2 ** -126); // β1·m falls below 2⁻¹²⁶
    v.simd.fill(2 ** -120); // β2·v stays above it
    for (const x of [u, m, v]) x.plain.set(x.simd);
    expect(adamWasm(u.simd, m.simd, v.simd, null, 0.9, 0.1, 0.999, 0.001, 1, 1, 1e-8)).toBe(true);
    adamReference(u.plain, m.plain, v.plain, null, 0.9, 0.1, 0.999, 0.001, 1, 1, 1e-8);
    expect(Array.from(m.simd)).toEqual(Array(n).fill(0));
    expect(Array.from(m.plain)).toEqual(Array(n).fill(0));
    expect(v.simd[0]).toBe(Math.fround(Math.fround(0.999) * 2 ** -120));
    expectSame(v.simd, v.plain, 'v');
    const b = pair(rng, n, 0);
    b.simd.fill(-(2 ** -126));
    b.plain.set(b.simd);
    u.simd.fill(0);
    u.plain.fill(0);
    expect(traceWasm(u.simd, b.simd, 0.9, 1, false, false)).toBe(true);
    traceReference(u.plain, b.plain, 0.9, 1, false, false);
    expect(Array.from(b.simd)).toEqual(Array(n).fill(0));
    expectSame(b.simd, b.plain, 'momentum buffer');
  });

  it('keep NaN and infinities where the references do', () => {
    const u = pair(rng, 9, 0);
    u.simd.set([Number.NaN, Infinity, -Infinity, 0, -0, 1, Number.NaN, 2, 3]);
    u.plain.set(u.simd);
    const m = pair(rng, 9, 0);
    const v = pair(rng, 9, 0, 1, true);
    expect(adamWasm(u.simd, m.simd, v.simd, null, 0.9, 0.1, 0.999, 0.001, 0.1, 0.03, 1e-8)).toBe(true);
    adamReference(u.plain, m.plain, v.plain, null, 0.9, 0.1, 0.999, 0.001, 0.1, 0.03, 1e-8);
    expectSame(u.simd, u.plain, 'u');
    expect(Number.isNaN(sumOfSquares(u.simd))).toBe(true);
  });
});

/** The twin of an optimizer's own update, for those that have one. */
const OWN_TWIN: Readonly<Record<string, string>> = { adam: 'adamWasm', adamw: 'adamWasm', rmsprop: 'rmsWasm', sgd: 'traceWasm' };

describe.skipIf(!optimizerWasmRuns())('every optimizer steps to the same bits on engine buffers (twins) and on ordinary arrays (references)', () => {
  const size = 1003;
  // Over one vector: Muon, which steps matrices only, is twinned in its own tests; L-BFGS steps
  // through its closure with plain loops (no twin), loop-optimizers.test.ts checks it.
  for (const name of optimizerNames.filter((n) => optimizerKinds[n].tensorProblem([size]) === null && n !== 'lbfgs')) {
    // Prodigy, like prodigyopt, has no maximize; Rprop no weight decay, schedule-free no maximize.
    for (const variant of [{}, { weight_decay: 0.01, maximize: true }].filter((v) => Object.keys(v).every((key) => key in optimizerKinds[name].options.shape))) {
      const extra = name === 'sgd' ? { momentum: 0.9, nesterov: true } : name === 'rmsprop' ? { momentum: 0.9, centered: true } : name === 'adam' ? { amsgrad: true } : {};
      const label = `${name} ${JSON.stringify({ ...extra, ...variant })}`;
      it(label, () => {
        const config = optimizerSchema.parse({ name, ...extra, ...variant }) as OptimizerConfig;
        const rng = new Rng(5, 'data');
        const start = Float32Array.from({ length: size }, () => rng.uniformIn(-1, 1));
        const engine = { params: allocFloat32(size), grads: allocFloat32(size) };
        const plain = { params: new Float32Array(size), grads: new Float32Array(size) };
        engine.params.set(start);
        plain.params.set(start);
        const clipping = { clip_grad_norm: 3 };
        const ran = new Set<string>();
        const fast = createOptimizer(config, engine.params, clipping);
        const reference = createOptimizer(config, plain.params, clipping);
        for (let step = 0; step < 5; step++) {
          for (let i = 0; i < size; i++) engine.grads[i] = plain.grads[i] = Math.sin(i * (step + 1)) * (1 + step) * 0.1;
          for (const twin of twinsRunBy(() => fast.apply(engine.grads))) ran.add(twin);
          expect(twinsRunBy(() => reference.apply(plain.grads)), 'twins on ordinary arrays').toEqual([]);
          expectSame(engine.params, plain.params, `${label} step ${step + 1}`);
        }
        // The update of the parameters, and the optimizer's own kernel where it has one.
        expect([...ran], 'twins on engine buffers').toEqual(expect.arrayContaining(['addScaledWasm', ...(OWN_TWIN[name] === undefined ? [] : [OWN_TWIN[name]])]));
      });
    }
  }
});
