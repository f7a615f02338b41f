/**
 * Layers and losses against PyTorch.
 *
 * The fixtures test/fixtures/torch/layers.json and losses.json were written by
 * test/fixtures/torch/generate.py (PyTorch 1.13, float32, fixed seeds). To regenerate them:
 *
 *     /usr/bin/python3 test/fixtures/torch/generate.py
 *
 * and commit the JSON (CI never runs Python). Values are stored unrounded, so JSON.parse gives
 * back torch's exact float32 numbers.
 *
 * Tolerance: |ours − torch| ≤ 1e-5 · max(|torch|, floor), i.e. relative 1e-5 except below the
 * floor, where it becomes an absolute 1e-5·floor. The floor is FLOOR = 1e-2 (absolute 1e-7, about
 * one float32 ulp at 1): values computed from O(1) operands that nearly cancel (a bias gradient
 * summing to ~0, 1 − y² for a saturated tanh) are only accurate to an ulp of the operands, in torch
 * as in ours, not to an ulp of the small result.
 *
 * Every case is checked twice: against torch's float32 result (what a torch user sees) and against
 * torch's float64 result for the same inputs (the fixture's "float64" block: the accurate answer).
 *
 * Two refinements, both for the parameter-free elementwise layers (dx = dy·f'(x)):
 *  - their dx is compared as f'(x) would be, so its floor is FLOOR·|dy| per element. Like torch,
 *    we take tanh' = 1 − y² and σ' = y(1 − y) from the float32 output y, whose rounding moves f' by
 *    up to ~6e-8: under 1e-5·FLOOR per unit of dy, but not under 1e-7 absolute when |dy| ≈ 2.
 *  - torch's float32 GELU computes x·½·(1 + erf(x/√2)); for x < −3 the 1 + erf cancels, so its y and
 *    dx are only accurate to ~2.7e-7·|x| and ~2.5e-7·|dy| (measured over a dense sweep of [−8, 8]; at
 *    x = −3 it is 4e-5 off relative, at x = −6 it returns 0 for −5.9e-9). Our GELU uses erfc and
 *    meets the normal tolerance against float64; against torch's float32 values its floor is
 *    GELU_F32_FLOOR = 0.05 per unit of |x| (y) or |dy| (dx), i.e. an absolute 5e-7·|x|, twice
 *    torch's own worst error.
 *
 * Set TORCH_FIXTURE_REPORT=1 to print the worst relative error (|ours − torch| / max(|torch|, floor))
 * of each comparison.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds, type LossName } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf } from '../../src/core/shape.js';

const RELATIVE = 1e-5;
const FLOOR = 1e-2;

interface LayerCase {
  id: string;
  config: LayerConfig;
  torch_module: string;
  in_shape: number[];
  out_shape: number[];
  batch: number;
  x: number[];
  dy: number[];
  params: { name: string; shape: number[]; value: number[] }[];
  y: number[];
  dx: number[];
  param_grads: Record<string, number[]>;
  float64: { y: number[]; dx: number[]; param_grads: Record<string, number[]> };
}

interface LossCase {
  id: string;
  loss: LossName;
  batch: number;
  width: number;
  input: number[];
  target_kind: 'class' | 'values';
  target: number[];
  value: number;
  d_input: number[];
  float64: { value: number; d_input: number[] };
}

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/torch/${name}`, import.meta.url), 'utf8')) as T;

const layerCases = fixture<{ cases: LayerCase[] }>('layers.json').cases;
const lossCases = fixture<{ cases: LossCase[] }>('losses.json').cases;

/**
 * Fails with the worst element unless |ours − torch| ≤ RELATIVE·max(|torch|, floor) everywhere,
 * `floor` being FLOOR or one value per element.
 */
