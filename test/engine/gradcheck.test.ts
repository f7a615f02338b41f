/**
 * Finite-difference gradient checks for every layer, every loss and one whole model.
 *
 * Layers are checked on the scalar objective L = Σ y·r with a fixed random r (float32 values,
 * so dy = r exactly). L is summed in float64 from the float32 outputs, and the finite
 * difference divides by the step actually stored (see finite-difference.ts). Error budget:
 *  - rounding: between L(x+h) and L(x−h) only the outputs that depend on the perturbed entry
 *    change; every other term is bit-identical and cancels exactly. Each changed output carries
 *    one float32 rounding, ≤ 2⁻²⁴·|y| ≈ 6e-8·|y|, so with |y|,|r| ≲ 3 and at most a handful of
 *    changed outputs the difference quotient is off by ≲ 10·6e-8·3/(2h) ≈ 1e-4 at h = 1e-2.
 *  - truncation: central differences err by h²/6·|f'''|; for the smooth activations here
 *    |f'''| ≤ 2 (tanh at 0), i.e. ≲ 3.4e-5 at h = 1e-2; linear/flatten/dropout have none.
 * Hence h = 1e-2 and |analytic − numeric| ≤ 1e-4 + 1e-3·|g|, at the worst-case budget (the
 * errors measured on these seeds are ~1e-5, at most ~5% of the tolerance), yet far below what
 * a wrong derivative does: the self-test below shows a 1% error is rejected. Kinks (relu,
 * leaky_relu at 0) are avoided by drawing inputs with |x| ≥ 0.1 ≫ h.
 *
 * Losses read float32 outputs but compute in float64, so there only truncation matters: bce's
 * third derivative is ~2/p³ (≈ 1.6e4 at p = 0.05), so h = 1e-4 keeps h²/6·f''' ≈ 3e-5 relative
 * to the mean-loss gradient, checked with a 1e-4 relative tolerance.
 *
 * Every buffer slot the call must write (dx, parameter grads) is pre-filled with NaN, and the
 * buffers are sized for a larger batch than the one run, with NaN in the unused tail, so a layer
 * that forgets to write a gradient or reads past `batch` fails.
 */
import { describe, expect, it } from 'vitest';
import type { Layer, Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds, type LossName } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf, type Shape } from '../../src/core/shape.js';
import {
  awayFromZero,
  describeMismatch,
  numericGradient,
  project,
  uniformArray,
  worstMismatch,
  type Tolerance,
} from './finite-difference.js';

const LAYER_H = 1e-2;
const LAYER_TOL: Tolerance = { rtol: 1e-3, atol: 1e-4 };
const LOSS_H = 1e-4;
const LOSS_TOL: Tolerance = { rtol: 1e-4, atol: 1e-7 };

function expectGradientsAgree(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, n: number, tol: Tolerance): void {
  const w = worstMismatch(analytic, numeric, n, tol);
  if (process.env.GRADCHECK_DEBUG) console.log(describeMismatch(label, w));
  expect(w.ratio, describeMismatch(label, w)).toBeLessThanOrEqual(1);
}

interface BuiltLayer {
  readonly layer: Layer;
  readonly parameters: Parameter[];
  readonly inSize: number;
  readonly outSize: number;
}

/** Builds one layer on its own, with parameters uniform in [−1, 1) and NaN-filled grads. */
function buildLayer(config: LayerConfig, inShape: Shape, maxBatch: number, seed: number): BuiltLayer {
  const plan = planLayer(config, inShape);
  const init = new Rng(seed, 'init');
  const parameters: Parameter[] = plan.parameters.map((spec) => {
    const n = sizeOf(spec.shape);
    return { ...spec, value: uniformArray(init, n, -1, 1), grad: new Float32Array(n).fill(Number.NaN) };
  });
  const layer = plan.build(parameters, { maxBatch, rng: new Rng(seed, 'dropout') }, []);
  return { layer, parameters, inSize: sizeOf(inShape), outSize: sizeOf(plan.outShape) };
}

interface LayerCheck {
  readonly config: LayerConfig;
  readonly inShape: Shape;
  /** Draws the batch·inSize inputs. */
  readonly input: (rng: Rng, n: number) => Float32Array;
  /**
   * Rebuild the layer from the same seed for every objective evaluation. For dropout this
   * replays the same mask (a fresh Rng(seed, 'dropout') draws the same stream), so the finite
   * differences see the function x ↦ x·mask that backward differentiates.
   */
  readonly freshLayerPerEvaluation?: boolean;
}

