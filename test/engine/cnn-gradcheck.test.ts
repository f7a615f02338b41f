/**
 * Finite-difference gradient checks for the CNN layers: conv2d (stride, padding, dilation,
 * groups, rectangular kernels, no bias, the direct 3×3 convolution of one input channel),
 * maxpool2d, avgpool2d (both count_include_pad), batchnorm1d/2d in training and in
 * evaluation, dropout2d and global_avg_pool, and one small CNN end to end through Model and
 * cross_entropy.
 *
 * As in gradcheck.test.ts (same helpers, finite-difference.ts): the objective is L = Σ y·r for a
 * fixed random r (so dy = r exactly), summed in float64 from the float32 outputs, and the
 * difference quotient divides by the step actually stored. Every buffer the call must write (dx,
 * parameter grads) is NaN-filled, and the buffers are sized for a larger batch than the one run,
 * with NaN in the unused tail, so a gradient left unwritten, or a read past the batch, fails.
 *
 * Error budget, h = 1e-2, |g_analytic − g_numeric| ≤ 1e-4 + 1e-3·|g| (LAYER_TOL):
 *  - conv2d, avgpool2d, global_avg_pool, dropout2d (fixed mask) and maxpool2d away from a
 *    change of winner are linear in each single input or weight, so central differences have no
 *    truncation error at all; what is left is the float32 rounding of the outputs the perturbed
 *    entry changes (≲ √n·6e-8·|y|·|r| / 2h for n changed outputs, ≲ 3e-5 here).
 *  - maxpool2d: the inputs are a shuffled grid of values 0.05 apart (no ties, and no window
 *    changes its winner within ±h), so the function is linear around every point checked.
 *  - batch norm is smooth; its third derivatives in x are O(1/σ³) with σ ≈ 1 here, so the
 *    truncation error h²/6·f''' ≲ 2e-5·|f'''| is under the tolerance.
 * Measured on these seeds: at most 0.23× the tolerance for a single layer and 0.42× for the
 * whole CNN (GRADCHECK_DEBUG=1 prints the worst entry of every comparison).
 */
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { Layer, Mode, ModelBuffer, Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf, type Shape } from '../../src/core/shape.js';
import { describeMismatch, numericGradient, project, uniformArray, worstMismatch, type Tolerance } from './finite-difference.js';

const LAYER_H = 1e-2;
const LAYER_TOL: Tolerance = { rtol: 1e-3, atol: 1e-4 };
const BATCH = 3;
const MAX_BATCH = 4;

function expectGradientsAgree(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, n: number, tol: Tolerance = LAYER_TOL): number {
  const w = worstMismatch(analytic, numeric, n, tol);
  if (process.env.GRADCHECK_DEBUG) console.log(describeMismatch(label, w));
  expect(w.ratio, describeMismatch(label, w)).toBeLessThanOrEqual(1);
  return w.ratio;
}

const parse = (config: unknown): LayerConfig => layerSchema.parse(config) as LayerConfig;

/** Running statistics that are not the 0/1 defaults, so evaluation mode has something to read. */
function bufferValues(b: ModelBuffer['name'], n: number, rng: Rng): number[] {
  if (b === 'running_mean') return Array.from({ length: n }, () => rng.uniformIn(-0.5, 0.5));
  if (b === 'running_var') return Array.from({ length: n }, () => rng.uniformIn(0.5, 2));
  return [3]; // num_batches_tracked
}

interface Built {
  readonly layer: Layer;
  readonly parameters: Parameter[];
  readonly buffers: ModelBuffer[];
  readonly inSize: number;
  readonly outSize: number;
}

/** One layer on its own: parameters uniform in [−1, 1), NaN-filled grads, non-trivial buffers. */
function build(config: LayerConfig, inShape: Shape, seed: number): Built {
  const plan = planLayer(config, inShape);
  const init = new Rng(seed, 'init');
  const parameters: Parameter[] = plan.parameters.map((spec) => {
    const n = sizeOf(spec.shape);
    return { ...spec, value: uniformArray(init, n, -1, 1), grad: new Float32Array(n).fill(Number.NaN) };
  });
  const buffers: ModelBuffer[] = (plan.buffers ?? []).map((spec) => {
    const values = bufferValues(spec.name, sizeOf(spec.shape), init);
    return { ...spec, value: spec.dtype === 'I64' ? Float64Array.from(values) : Float32Array.from(values) };
  });
  const layer = plan.build(parameters, { maxBatch: MAX_BATCH, rng: new Rng(seed, 'dropout') }, buffers);
  return { layer, parameters, buffers, inSize: sizeOf(inShape), outSize: sizeOf(plan.outShape) };
}

