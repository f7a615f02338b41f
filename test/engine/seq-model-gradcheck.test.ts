/**
 * Finite-difference gradient checks for causal_self_attention (several shapes and head counts,
 * with and without bias), a residual block around it and around an MLP, and linear over a
 * sequence's last dimension.
 *
 * As in seq-gradcheck.test.ts (helpers in finite-difference.ts): the objective is L = Σ y·r for a
 * fixed random r (so dy = r exactly), summed in float64 from the float32 outputs, the difference
 * quotient divides by the step actually stored, and every gradient buffer starts NaN so an
 * unwritten entry fails. h = 1e-2 and |g − g_numeric| ≤ 1e-4 + 1e-3·|g|: attention is smooth
 * (softmax of bilinear scores) with O(1) third derivatives at these sizes (weights in ±0.5,
 * inputs in ±1), so the truncation error h²/6·|f'''| stays under the tolerance.
 *
 * The key part of in_proj_bias is checked to be exactly 0 (and so is its numeric gradient, to
 * rounding): the layer writes that 0 on purpose (see causal-self-attention.ts).
 */
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf, type Shape } from '../../src/core/shape.js';
import { describeMismatch, numericGradient, project, uniformArray, worstMismatch, type Tolerance } from './finite-difference.js';

const H = 1e-2;
const TOL: Tolerance = { rtol: 1e-3, atol: 1e-4 };
const BATCH = 2;

const CASES: [string, unknown, Shape][] = [
  ['attention T=5 C=4 1 head', { causal_self_attention: 1 }, [5, 4]],
  ['attention T=6 C=6 3 heads', { causal_self_attention: 3 }, [6, 6]],
  ['attention T=4 C=8 2 heads, no bias', { causal_self_attention: { num_heads: 2, bias: false } }, [4, 8]],
  ['residual attention', { residual: ['layernorm', { causal_self_attention: 2 }] }, [4, 4]],
  ['residual MLP', { residual: [{ linear: 8 }, 'gelu', { linear: 4 }] }, [3, 4]],
  ['linear over a sequence', { linear: 3 }, [4, 5]],
];

describe('sequence model layers: analytic gradients match finite differences', () => {
  for (const [label, raw, inShape] of CASES) {
    it(label, () => {
      const plan = planLayer(layerSchema.parse(raw) as LayerConfig, inShape);
      const rng = new Rng(label.length, 'init');
      const parameters: Parameter[] = plan.parameters.map((spec) => {
        const n = sizeOf(spec.shape);
        return { ...spec, value: uniformArray(rng, n, -0.5, 0.5), grad: new Float32Array(n).fill(Number.NaN) };
      });
      const layer = plan.build(parameters, { maxBatch: BATCH, rng: new Rng(0, 'dropout') }, []);
      const inSize = BATCH * sizeOf(inShape);
      const outSize = BATCH * sizeOf(plan.outShape);
      const x = uniformArray(rng, inSize, -1, 1);
      const r = uniformArray(rng, outSize, -1, 1);
      const y = new Float32Array(outSize);
      const dx = new Float32Array(inSize).fill(Number.NaN);
      const objective = (): number => {
        layer.forward(x, y, BATCH, 'train');
        return project(y, r, outSize);
      };
      objective();
      layer.backward(x, y, r, dx, BATCH);
      const check = (name: string, analytic: Float32Array, values: Float32Array): void => {
        const w = worstMismatch(analytic, numericGradient(values, objective, H), values.length, TOL);
        expect(w.ratio, describeMismatch(name, w)).toBeLessThanOrEqual(1);
      };
      check('dx', dx, x);
      for (const p of parameters) check(p.name, p.grad, p.value);
      const inBias = parameters.find((p) => p.name.endsWith('in_proj_bias'));
      if (inBias !== undefined) {
        const c = inBias.value.length / 3;
        expect(Array.from(inBias.grad.subarray(c, 2 * c))).toEqual(new Array(c).fill(0));
      }
    });
  }
});