const BATCH = 3;
const MAX_BATCH = 5;

/** Runs forward + backward once and checks dx and every parameter grad against finite differences. */
function checkLayer(check: LayerCheck, seed = 11): BuiltLayer {
  const built = buildLayer(check.config, check.inShape, MAX_BATCH, seed);
  const { layer, parameters, inSize, outSize } = built;
  const rng = new Rng(seed, 'data');
  const nIn = BATCH * inSize;
  const nOut = BATCH * outSize;

  const x = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);
  x.set(check.input(rng, nIn));
  const r = uniformArray(rng, nOut, -1, 1);
  const y = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  const dy = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  dy.set(r);
  const dx = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);

  layer.forward(x, y, BATCH, 'train');
  for (let i = 0; i < nOut; i++) expect(Number.isFinite(y[i]), `y[${i}] = ${y[i]}`).toBe(true);
  layer.backward(x, y, dy, dx, BATCH);

  const scratch = new Float32Array(MAX_BATCH * outSize);
  const objective = (): number => {
    const l = check.freshLayerPerEvaluation ? buildLayer(check.config, check.inShape, MAX_BATCH, seed).layer : layer;
    l.forward(x, scratch, BATCH, 'train');
    return project(scratch, r, nOut);
  };
  const inputIndices = Array.from({ length: nIn }, (_, i) => i);
  expectGradientsAgree('dx', dx, numericGradient(x, objective, LAYER_H, inputIndices), nIn, LAYER_TOL);
  for (const p of parameters) {
    expectGradientsAgree(p.name, p.grad, numericGradient(p.value, objective, LAYER_H), p.value.length, LAYER_TOL);
  }
  return built;
}

const smooth = (rng: Rng, n: number): Float32Array => uniformArray(rng, n, -3, 3);
const offKink = (rng: Rng, n: number): Float32Array => awayFromZero(rng, n, 0.1, 2);

describe('the gradient-check helper', () => {
  it('matches a known derivative and rejects a slightly wrong one', () => {
    // f(x) = Σ sin(x_i)·r_i, evaluated through float32 storage like a layer output.
    const rng = new Rng(1, 'data');
    const x = uniformArray(rng, 20, -2, 2);
    const r = uniformArray(rng, 20, -1, 1);
    const y = new Float32Array(20);
    const objective = (): number => {
      for (let i = 0; i < 20; i++) y[i] = Math.sin(x[i]);
      return project(y, r, 20);
    };
    const exact = Float64Array.from(x, (v, i) => Math.cos(v) * r[i]);
    const numeric = numericGradient(x, objective, LAYER_H);
    expect(worstMismatch(exact, numeric, 20, LAYER_TOL).ratio).toBeLessThanOrEqual(1);
    const offBy1Percent = exact.map((g) => g * 1.01);
    expect(worstMismatch(offBy1Percent, numeric, 20, LAYER_TOL).ratio).toBeGreaterThan(1);
    const halved = exact.map((g) => g / 2); // e.g. a forgotten factor or a wrong 1/B
    expect(worstMismatch(halved, numeric, 20, LAYER_TOL).ratio).toBeGreaterThan(1);
    const unwritten = Float64Array.from(exact);
    unwritten[7] = Number.NaN;
    expect(worstMismatch(unwritten, numeric, 20, LAYER_TOL).ratio).toBe(Infinity);
    // numericGradient leaves the point exactly where it was.
    expect(Array.from(x)).toEqual(Array.from(uniformArray(new Rng(1, 'data'), 20, -2, 2)));
  });
});