interface Check {
  readonly config: unknown;
  readonly inShape: Shape;
  readonly input: (rng: Rng, n: number) => Float32Array;
  readonly mode?: Mode;
  /** Rebuild from the same seed for every evaluation: dropout replays its mask (see gradcheck.test.ts). */
  readonly fresh?: boolean;
}

/** Forward + backward once, then dx and every parameter gradient against finite differences. */
function check(c: Check, seed = 7): Built & { x: Float32Array; y: Float32Array; dx: Float32Array; r: Float32Array } {
  const config = parse(c.config);
  const mode = c.mode ?? 'train';
  const built = build(config, c.inShape, seed);
  const { layer, parameters, inSize, outSize } = built;
  const rng = new Rng(seed, 'data');
  const nIn = BATCH * inSize;
  const nOut = BATCH * outSize;
  const x = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);
  x.set(c.input(rng, nIn));
  const r = uniformArray(rng, nOut, -1, 1);
  const y = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  const dy = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  dy.set(r);
  const dx = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);
  layer.forward(x, y, BATCH, mode);
  for (let i = 0; i < nOut; i++) expect(Number.isFinite(y[i]), `y[${i}] = ${y[i]}`).toBe(true);
  expect(y.subarray(nOut).every(Number.isNaN), 'nothing written past the batch').toBe(true);
  layer.backward(x, y, dy, dx, BATCH);
  expect(dx.subarray(nIn).every(Number.isNaN), 'dx: nothing written past the batch').toBe(true);

  const scratch = new Float32Array(MAX_BATCH * outSize);
  const objective = (): number => {
    const l = c.fresh ? build(config, c.inShape, seed).layer : layer;
    l.forward(x, scratch, BATCH, mode);
    return project(scratch, r, nOut);
  };
  const inputs = Array.from({ length: nIn }, (_, i) => i);
  expectGradientsAgree('dx', dx, numericGradient(x, objective, LAYER_H, inputs), nIn);
  for (const p of parameters) expectGradientsAgree(p.name, p.grad, numericGradient(p.value, objective, LAYER_H), p.value.length);
  return { ...built, x, y: y.subarray(0, nOut), dx: dx.subarray(0, nIn), r };
}

const smooth = (rng: Rng, n: number): Float32Array => uniformArray(rng, n, -2, 2);

/** A shuffled grid k·0.05: no two inputs closer than 0.05 = 5h, so no max changes hands within ±h. */
function distinct(rng: Rng, n: number): Float32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order);
  return Float32Array.from(order, (k) => (k - n / 2) * 0.05);
}