function expectClose(label: string, ours: ArrayLike<number>, torch: readonly number[], floor: number | readonly number[] = FLOOR): void {
  expect(ours.length, `${label}: length`).toBe(torch.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < torch.length; i++) {
    const err = Math.abs(ours[i] - torch[i]) / Math.max(Math.abs(torch[i]), typeof floor === 'number' ? floor : floor[i]);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (process.env.TORCH_FIXTURE_REPORT) console.log(`${label}: worst relative error ${worst.toExponential(2)}`);
  const detail = at < 0 ? '' : ` at [${at}]: ours ${ours[at]}, torch ${torch[at]}`;
  expect(worst, `${label}: relative error ${worst}${detail}`).toBeLessThanOrEqual(RELATIVE);
}

/** Per-element floor FLOOR·|v|: for dx of an elementwise layer (v = dy), see the header. */
const scaledFloor = (values: readonly number[], floor: number): number[] => values.map((v) => floor * Math.abs(v));

/** torch's float32 GELU error allowance, as a floor per unit of |x| (y) or |dy| (dx); see the header. */
const GELU_F32_FLOOR = 0.05;

describe('layers match torch (layers.json)', () => {
  it('covers every layer the brief lists', () => {
    expect(layerCases.map((c) => c.id).sort()).toEqual(
      ['flatten', 'gelu', 'leaky_relu', 'linear_bias', 'linear_no_bias', 'relu', 'sigmoid', 'tanh'].sort(),
    );
  });

  for (const c of layerCases) {
    it(`${c.id}: ${c.torch_module}: y, dx and parameter gradients`, () => {
      const plan = planLayer(c.config, c.in_shape);
      expect(plan.outShape).toEqual(c.out_shape);
      // Same parameters, same names, same (torch) layout and order as module.named_parameters().
      expect(plan.parameters.map((p) => ({ name: p.name, shape: [...p.shape] }))).toEqual(
        c.params.map((p) => ({ name: p.name, shape: p.shape })),
      );
      const parameters: Parameter[] = plan.parameters.map((spec, i) => ({
        ...spec,
        value: Float32Array.from(c.params[i].value),
        grad: new Float32Array(sizeOf(spec.shape)).fill(NaN), // backward must write every element
      }));
      const layer = plan.build(parameters, { maxBatch: c.batch, rng: new Rng(0, 'dropout') }, []);
      const x = Float32Array.from(c.x);
      const y = new Float32Array(c.batch * sizeOf(plan.outShape));
      const dy = Float32Array.from(c.dy);
      const dx = new Float32Array(x.length).fill(NaN);
      layer.forward(x, y, c.batch, 'train');
      layer.backward(x, y, dy, dx, c.batch);
      const elementwise = plan.parameters.length === 0;
      const gelu = c.id === 'gelu';
      const dxFloor = elementwise ? scaledFloor(c.dy, FLOOR) : FLOOR;
      expectClose(`${c.id} y vs float32`, y, c.y, gelu ? scaledFloor(c.x, GELU_F32_FLOOR) : FLOOR);
      expectClose(`${c.id} dx vs float32`, dx, c.dx, gelu ? scaledFloor(c.dy, GELU_F32_FLOOR) : dxFloor);
      for (const p of parameters) expectClose(`${c.id} d${p.name} vs float32`, p.grad, c.param_grads[p.name]);
      expectClose(`${c.id} y vs float64`, y, c.float64.y);
      expectClose(`${c.id} dx vs float64`, dx, c.float64.dx, dxFloor);
      for (const p of parameters) expectClose(`${c.id} d${p.name} vs float64`, p.grad, c.float64.param_grads[p.name]);
    });
  }

  for (const id of ['linear_bias', 'linear_no_bias']) {
    it(`${id}: a Model names and lays out the parameters as torch's state_dict`, () => {
      const c = layerCases.find((l) => l.id === id)!;
      const model = new Model(planModel([c.config], c.in_shape), c.batch, 0);
      expect(model.parameters.map((p) => ({ name: p.fullName, shape: [...p.shape] }))).toEqual(
        c.params.map((p) => ({ name: `0.${p.name}`, shape: p.shape })),
      );
      expect(model.parameters[0].shape).toEqual([5, 7]); // weight [out, in], as nn.Linear
      for (const p of model.parameters) p.value.set(c.params.find((q) => `0.${q.name}` === p.fullName)!.value);
      model.input.set(c.x);
      const out = model.forward(c.batch, 'train');
      expectClose(`${id} model y`, out.subarray(0, c.batch * model.outputWidth), c.y);
      model.outputGrad.set(c.dy);
      model.backward(c.batch);
      for (const p of model.parameters) expectClose(`${id} model grad ${p.fullName}`, p.grad, c.param_grads[p.name]);
    });
  }

  it("names parameters by their index in the Sequential, as torch's state_dict does", () => {
    const model = new Model(planModel(['flatten', { linear: { out_features: 3, bias: true } }], [2, 3, 4]), 1, 0);
    expect(model.parameters.map((p) => ({ name: p.fullName, shape: [...p.shape] }))).toEqual([
      { name: '1.weight', shape: [3, 24] },
      { name: '1.bias', shape: [3] },
    ]);
  });
});

describe('losses match torch (losses.json, reduction=mean)', () => {
  it('covers every loss', () => {
    expect(lossCases.map((c) => c.id).sort()).toEqual(['bce', 'bce_with_logits', 'cross_entropy', 'mse']);
  });

  for (const c of lossCases) {
    it(`${c.id}: mean loss and d loss / d input`, () => {
      const kind = lossKinds[c.loss];
      expect(kind.targets).toBe(c.target_kind);
      const out = Float32Array.from(c.input);
      const target = Float32Array.from(c.target);
      const dOut = new Float32Array(out.length).fill(NaN);
      const value = kind.loss.compute(out, target, c.batch, c.width, dOut);
      expectClose(`${c.id} loss vs float32`, [value], [c.value]);
      expectClose(`${c.id} d input vs float32`, dOut, c.d_input);
      expectClose(`${c.id} loss vs float64`, [value], [c.float64.value]);
      expectClose(`${c.id} d input vs float64`, dOut, c.float64.d_input);
      // Without dOut only the value is computed, and it is the same.
      expect(kind.loss.compute(out, target, c.batch, c.width, null)).toBe(value);
    });
  }
});