describe('layer gradients (finite differences on L = Σ y·r)', () => {
  it('linear with bias: dx, weight and bias', () => {
    const { parameters } = checkLayer({ config: { linear: { out_features: 4, bias: true } }, inShape: [5], input: smooth });
    expect(parameters.map((p) => [p.name, p.shape])).toEqual([
      ['weight', [4, 5]],
      ['bias', [4]],
    ]);
  });

  it('linear without bias: dx and weight, and no bias parameter', () => {
    const { parameters } = checkLayer({ config: { linear: { out_features: 3, bias: false } }, inShape: [4], input: smooth });
    expect(parameters.map((p) => p.name)).toEqual(['weight']);
  });

  it('linear flattens a multi-dimensional input (but for a sequence [T, C], whose last dimension it maps)', () => {
    const { parameters } = checkLayer({ config: { linear: { out_features: 2, bias: true } }, inShape: [2, 3, 2], input: smooth });
    expect(parameters[0].shape).toEqual([2, 12]);
  });

  it('linear as a first layer (dx = null) still writes its parameter grads', () => {
    const withDx = buildLayer({ linear: { out_features: 3, bias: true } }, [4], 2, 5);
    const withoutDx = buildLayer({ linear: { out_features: 3, bias: true } }, [4], 2, 5);
    const rng = new Rng(5, 'data');
    const x = uniformArray(rng, 8, -1, 1);
    const dy = uniformArray(rng, 6, -1, 1);
    const y = new Float32Array(6);
    withDx.layer.forward(x, y, 2, 'train');
    withDx.layer.backward(x, y, dy, new Float32Array(8), 2);
    withoutDx.layer.forward(x, y, 2, 'train');
    withoutDx.layer.backward(x, y, dy, null, 2);
    for (let k = 0; k < 2; k++) {
      expect(withoutDx.parameters[k].grad.every(Number.isFinite)).toBe(true);
      expect(Array.from(withoutDx.parameters[k].grad)).toEqual(Array.from(withDx.parameters[k].grad));
    }
  });

  it('relu (inputs kept ≥ 0.1 away from the kink)', () => {
    checkLayer({ config: 'relu', inShape: [6], input: offKink });
  });

  it('leaky_relu with a non-default slope', () => {
    const { layer } = checkLayer({ config: { leaky_relu: { negative_slope: 0.2 } }, inShape: [6], input: offKink });
    const y = new Float32Array(2);
    layer.forward(Float32Array.of(-2, 3), y, 1, 'eval');
    expect(Array.from(y)).toEqual([Math.fround(-0.4), 3]);
  });

  it('sigmoid', () => {
    checkLayer({ config: 'sigmoid', inShape: [6], input: smooth });
  });

  it('tanh', () => {
    checkLayer({ config: 'tanh', inShape: [6], input: smooth });
  });

  it('gelu, including the far tails', () => {
    checkLayer({ config: 'gelu', inShape: [6], input: smooth });
    checkLayer({ config: 'gelu', inShape: [4], input: (rng, n) => awayFromZero(rng, n, 4, 8) });
  });

  it('flatten: [2, 3, 2] → [12], gradient passed through unchanged', () => {
    const { layer } = checkLayer({ config: 'flatten', inShape: [2, 3, 2], input: smooth });
    expect(planLayer('flatten', [2, 3, 2]).outShape).toEqual([12]);
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);
    const y = new Float32Array(12);
    layer.forward(x, y, 1, 'train');
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('dropout (train): finite differences with the mask replayed from the same seed', () => {
    checkLayer({ config: { dropout: { p: 0.3 } }, inShape: [8], input: offKink, freshLayerPerEvaluation: true });
  });
});

describe('dropout mask structure', () => {
  const p = 0.3;
  const n = 400;
  const run = (seed: number) => {
    const { layer } = buildLayer({ dropout: { p } }, [n], 1, seed);
    const rng = new Rng(seed, 'data');
    const x = awayFromZero(rng, n, 0.1, 2);
    const dy = uniformArray(rng, n, -1, 1);
    const y = new Float32Array(n);
    const dx = new Float32Array(n).fill(Number.NaN);
    layer.forward(x, y, 1, 'train');
    layer.backward(x, y, dy, dx, 1);
    return { layer, x, y, dy, dx };
  };

  it('zeroes about p of the elements, scales the rest by 1/(1−p), and dx = dy·(y/x)', () => {
    const { x, y, dy, dx } = run(3);
    const keep = Math.fround(1 / (1 - p));
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === 0) {
        dropped++;
        expect(dx[i] === 0, `dx[${i}] = ${dx[i]}`).toBe(true); // ±0: dy·0 keeps dy's sign
      } else {
        expect(y[i]).toBe(Math.fround(x[i] * keep));
        expect(dx[i]).toBe(Math.fround(dy[i] * keep));
      }
      // The same statement without knowing the scale: the gradient is dy times the per-element factor y/x.
      expect(Math.abs(dx[i] - (dy[i] * y[i]) / x[i])).toBeLessThanOrEqual(1e-6 * Math.abs(dx[i]) + 1e-12);
    }
    // Binomial(400, 0.3): mean 120, sd ≈ 9.2; ±4 sd.
    expect(dropped).toBeGreaterThan(120 - 37);
    expect(dropped).toBeLessThan(120 + 37);
  });

  it('backward uses the mask of the latest forward, and successive forwards draw new masks', () => {
    const { layer, x, y: first } = run(4);
    const second = new Float32Array(n);
    layer.forward(x, second, 1, 'train');
    expect(Array.from(second)).not.toEqual(Array.from(first));
    const dy = new Float32Array(n).fill(1);
    const dx = new Float32Array(n);
    layer.backward(x, second, dy, dx, 1);
    for (let i = 0; i < n; i++) expect(dx[i] === 0).toBe(second[i] === 0);
  });

  it('the same seed replays the same mask (what the finite-difference check relies on)', () => {
    expect(Array.from(run(9).y)).toEqual(Array.from(run(9).y));
    expect(Array.from(run(9).y)).not.toEqual(Array.from(run(10).y));
  });

  it('is the identity in eval mode, and p = 0 / p = 1 keep / drop everything', () => {
    const x = Float32Array.of(1.5, -2, 3, 0.25);
    const y = new Float32Array(4);
    buildLayer({ dropout: { p: 0.5 } }, [4], 1, 1).layer.forward(x, y, 1, 'eval');
    expect(Array.from(y)).toEqual(Array.from(x));
    buildLayer({ dropout: { p: 0 } }, [4], 1, 1).layer.forward(x, y, 1, 'train');
    expect(Array.from(y)).toEqual(Array.from(x));
    const all = buildLayer({ dropout: { p: 1 } }, [4], 1, 1).layer;
    all.forward(x, y, 1, 'train');
    expect(Array.from(y, Math.abs)).toEqual([0, 0, 0, 0]); // x·0 is −0 for negative x, as in torch
    const dx = new Float32Array(4).fill(Number.NaN);
    all.backward(x, y, Float32Array.of(1, 1, 1, 1), dx, 1);
    expect(Array.from(dx, Math.abs)).toEqual([0, 0, 0, 0]);
  });
});