describe('conv2d gradients (finite differences)', () => {
  const cases: [string, unknown, Shape][] = [
    ['3×3, padding 1', { conv2d: { out_channels: 3, kernel_size: 3, padding: 1 } }, [2, 5, 4]],
    ['5×5, stride 2, padding 2', { conv2d: { out_channels: 2, kernel_size: 5, stride: 2, padding: 2 } }, [2, 7, 6]],
    ['[3, 2] kernel, stride [2, 1], padding [1, 0]', { conv2d: { out_channels: 2, kernel_size: [3, 2], stride: [2, 1], padding: [1, 0] } }, [2, 6, 5]],
    ['dilation 2 with padding 2', { conv2d: { out_channels: 2, kernel_size: 3, dilation: 2, padding: 2 } }, [2, 5, 6]],
    ['dilation [2, 1], stride [1, 2]', { conv2d: { out_channels: 2, kernel_size: 3, dilation: [2, 1], stride: [1, 2] } }, [1, 7, 7]],
    ['groups 2', { conv2d: { out_channels: 4, kernel_size: 3, padding: 1, groups: 2 } }, [4, 4, 4]],
    ['depthwise (groups = channels = 3), stride 2', { conv2d: { out_channels: 3, kernel_size: 3, stride: 2, padding: 1, groups: 3 } }, [3, 5, 5]],
    ['1×1', { conv2d: { out_channels: 3, kernel_size: 1 } }, [4, 3, 3]],
    ['no bias', { conv2d: { out_channels: 2, kernel_size: 2, bias: false } }, [3, 4, 4]],
    ['direct 3×3 on one channel, padding 1', { conv2d: { out_channels: 5, kernel_size: 3, padding: 1 } }, [1, 5, 9]],
    ['direct 3×3 per group (depthwise), padding 0, no bias', { conv2d: { out_channels: 4, kernel_size: 3, groups: 2, bias: false } }, [2, 6, 5]],
  ];
  for (const [name, config, inShape] of cases) {
    it(`${name}: dx, weight${(config as { conv2d: { bias?: boolean } }).conv2d.bias === false ? '' : ' and bias'}`, () => {
      const { parameters } = check({ config, inShape, input: smooth });
      const o = (config as { conv2d: { bias?: boolean } }).conv2d;
      expect(parameters.map((p) => p.name)).toEqual(o.bias === false ? ['weight'] : ['weight', 'bias']);
    });
  }

  it('a first layer (dx = null) writes the same parameter gradients', () => {
    const config = parse({ conv2d: { out_channels: 2, kernel_size: 3, padding: 1, groups: 2 } });
    const run = (withDx: boolean) => {
      const { layer, parameters, inSize, outSize } = build(config, [2, 4, 4], 3);
      const rng = new Rng(3, 'data');
      const x = uniformArray(rng, 2 * inSize, -1, 1);
      const y = new Float32Array(2 * outSize);
      layer.forward(x, y, 2, 'train');
      layer.backward(x, y, uniformArray(rng, 2 * outSize, -1, 1), withDx ? new Float32Array(2 * inSize) : null, 2);
      return parameters.map((p) => Array.from(p.grad));
    };
    const without = run(false);
    expect(without.flat().every(Number.isFinite)).toBe(true);
    expect(without).toEqual(run(true));
  });
});

describe('pooling gradients (finite differences)', () => {
  it('maxpool2d 2 (inputs without ties): dx routes dy to each window’s maximum', () => {
    const { dx, x, r } = check({ config: { maxpool2d: 2 }, inShape: [2, 5, 4], input: distinct });
    // Non-overlapping windows: every dy lands on exactly one input, the rest of dx is 0.
    const sorted = (v: ArrayLike<number>) => Array.from(v).filter((d) => d !== 0).sort((a, b) => a - b);
    expect(sorted(dx)).toEqual(sorted(r));
    expect(x.length).toBeGreaterThan(0);
  });

  it('maxpool2d 3, stride 2, padding 1 (overlapping windows: one input can win several)', () => {
    check({ config: { maxpool2d: { kernel_size: 3, stride: 2, padding: 1 } }, inShape: [2, 6, 5], input: distinct });
  });

  it('maxpool2d [2, 3] with padding [1, 1]', () => {
    check({ config: { maxpool2d: { kernel_size: [2, 3], padding: [1, 1] } }, inShape: [1, 5, 7], input: distinct });
  });

  it('avgpool2d 2', () => {
    check({ config: { avgpool2d: 2 }, inShape: [2, 5, 4], input: smooth });
  });

  for (const countIncludePad of [true, false]) {
    it(`avgpool2d 3, stride 2, padding 1, count_include_pad ${countIncludePad}`, () => {
      const { y, x } = check({
        config: { avgpool2d: { kernel_size: 3, stride: 2, padding: 1, count_include_pad: countIncludePad } },
        inShape: [1, 4, 4],
        input: smooth,
      });
      // The corner window covers inputs (0,0), (0,1), (1,0), (1,1) and five padded zeros.
      const corner = x[0] + x[1] + x[4] + x[5];
      expect(y[0]).toBeCloseTo(corner / (countIncludePad ? 9 : 4), 6);
    });
  }

  it('global_avg_pool: [3, 4, 5] → [3, 1, 1], dx = dy/(H·W) over the channel', () => {
    const { dx, r, y, x } = check({ config: 'global_avg_pool', inShape: [3, 4, 5], input: smooth });
    expect(planLayer('global_avg_pool', [3, 4, 5]).outShape).toEqual([3, 1, 1]);
    for (let plane = 0; plane < BATCH * 3; plane++) {
      let sum = 0;
      for (let i = 0; i < 20; i++) sum += x[plane * 20 + i];
      expect(y[plane]).toBeCloseTo(sum / 20, 6);
      for (let i = 0; i < 20; i++) expect(dx[plane * 20 + i]).toBe(Math.fround(r[plane] / 20));
    }
  });
});

