/**
 * The sequence layers (embedding, position_embedding, layernorm, lstm, gru) against PyTorch.
 *
 * Fixtures: test/fixtures/torch/seq_fixtures.py (PyTorch 1.13, float32, fixed seeds) wrote
 * seq_layers.json. To regenerate:
 *
 *     /usr/bin/python3 test/fixtures/torch/seq_fixtures.py
 *
 * and commit it (CI never runs Python). Each case runs one layer forward and backward on torch's
 * x, dy and parameters and compares y, dx and every parameter gradient with torch's float64
 * results for the same float32 inputs (the accurate answer), allowing torch's own float32 error
 * at that element on top of the relative tolerance:
 *
 *     |ours − torch64| ≤ 1e-5 · max(|torch64|, FLOOR) + |torch32 − torch64|,   FLOOR = 1e-2
 *
 * FLOOR is test/engine/torch-layers.test.ts's: values near 0 are sums that cancel, accurate to
 * a few ulps of their terms (≈ 1) only. A wrong term, a missed row or a gate in the wrong place
 * is off by orders of magnitude more. Token ids have no gradient in torch; ours must be 0.
 * The buffers are sized one sample larger than the batch and NaN-filled: nothing past the
 * batch may be read or written, and every gradient element must be written.
 *
 * Set TORCH_FIXTURE_REPORT=1 to print the worst relative errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import type { Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf } from '../../src/core/shape.js';

const RELATIVE = 1e-5;
const FLOOR = 1e-2;
const REPORT = Boolean(process.env.TORCH_FIXTURE_REPORT);

interface Computed {
  y: number[];
  dx: number[] | null;
  param_grads: Record<string, number[]>;
}

interface LayerCase extends Computed {
  id: string;
  config: unknown;
  torch_module: string;
  in_shape: number[];
  out_shape: number[];
  batch: number;
  x: number[];
  dy: number[];
  params: { name: string; shape: number[]; value: number[] }[];
  float64: Computed;
}

const fixture = new URL('../fixtures/torch/seq_layers.json', import.meta.url);
const cases = (JSON.parse(readFileSync(fixture, 'utf8')) as { cases: LayerCase[] }).cases;

function expectClose(label: string, ours: ArrayLike<number>, torch32: readonly number[], torch64: readonly number[]): void {
  expect(ours.length, `${label}: length`).toBe(torch64.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < torch64.length; i++) {
    const allowed = RELATIVE * Math.max(Math.abs(torch64[i]), FLOOR) + Math.abs(torch32[i] - torch64[i]);
    const used = Math.abs(ours[i] - torch64[i]) / allowed;
    if (!(used <= worst)) {
      worst = used;
      at = i;
    }
  }
  if (REPORT) console.log(`${label}: worst ${worst.toFixed(3)} of the tolerance`);
  const detail = at < 0 ? '' : ` at [${at}]: ours ${ours[at]}, torch float32 ${torch32[at]}, float64 ${torch64[at]}`;
  expect(worst, `${label}: ${worst} of the tolerance${detail}`).toBeLessThanOrEqual(1);
}

function runCase(c: LayerCase): { y: Float32Array; dx: Float32Array; grads: Record<string, Float32Array> } {
  const plan = planLayer(layerSchema.parse(c.config) as LayerConfig, c.in_shape);
  expect([...plan.outShape]).toEqual(c.out_shape);
  expect(plan.parameters.map((p) => ({ name: p.name, shape: [...p.shape] }))).toEqual(c.params.map((p) => ({ name: p.name, shape: p.shape })));
  const parameters: Parameter[] = plan.parameters.map((spec, i) => ({
    ...spec,
    value: Float32Array.from(c.params[i].value),
    grad: new Float32Array(sizeOf(spec.shape)).fill(NaN),
  }));
  const layer = plan.build(parameters, { maxBatch: c.batch + 1, rng: new Rng(0, 'dropout') }, []);
  const inSize = sizeOf(c.in_shape);
  const outSize = sizeOf(plan.outShape);
  const x = new Float32Array((c.batch + 1) * inSize).fill(NaN);
  x.set(c.x);
  const y = new Float32Array((c.batch + 1) * outSize).fill(NaN);
  const dy = new Float32Array((c.batch + 1) * outSize).fill(NaN);
  dy.set(c.dy);
  const dx = new Float32Array((c.batch + 1) * inSize).fill(NaN);
  layer.forward(x, y, c.batch, 'train');
  layer.backward(x, y, dy, dx, c.batch);
  expect(y.subarray(c.batch * outSize).every(Number.isNaN), 'y past the batch').toBe(true);
  expect(dx.subarray(c.batch * inSize).every(Number.isNaN), 'dx past the batch').toBe(true);
  return { y: y.subarray(0, c.batch * outSize), dx: dx.subarray(0, c.batch * inSize), grads: Object.fromEntries(parameters.map((p) => [p.name, p.grad])) };
}

describe('sequence layers match torch (seq_layers.json)', () => {
  it('covers every sequence layer', () => {
    const names = new Set(cases.map((c) => (typeof c.config === 'string' ? c.config : Object.keys(c.config as object)[0])));
    expect([...names].sort()).toEqual(['embedding', 'gru', 'layernorm', 'lstm', 'position_embedding']);
  });

  for (const c of cases) {
    it(`${c.id} (${c.torch_module.split('\n')[0]}): y, dx and parameter gradients`, () => {
      const ours = runCase(c);
      expectClose(`${c.id} y`, ours.y, c.y, c.float64.y);
      if (c.dx === null || c.float64.dx === null) expect(ours.dx.every((v) => v === 0), 'token ids have no gradient').toBe(true);
      else expectClose(`${c.id} dx`, ours.dx, c.dx, c.float64.dx);
      expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(c.param_grads).sort());
      for (const [name, grad] of Object.entries(ours.grads)) expectClose(`${c.id} d${name}`, grad, c.param_grads[name], c.float64.param_grads[name]);
    });
  }
});

describe("sequence layers initialize as torch's modules", () => {
  it('embedding and position_embedding: N(0, 1) (nn.Embedding); layernorm: weight 1, bias 0', () => {
    const layers = [{ embedding: { num_embeddings: 64, embedding_dim: 32 } }, { position_embedding: 40 }, 'layernorm'].map(
      (l) => layerSchema.parse(l) as LayerConfig,
    );
    const model = new Model(planModel(layers, [40]), 1, 3);
    const byName = Object.fromEntries(model.parameters.map((p) => [p.fullName, p.value]));
    expect(Object.keys(byName)).toEqual(['0.weight', '1.weight', '2.weight', '2.bias']);
    for (const name of ['0.weight', '1.weight']) {
      const values = Array.from(byName[name]);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
      // 2048 and 1280 draws: the sample mean is within 4 standard errors (≤ 0.12) of 0, the std of 1.
      expect(Math.abs(mean), `${name} mean`).toBeLessThan(0.12);
      expect(Math.abs(std - 1), `${name} std`).toBeLessThan(0.08);
    }
    expect(Array.from(byName['2.weight']).every((v) => v === 1)).toBe(true);
    expect(Array.from(byName['2.bias']).every((v) => v === 0)).toBe(true);
  });
});