describe('loss gradients (finite differences on the mean loss)', () => {
  interface LossCase {
    readonly name: LossName;
    readonly width: number;
    readonly out: (rng: Rng, n: number) => Float32Array;
    readonly target: (rng: Rng, batch: number, width: number) => Float32Array;
    /** The mean loss computed here independently, for a value check. */
    readonly reference: (out: Float32Array, target: Float32Array, batch: number, width: number) => number;
  }

  const batch = 4;
  const cases: LossCase[] = [
    {
      name: 'cross_entropy',
      width: 5,
      out: (rng, n) => uniformArray(rng, n, -3, 3),
      target: (rng, b, w) => Float32Array.from({ length: b }, () => rng.below(w)),
      reference: (out, target, b, w) => {
        let total = 0;
        for (let i = 0; i < b; i++) {
          let sumExp = 0;
          for (let j = 0; j < w; j++) sumExp += Math.exp(out[i * w + j]);
          total += Math.log(sumExp) - out[i * w + target[i]];
        }
        return total / b;
      },
    },
    {
      name: 'bce',
      width: 3,
      out: (rng, n) => uniformArray(rng, n, 0.05, 0.95),
      // Soft targets exercise both terms of the loss at once.
      target: (rng, b, w) => uniformArray(rng, b * w, 0, 1),
      reference: (out, target, b, w) => {
        let total = 0;
        for (let i = 0; i < b * w; i++) total -= target[i] * Math.log(out[i]) + (1 - target[i]) * Math.log(1 - out[i]);
        return total / (b * w);
      },
    },
    {
      name: 'bce_with_logits',
      width: 3,
      out: (rng, n) => uniformArray(rng, n, -6, 6),
      target: (rng, b, w) => Float32Array.from({ length: b * w }, () => (rng.uniform() < 0.5 ? 0 : 1)),
      reference: (out, target, b, w) => {
        let total = 0;
        for (let i = 0; i < b * w; i++) {
          const p = 1 / (1 + Math.exp(-out[i]));
          total -= target[i] * Math.log(p) + (1 - target[i]) * Math.log(1 - p);
        }
        return total / (b * w);
      },
    },
    {
      name: 'mse',
      width: 2,
      out: (rng, n) => uniformArray(rng, n, -2, 2),
      target: (rng, b, w) => uniformArray(rng, b * w, -1, 1),
      reference: (out, target, b, w) => {
        let total = 0;
        for (let i = 0; i < b * w; i++) total += (out[i] - target[i]) ** 2;
        return total / (b * w);
      },
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ∂loss/∂out matches finite differences, and the value matches the definition`, () => {
      const { loss } = lossKinds[c.name];
      const rng = new Rng(21, 'data');
      const n = batch * c.width;
      const out = c.out(rng, n);
      const target = c.target(rng, batch, c.width);
      const dOut = new Float32Array(n).fill(Number.NaN);
      const value = loss.compute(out, target, batch, c.width, dOut);
      expect(value).toBeCloseTo(c.reference(out, target, batch, c.width), 10);
      // Asking for no gradient gives the same value.
      expect(loss.compute(out, target, batch, c.width, null)).toBe(value);
      const numeric = numericGradient(out, () => loss.compute(out, target, batch, c.width, null), LOSS_H);
      expectGradientsAgree(`${c.name} dOut`, dOut, numeric, n, LOSS_TOL);
    });
  }

  it('cross_entropy stays finite and correct for huge logits (max-shifted log-softmax)', () => {
    const { loss } = lossKinds.cross_entropy;
    const out = Float32Array.of(1000, 0, -1000, 500, 501, 499);
    const dOut = new Float32Array(6);
    const value = loss.compute(out, Float32Array.of(0, 2), 2, 3, dOut);
    // Sample 0: log(1 + e^-1000 + e^-2000) ≈ 0. Sample 1: log(e^-1 + 1 + e^-2) + 1 with label 2 (logit 499).
    const expected1 = Math.log(Math.exp(-1) + 1 + Math.exp(-2)) + 2;
    expect(value).toBeCloseTo(expected1 / 2, 12);
    expect(Array.from(dOut).every(Number.isFinite)).toBe(true);
    expect(dOut[0]).toBeCloseTo(0, 12);
  });

  it('bce_with_logits stays finite for large logits of either sign', () => {
    const { loss } = lossKinds.bce_with_logits;
    const out = Float32Array.of(-200, 200);
    const dOut = new Float32Array(2);
    const value = loss.compute(out, Float32Array.of(1, 0), 1, 2, dOut);
    expect(value).toBeCloseTo(200, 10);
    expect(dOut[0]).toBeCloseTo(-0.5, 12);
    expect(dOut[1]).toBeCloseTo(0.5, 12);
  });
});

describe('a whole model: Sequential(linear, tanh, linear) + cross_entropy', () => {
  it('∂loss/∂params from backward matches finite differences for every parameter', () => {
    const plan = planModel([{ linear: { out_features: 5, bias: true } }, 'tanh', { linear: { out_features: 3, bias: true } }], [4]);
    const batch = 6;
    const model = new Model(plan, 8, 2024);
    expect(model.parameters.map((p) => p.fullName)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const rng = new Rng(2024, 'data');
    model.input.fill(Number.NaN);
    model.input.set(uniformArray(rng, batch * 4, -2, 2));
    const target = Float32Array.from({ length: batch }, () => rng.below(3));
    const { loss } = lossKinds.cross_entropy;

    const out = model.forward(batch, 'train');
    loss.compute(out, target, batch, 3, model.outputGrad);
    model.grads.fill(Number.NaN);
    model.backward(batch);

    const objective = (): number => loss.compute(model.forward(batch, 'eval'), target, batch, 3, null);
    // The loss is a mean of O(1) terms, so its gradients are ~1e-2; the float32 logits carry
    // ~6e-8 relative rounding, i.e. ~1e-7 in the loss, ~1e-5 in a quotient with h = 1e-2.
    const numeric = numericGradient(model.values, objective, LAYER_H);
    for (const p of model.parameters) {
      const start = (p.value.byteOffset - model.values.byteOffset) / 4; // offset within the flat vector
      const slice = numeric.subarray(start, start + p.value.length);
      expectGradientsAgree(p.fullName, p.grad, slice, p.value.length, { rtol: 1e-3, atol: 3e-5 });
    }
    // The whole vector is covered, and the gradient is not trivially zero.
    expect(model.grads.length).toBe(plan.parameterCount);
    expect(Math.max(...Array.from(model.grads, Math.abs))).toBeGreaterThan(1e-3);
  });
});