describe('batch norm gradients (finite differences)', () => {
  const cases: [string, unknown, Shape, Mode][] = [
    ['batchnorm2d, training', 'batchnorm2d', [2, 3, 3], 'train'],
    ['batchnorm2d, training, momentum null (cumulative average)', { batchnorm2d: { momentum: null } }, [2, 3, 3], 'train'],
    ['batchnorm2d, training, no affine, eps 1e-3', { batchnorm2d: { affine: false, eps: 1e-3 } }, [2, 2, 3], 'train'],
    ['batchnorm2d, evaluation (running statistics)', 'batchnorm2d', [2, 3, 3], 'eval'],
    ['batchnorm2d, evaluation without running statistics (batch statistics)', { batchnorm2d: { track_running_stats: false } }, [2, 3, 3], 'eval'],
    ['batchnorm1d on [C], training', 'batchnorm1d', [4], 'train'],
    ['batchnorm1d on [C], evaluation', 'batchnorm1d', [4], 'eval'],
    ['batchnorm1d on [C, L], training', 'batchnorm1d', [3, 4], 'train'],
    ['batchnorm1d on [C, L], evaluation', 'batchnorm1d', [3, 4], 'eval'],
  ];
  for (const [name, config, inShape, mode] of cases) {
    it(`${name}: dx${typeof config === 'object' && (config as { batchnorm2d?: { affine?: boolean } }).batchnorm2d?.affine === false ? '' : ', weight and bias'}`, () => {
      check({ config, inShape, input: smooth, mode });
    });
  }

  it('training: dx sums to 0 over each channel (the mean is removed), the running statistics move', () => {
    const { dx, buffers } = check({ config: 'batchnorm2d', inShape: [2, 3, 3], input: smooth });
    for (let c = 0; c < 2; c++) {
      let sum = 0;
      let size = 0;
      for (let b = 0; b < BATCH; b++) for (let s = 0; s < 9; s++, size++) sum += dx[(b * 2 + c) * 9 + s];
      expect(Math.abs(sum)).toBeLessThan(1e-6 * size);
    }
    // check() ran forward in training mode 1 + 2·(inputs + parameters) times, each counted.
    const tracked = buffers.find((b) => b.name === 'num_batches_tracked')!;
    expect(tracked.value[0]).toBe(3 + 1 + 2 * (BATCH * 18 + 4));
  });

  it('evaluation: running statistics are read, not updated, and dx = γ/√(var + ε)·dy', () => {
    const { dx, r, buffers, parameters } = check({ config: 'batchnorm1d', inShape: [4], input: smooth, mode: 'eval' });
    const before = build(parse('batchnorm1d'), [4], 7).buffers;
    expect(buffers.map((b) => Array.from(b.value))).toEqual(before.map((b) => Array.from(b.value)));
    const [gamma] = parameters;
    const variance = buffers.find((b) => b.name === 'running_var')!.value;
    for (let i = 0; i < BATCH * 4; i++) {
      expect(dx[i]).toBeCloseTo((gamma.value[i % 4] / Math.sqrt(variance[i % 4] + 1e-5)) * r[i], 6);
    }
  });
});

