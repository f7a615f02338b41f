/**
 * conv2d on the blas kernel path (kernels/layer-kernels.ts batchedProductBlas): its batched
 * products with the small W_g, a sample at a time, go to the library's sgemm when one sample's
 * product reaches BLAS_MIN_PRODUCT, and stay in WebAssembly below it.
 *
 * The layer runs in a process on the blas path (the kernel choice is made once per process) and
 * in one on the default path, on the same inputs; each result is checked against the
 * convolution summed here in float64, within k·2⁻²⁴·Σ|terms| plus the result's own rounding
 * (the classical bound for a float32 sum of k terms in any order, which covers the library's
 * blocking and FMAs). The blas run must also differ from the default run somewhere in y and dx:
 * only the library sums in another order, so equal bits would mean it was not used. Skipped
 * where no CBLAS library or no koffi is installed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { memory } from '../../src/kernels/arena.js';
import { loadBlas } from '../../src/kernels/blas.js';
import { DIST, runBuilt } from './run-built.js';

const loaded = memory === null ? 'no engine memory' : loadBlas(memory, 1);
const missing = typeof loaded === 'string' ? ` — skipped: ${loaded}` : '';

/** One conv layer forward and backward on engine buffers, and batchedProductBlas at and under BLAS_MIN_PRODUCT. */
const layerScript = (input: string): string => `
import { readFileSync } from 'node:fs';
import { allocFloat32 } from '${DIST}kernels/arena.js';
import { BLAS_MIN_PRODUCT, kernelChoice } from '${DIST}kernels/choice.js';
import { batchedProductBlas } from '${DIST}kernels/layer-kernels.js';
import { layerSchema } from '${DIST}config/schema.js';
import { planLayer } from '${DIST}engine/layers/registry.js';
const [config, inShape, batch, x, dy, params] = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));
const plan = planLayer(layerSchema.parse(config), inShape);
const values = allocFloat32(params.length), grads = allocFloat32(params.length);
values.set(params);
let at = 0;
const parameters = plan.parameters.map((spec) => {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const p = { ...spec, value: values.subarray(at, at + size), grad: grads.subarray(at, at + size) };
  at += size;
  return p;
});
const layer = plan.build(parameters, { maxBatch: batch }, []);
const ex = allocFloat32(x.length), ey = allocFloat32(dy.length), edy = allocFloat32(dy.length), edx = allocFloat32(x.length);
ex.set(x); edy.set(dy);
layer.forward(ex, ey, batch, 'train');
layer.backward(ex, ey, edy, edx, batch);
// 1 × 1 × n products: n = BLAS_MIN_PRODUCT goes to the library, one less does not.
const one = allocFloat32(1), row = allocFloat32(BLAS_MIN_PRODUCT), out = allocFloat32(BLAS_MIN_PRODUCT);
const strided = (array) => ({ array, at: 0, row: BLAS_MIN_PRODUCT, sample: BLAS_MIN_PRODUCT });
console.log(JSON.stringify({
  kernel: kernelChoice().path,
  routed: [BLAS_MIN_PRODUCT, BLAS_MIN_PRODUCT - 1].map((n) => batchedProductBlas(strided(out), strided(row), one, false, null, 1, 1, n, 1)),
  y: Array.from(ey), dx: Array.from(edx), grads: Array.from(grads),
}));`;

interface Case {
  readonly name: string;
  readonly channels: number;
  readonly outChannels: number;
  readonly size: [number, number];
  readonly padding: number;
  readonly groups: number;
  readonly batch: number;
}

