/**
 * Finite-difference gradient checks for the sequence layers: embedding (weight only — token ids
 * have no gradient), position_embedding, layernorm (with and without affine), lstm and gru
 * (one and two layers, with and without bias, T = 1).
 *
 * As in cnn-gradcheck.test.ts (same helpers, finite-difference.ts): the objective is L = Σ y·r
 * for a fixed random r (so dy = r exactly), summed in float64 from the float32 outputs, and the
 * difference quotient divides by the step actually stored. The buffers are sized for a larger
 * batch than the one run, NaN-filled in the unused tail and in every gradient buffer, so a
 * gradient left unwritten, or a read past the batch, fails.
 *
 * Error budget, h = 1e-2, |g_analytic − g_numeric| ≤ 1e-4 + 1e-3·|g|:
 *  - embedding and position_embedding are linear in their weights (and the input), so central
 *    differences are exact up to the float32 rounding of the outputs (≲ 1e-5 here).
 *  - layernorm, lstm and gru are smooth with O(1) third derivatives at these inputs (|x| ≤ 2,
 *    weights in ±1), so the truncation error h²/6·|f'''| ≈ 2e-5·|f'''| is under the tolerance.
 * Measured on these seeds: at most 0.26× the tolerance (an lstm weight_ih_l0 entry).
 * GRADCHECK_DEBUG=1 prints the worst entry of every comparison.
 */
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { Layer, Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf, type Shape } from '../../src/core/shape.js';
import { describeMismatch, numericGradient, project, uniformArray, worstMismatch, type Tolerance } from './finite-difference.js';

const H = 1e-2;
const TOL: Tolerance = { rtol: 1e-3, atol: 1e-4 };
const BATCH = 3;
const MAX_BATCH = 4;

function expectGradientsAgree(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, n: number): void {
  const w = worstMismatch(analytic, numeric, n, TOL);
  if (process.env.GRADCHECK_DEBUG) console.log(describeMismatch(label, w));
  expect(w.ratio, describeMismatch(label, w)).toBeLessThanOrEqual(1);
}

interface Built {
  readonly layer: Layer;
  readonly parameters: Parameter[];
  readonly inSize: number;
  readonly outSize: number;
}

/** One layer on its own: parameters uniform in [−1, 1), NaN-filled grads. */
function build(config: LayerConfig, inShape: Shape, seed: number): Built {
  const plan = planLayer(config, inShape);
  const init = new Rng(seed, 'init');
  const parameters: Parameter[] = plan.parameters.map((spec) => {
    const n = sizeOf(spec.shape);
    return { ...spec, value: uniformArray(init, n, -1, 1), grad: new Float32Array(n).fill(Number.NaN) };
  });
  const layer = plan.build(parameters, { maxBatch: MAX_BATCH, rng: new Rng(seed, 'dropout') }, []);
  return { layer, parameters, inSize: sizeOf(inShape), outSize: sizeOf(plan.outShape) };
}

type Input = (rng: Rng, n: number) => Float32Array;
const smooth: Input = (rng, n) => uniformArray(rng, n, -2, 2);
const tokens =
  (vocabulary: number): Input =>
  (rng, n) =>
    Float32Array.from({ length: n }, () => rng.below(vocabulary));

/** Forward + backward once, then dx (unless the input is token ids) and every parameter gradient against finite differences. */
function check(configValue: unknown, inShape: Shape, input: Input = smooth, seed = 7): { parameters: Parameter[]; dx: Float32Array } {
  const config = layerSchema.parse(configValue) as LayerConfig;
  const { layer, parameters, inSize, outSize } = build(config, inShape, seed);
  const rng = new Rng(seed, 'data');
  const nIn = BATCH * inSize;
  const nOut = BATCH * outSize;
  const x = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);
  x.set(input(rng, nIn));
  const r = uniformArray(rng, nOut, -1, 1);
  const y = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  const dy = new Float32Array(MAX_BATCH * outSize).fill(Number.NaN);
  dy.set(r);
  const dx = new Float32Array(MAX_BATCH * inSize).fill(Number.NaN);
  layer.forward(x, y, BATCH, 'train');
  for (let i = 0; i < nOut; i++) expect(Number.isFinite(y[i]), `y[${i}] = ${y[i]}`).toBe(true);
  expect(y.subarray(nOut).every(Number.isNaN), 'nothing written past the batch').toBe(true);
  layer.backward(x, y, dy, dx, BATCH);
  expect(dx.subarray(nIn).every(Number.isNaN), 'dx: nothing written past the batch').toBe(true);

  const scratch = new Float32Array(MAX_BATCH * outSize);
  const objective = (): number => {
    layer.forward(x, scratch, BATCH, 'train');
    return project(scratch, r, nOut);
  };
  if (input === smooth) expectGradientsAgree('dx', dx, numericGradient(x, objective, H, Array.from({ length: nIn }, (_, i) => i)), nIn);
  for (const p of parameters) expectGradientsAgree(p.name, p.grad, numericGradient(p.value, objective, H), p.value.length);
  return { parameters, dx: dx.subarray(0, nIn) };
}

describe('embedding, position_embedding and layernorm gradients (finite differences)', () => {
  it('embedding: the weight (rows no id uses get 0); dx is 0', () => {
    const { parameters, dx } = check({ embedding: { num_embeddings: 9, embedding_dim: 4 } }, [5], tokens(9));
    expect(dx.every((v) => v === 0)).toBe(true);
    expect(parameters.map((p) => p.name)).toEqual(['weight']);
  });

  it('position_embedding: dx and the weight (positions past T get 0)', () => {
    const { parameters } = check({ position_embedding: 6 }, [4, 3]);
    expect(Array.from(parameters[0].grad.subarray(4 * 3))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('layernorm over a sequence: dx, weight and bias', () => {
    check('layernorm', [4, 5]);
  });

  it('layernorm without affine, eps 1e-3, T = 1', () => {
    const { parameters } = check({ layernorm: { eps: 1e-3, elementwise_affine: false } }, [1, 6]);
    expect(parameters).toEqual([]);
  });
});

describe('lstm and gru gradients, backward through time (finite differences)', () => {
  for (const kind of ['lstm', 'gru'] as const) {
    const names = (layers: number, bias: boolean): string[] =>
      Array.from({ length: layers }, (_, l) => [`weight_ih_l${l}`, `weight_hh_l${l}`, ...(bias ? [`bias_ih_l${l}`, `bias_hh_l${l}`] : [])]).flat();

    it(`${kind}: one layer, T = 5`, () => {
      const { parameters } = check({ [kind]: 4 }, [5, 3]);
      expect(parameters.map((p) => p.name)).toEqual(names(1, true));
    });

    it(`${kind}: two layers`, () => {
      const { parameters } = check({ [kind]: { hidden_size: 3, num_layers: 2 } }, [4, 2]);
      expect(parameters.map((p) => p.name)).toEqual(names(2, true));
    });

    it(`${kind}: no bias, T = 1`, () => {
      const { parameters } = check({ [kind]: { hidden_size: 3, bias: false } }, [1, 4]);
      expect(parameters.map((p) => p.name)).toEqual(names(1, false));
    });
  }
});