describe('dropout2d', () => {
  const p = 0.4;
  const shape: Shape = [6, 3, 2];

  it('finite differences with the mask replayed from the same seed', () => {
    check({ config: { dropout2d: { p } }, inShape: shape, input: smooth, fresh: true });
  });

  it('drops whole channels together and scales the kept ones by 1/(1−p); dx = dy·mask', () => {
    const config = parse({ dropout2d: { p } });
    const plane = 6;
    const samples = MAX_BATCH;
    const planes = samples * 6;
    const keep = Math.fround(1 / (1 - p));
    let dropped = 0;
    let total = 0;
    for (let seed = 0; seed < 25; seed++) {
      const { layer } = build(config, shape, seed);
      const rng = new Rng(seed, 'data');
      const x = smooth(rng, planes * plane);
      const dy = uniformArray(rng, planes * plane, -1, 1);
      const y = new Float32Array(x.length);
      const dx = new Float32Array(x.length).fill(Number.NaN);
      layer.forward(x, y, samples, 'train');
      layer.backward(x, y, dy, dx, samples);
      for (let k = 0; k < planes; k++) {
        const zero = y[k * plane] === 0;
        if (zero) dropped++;
        total++;
        for (let i = k * plane; i < (k + 1) * plane; i++) {
          // A dropped element is ±0 (x·0 keeps x's sign), hence === rather than toBe.
          expect(zero ? y[i] === 0 : y[i] === Math.fround(x[i] * keep), `plane ${k}: all of it dropped or all of it kept`).toBe(true);
          expect(zero ? dx[i] === 0 : dx[i] === Math.fround(dy[i] * keep), `dx of plane ${k}`).toBe(true);
        }
      }
      // Same seed, same mask: a rebuilt layer draws the same channels.
      const again = build(config, shape, seed).layer;
      const y2 = new Float32Array(x.length);
      again.forward(x, y2, samples, 'train');
      expect(Array.from(y2)).toEqual(Array.from(y));
    }
    // Binomial(600, 0.4): mean 240, sd 12; ±4 sd.
    expect(total).toBe(600);
    expect(Math.abs(dropped - 240)).toBeLessThan(48);
  });

  it('is the identity in evaluation, and needs an image input', () => {
    const { layer } = build(parse({ dropout2d: { p } }), shape, 1);
    const x = uniformArray(new Rng(1, 'data'), 36, -1, 1);
    const y = new Float32Array(36);
    layer.forward(x, y, 1, 'eval');
    expect(Array.from(y)).toEqual(Array.from(x));
    expect(() => planLayer(parse({ dropout2d: { p } }), [36])).toThrow(/dropout2d needs \[channels, height, width\] input, got \[36\]/);
  });
});

describe('a small CNN end to end (Model, cross_entropy, training mode)', () => {
  it('every parameter gradient of conv → batchnorm2d → tanh → avgpool → conv (groups) → global_avg_pool → flatten → linear', () => {
    const layers = [
      { conv2d: { out_channels: 4, kernel_size: 3, stride: 2, padding: 1 } },
      'batchnorm2d',
      'tanh',
      { avgpool2d: { kernel_size: 2, stride: 1 } },
      { conv2d: { out_channels: 4, kernel_size: 2, groups: 2, dilation: 2, padding: 1 } },
      'global_avg_pool',
      'flatten',
      { linear: 3 },
    ].map(parse);
    const batch = 3;
    const model = new Model(planModel(layers, [2, 7, 7]), batch + 1, 5);
    const rng = new Rng(5, 'data');
    model.input.fill(Number.NaN);
    model.input.set(smooth(rng, batch * 98));
    const targets = Float32Array.of(0, 2, 1);
    const loss = lossKinds.cross_entropy.loss;
    const objective = (): number => loss.compute(model.forward(batch, 'train'), targets, batch, 3, null);
    model.grads.fill(Number.NaN);
    loss.compute(model.forward(batch, 'train'), targets, batch, 3, model.outputGrad);
    model.backward(batch);
    // The mean loss is small (gradients ~1e-2), so relative to it: rounding of the logits
    // (≲ 6e-8·3 per logit, / 2h) stays under 1e-5.
    const tol: Tolerance = { rtol: 1e-3, atol: 2e-5 };
    for (const p of model.parameters) {
      expectGradientsAgree(p.fullName, p.grad, numericGradient(p.value, objective, LAYER_H), p.value.length, tol);
    }
    expect(model.parameters.map((p) => p.fullName)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias', '7.weight', '7.bias']);
  });
});