/** y, dx, dW, db of a 3×3 stride-1 conv (bias on), in float64, with Σ|terms| of each. */
function reference(c: Case, x: Float32Array, dy: Float32Array, params: Float32Array) {
  const [h, w] = c.size;
  const [oh, ow] = [h + 2 * c.padding - 2, w + 2 * c.padding - 2];
  const cg = c.channels / c.groups;
  const og = c.outChannels / c.groups;
  const weights = params.subarray(0, c.outChannels * cg * 9);
  const bias = params.subarray(c.outChannels * cg * 9);
  const zeros = (n: number) => ({ sum: new Float64Array(n), size: new Float64Array(n) });
  const y = zeros(c.batch * c.outChannels * oh * ow);
  const dx = zeros(x.length);
  const dw = zeros(weights.length + bias.length);
  for (let b = 0; b < c.batch; b++) {
    for (let o = 0; o < c.outChannels; o++) {
      for (let p = 0; p < oh * ow; p++) {
        const yi = (b * c.outChannels + o) * oh * ow + p;
        y.sum[yi] += bias[o];
        y.size[yi] += Math.abs(bias[o]);
        dw.sum[weights.length + o] += dy[yi];
        dw.size[weights.length + o] += Math.abs(dy[yi]);
        for (let t = 0; t < cg * 9; t++) {
          const ci = Math.floor(o / og) * cg + Math.floor(t / 9);
          const ih = Math.floor(p / ow) + Math.floor((t % 9) / 3) - c.padding;
          const iw = (p % ow) + (t % 3) - c.padding;
          if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
          const xi = ((b * c.channels + ci) * h + ih) * w + iw;
          const wi = o * cg * 9 + t;
          const add = (into: { sum: Float64Array; size: Float64Array }, i: number, term: number) => {
            into.sum[i] += term;
            into.size[i] += Math.abs(term);
          };
          add(y, yi, weights[wi] * x[xi]);
          add(dx, xi, weights[wi] * dy[yi]);
          add(dw, wi, x[xi] * dy[yi]);
        }
      }
    }
  }
  return { y, dx, grads: dw, terms: c.batch * oh * ow };
}

/** The worst |ours − reference| as a multiple of the bound for sums of up to `terms` terms. */
function worst(ours: readonly number[], ref: { sum: Float64Array; size: Float64Array }, terms: number): number {
  let ratio = 0;
  for (let i = 0; i < ref.sum.length; i++) {
    const bound = (terms + 1) * 2 ** -24 * ref.size[i] + 2 ** -24 * Math.abs(ref.sum[i]) + Number.MIN_VALUE;
    ratio = Math.max(ratio, Math.abs(ours[i] - ref.sum[i]) / bound);
  }
  return ratio;
}

const CASES: Case[] = [
  { name: 'W3’s second conv (8 → 16, 14×14, padding 1)', channels: 8, outChannels: 16, size: [14, 14], padding: 1, groups: 1, batch: 3 },
  { name: 'odd sizes, padding 0, groups 2', channels: 6, outChannels: 20, size: [13, 11], padding: 0, groups: 2, batch: 2 },
];

describe.skipIf(typeof loaded === 'string')(`conv2d's batched products on the blas path${missing}`, () => {
  for (const c of CASES) {
    it(`${c.name}: y, dx, dW, db within float32 rounding of the float64 convolution, computed by the library`, () => {
      const rng = new Rng(c.channels * 31 + c.outChannels, 'data');
      const [h, w] = c.size;
      const outs = c.batch * c.outChannels * (h + 2 * c.padding - 2) * (w + 2 * c.padding - 2);
      const fill = (n: number) => Float32Array.from({ length: n }, () => rng.uniformIn(-1, 1));
      const x = fill(c.batch * c.channels * h * w);
      const dy = fill(outs);
      const params = fill(c.outChannels * (c.channels / c.groups) * 9 + c.outChannels);
      const config = { conv2d: { out_channels: c.outChannels, kernel_size: 3, padding: c.padding, groups: c.groups } };
      const input = join(mkdtempSync(join(tmpdir(), 'adam-lab-conv-blas-')), 'case.json');
      writeFileSync(input, JSON.stringify([config, [c.channels, h, w], c.batch, Array.from(x), Array.from(dy), Array.from(params)]));
      const onLibrary = JSON.parse(runBuilt(layerScript(input), { ADAM_LAB_KERNEL: 'blas', ADAM_LAB_THREADS: '1' }));
      const onWasm = JSON.parse(runBuilt(layerScript(input)));
      expect([onLibrary.kernel, onWasm.kernel]).toEqual(['blas', 'wasm-simd']);
      expect(onLibrary.routed).toEqual([true, false]);
      expect(onWasm.routed).toEqual([false, false]);
      const ref = reference(c, x, dy, params);
      for (const run of [onLibrary, onWasm]) {
        expect(worst(run.y, ref.y, ref.terms), 'y').toBeLessThanOrEqual(1);
        expect(worst(run.dx, ref.dx, ref.terms), 'dx').toBeLessThanOrEqual(1);
        expect(worst(run.grads, ref.grads, ref.terms), 'dW, db').toBeLessThanOrEqual(1);
      }
      expect(onLibrary.y).not.toEqual(onWasm.y);
      expect(onLibrary.dx).not.toEqual(onWasm.dx);
    });
  }
});
