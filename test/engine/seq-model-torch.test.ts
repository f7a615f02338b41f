/**
 * causal_self_attention, residual blocks, linear over a sequence's last dimension and the
 * sequence cross entropy against PyTorch.
 *
 * Fixtures: test/fixtures/torch/seq_model_fixtures.py (PyTorch 1.13) wrote seq_model_layers.json:
 *
 *     /usr/bin/python3 test/fixtures/torch/seq_model_fixtures.py
 *
 * Each case runs one layer forward and backward on torch's x, dy and parameters (loaded by their
 * torch names, so the names are checked too) and compares y, dx and every parameter gradient with
 * torch's float64 result for the same inputs (the accurate answer):
 *
 *     |ours − torch64| ≤ 1e-5 · max(|torch64|, FLOOR · max|torch64|) + |torch32 − torch64|
 *
 * The floor (FLOOR = 1e-2 of the tensor's largest entry) is for entries that are small because
 * their terms cancel; the last term is torch's own float32 rounding, which no float32
 * implementation can beat. Inputs are sized so a wrong mask, head split or scale is off by far more.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { crossEntropy } from '../../src/engine/losses/cross-entropy.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf } from '../../src/core/shape.js';
import { allocFloat32 } from '../../src/kernels/arena.js';

const RELATIVE = 1e-5;
const FLOOR = 1e-2;

interface Grads {
  y: number[];
  dx: number[];
  param_grads: Record<string, number[]>;
}

interface LayerCase extends Grads {
  id: string;
  config: unknown;
  batch: number;
  in_shape: number[];
  out_shape: number[];
  x: number[];
  dy: number[];
  params: { name: string; shape: number[]; value: number[] }[];
  float64: Grads;
}

interface LossCase {
  batch: number;
  positions: number;
  classes: number;
  logits: number[];
  targets: number[];
  loss: number;
  grad: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/seq_model_layers.json', import.meta.url), 'utf8')) as { cases: LayerCase[]; sequence_cross_entropy: LossCase };

function expectClose(label: string, ours: ArrayLike<number>, torch32: readonly number[], torch64: readonly number[]): void {
  expect(ours.length, `${label}: length`).toBe(torch64.length);
  const scale = FLOOR * torch64.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < torch64.length; i++) {
    const allowed = RELATIVE * Math.max(Math.abs(torch64[i]), scale) + Math.abs(torch32[i] - torch64[i]);
    if (!(Math.abs(ours[i] - torch64[i]) <= allowed)) {
      expect.fail(`${label}[${i}]: ours ${ours[i]}, torch float64 ${torch64[i]}, float32 ${torch32[i]} (allowed ±${allowed})`);
    }
  }
}

/** The values in the engine memory, where the GEMM kernels run (as the model places them). */
const engine = (values: readonly number[]): Float32Array => {
  const out = allocFloat32(values.length);
  out.set(values);
  return out;
};

describe('sequence layers against torch', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const config = layerSchema.parse(c.config) as LayerConfig;
      const plan = planLayer(config, c.in_shape);
      expect(plan.outShape).toEqual(c.out_shape);
      expect(plan.parameters.map((p) => p.name)).toEqual(c.params.map((p) => p.name));
      const parameters: Parameter[] = plan.parameters.map((spec, i) => {
        expect(spec.shape).toEqual(c.params[i].shape);
        const grad = allocFloat32(sizeOf(spec.shape));
        grad.fill(NaN); // backward must write every element
        return { ...spec, value: engine(c.params[i].value), grad };
      });
      const layer = plan.build(parameters, { maxBatch: c.batch, rng: new Rng(0, 'dropout') }, []);
      const x = engine(c.x);
      const y = allocFloat32(c.batch * sizeOf(plan.outShape));
      const dx = allocFloat32(x.length);
      layer.forward(x, y, c.batch, 'train');
      layer.backward(x, y, engine(c.dy), dx, c.batch);
      expectClose('y', y, c.y, c.float64.y);
      expectClose('dx', dx, c.dx, c.float64.dx);
      for (const p of parameters) expectClose(p.name, p.grad, c.param_grads[p.name], c.float64.param_grads[p.name]);
    });
  }

  it('cross entropy over every position is the mean of torch view(-1, vocab)', () => {
    const l = fixture.sequence_cross_entropy;
    const grad = new Float32Array(l.logits.length);
    // The training step hands a sequence's B·T positions to the loss as rows of V classes.
    const loss = crossEntropy.compute(Float32Array.from(l.logits), Float32Array.from(l.targets), l.batch * l.positions, l.classes, grad);
    expect(Math.abs(Math.fround(loss) - l.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(l.loss));
    for (let i = 0; i < grad.length; i++) expect(Math.abs(grad[i] - l.grad[i])).toBeLessThanOrEqual(1e-7);
  });
});
