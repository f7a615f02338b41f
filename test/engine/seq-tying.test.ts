/**
 * Weight tying (`linear: {out_features: V, tie_weight: <embedding index>}`) as torch ties it
 * (`model[4].weight = model[0].weight`): one tensor, named and stepped once, whose gradient is
 * the sum of the embedding's and the head's.
 *
 * Fixture: test/fixtures/torch/seq_tying.py wrote seq_tying.json (/usr/bin/python3
 * test/fixtures/torch/seq_tying.py): from torch's initial weights, the first loss and gradient,
 * then 10 AdamW steps. Tolerance as seq-model-trajectory.test.ts: 1e-5 relative (floor 1e-2) plus
 * torch's own float32 drift from its float64 run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layerSchema, optimizerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { crossEntropy } from '../../src/engine/losses/cross-entropy.js';
import { Model, plannedState, planModel, summarizeModel } from '../../src/engine/model.js';
import { encodeModelWeights, loadModelWeights } from '../../src/engine/weights.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { tensorViews } from '../../src/train/build.js';
import { describeMismatch, numericGradient, worstMismatch } from './finite-difference.js';

const RELATIVE = 1e-5;
const FLOOR = 1e-2;

interface Fixture {
  state_dict_keys: string[];
  layers: unknown[];
  input_shape: number[];
  optimizer: unknown;
  batch: number;
  x: number[];
  targets: number[];
  init: Record<string, string>;
  loss: number;
  gradients: Record<string, string>;
  losses: number[];
  float64_losses: number[];
  final: Record<string, string>;
  float64_final: Record<string, string>;
}

const t = JSON.parse(readFileSync(new URL('../fixtures/torch/seq_tying.json', import.meta.url), 'utf8')) as Fixture;

function float32s(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

function within(ours: number, torch32: number, torch64 = torch32): boolean {
  const drift = Math.abs(torch32 - torch64);
  const near = (reference: number): boolean => Math.abs(ours - reference) <= RELATIVE * Math.max(Math.abs(reference), FLOOR) + drift;
  return near(torch32) || near(torch64);
}

const plan = () => planModel(t.layers.map((l) => layerSchema.parse(l) as LayerConfig), t.input_shape);

function torchModel(): Model {
  const model = new Model(plan(), t.batch, 0);
  for (const p of model.parameters) p.value.set(float32s(t.init[p.fullName]));
  return model;
}

const targets = Float32Array.from(t.targets);
const positions = t.input_shape[0];

/** The sequence cross entropy of the fixed batch; fills the gradients when `backward`. */
function lossOf(model: Model, backward: boolean): number {
  model.input.set(t.x);
  const out = model.forward(t.batch, 'train');
  const loss = crossEntropy.compute(out, targets, t.batch * positions, model.outputWidth / positions, model.outputGrad);
  if (backward) model.backward(t.batch);
  return loss;
}

describe('a head tied to an embedding (tie_weight) is one tensor, as in torch (seq_tying.json)', () => {
  it('is named and counted once, under the embedding’s name, as named_parameters() yields it', () => {
    const model = torchModel();
    expect(model.parameters.map((p) => p.fullName)).toEqual(Object.keys(t.init));
    expect(t.state_dict_keys).toContain('4.weight');
    expect(plannedState(model.plan).map((e) => e.fullName)).not.toContain('4.weight');
    expect(model.values.length).toBe(model.parameters.reduce((n, p) => n + p.value.length, 0));
    expect(summarizeModel(model.plan).map((l) => l.parameters)[4]).toBe(7);
  });

  it('has torch’s loss and, on the tied tensor, the sum of both uses’ gradients', () => {
    const model = torchModel();
    model.grads.fill(Number.NaN);
    const loss = lossOf(model, true);
    expect(within(loss, t.loss), `loss ${loss} vs ${t.loss}`).toBe(true);
    for (const p of model.parameters) {
      const torch = float32s(t.gradients[p.fullName]);
      for (let i = 0; i < torch.length; i++) if (!within(p.grad[i], torch[i])) expect.fail(`grad ${p.fullName}[${i}]: ours ${p.grad[i]}, torch ${torch[i]}`);
    }
  });

  it('matches finite differences of the loss on the tied tensor', () => {
    const model = torchModel();
    lossOf(model, true);
    const tied = model.parameters[0];
    const analytic = Float64Array.from(tied.grad);
    const numeric = numericGradient(tied.value, () => lossOf(model, false), 1e-2);
    const w = worstMismatch(analytic, numeric, analytic.length, { rtol: 1e-2, atol: 2e-4 });
    expect(w.ratio, describeMismatch('0.weight', w)).toBeLessThanOrEqual(1);
  });

  it('follows torch’s 10 AdamW steps, stepping the tied tensor once', () => {
    const model = torchModel();
    const optimizer = createOptimizer(optimizerSchema.parse(t.optimizer) as OptimizerConfig, model.values, {}, tensorViews(model));
    for (let step = 1; step <= t.losses.length; step++) {
      const loss = Math.fround(lossOf(model, true));
      expect(within(loss, t.losses[step - 1], t.float64_losses[step - 1]), `loss before step ${step}: ours ${loss}, torch ${t.losses[step - 1]}`).toBe(true);
      optimizer.apply(model.grads, optimizer.gradNorm(model.grads));
    }
    for (const p of model.parameters) {
      const [torch32, torch64] = [float32s(t.final[p.fullName]), float32s(t.float64_final[p.fullName])];
      for (let i = 0; i < torch32.length; i++) if (!within(p.value[i], torch32[i], torch64[i])) expect.fail(`${p.fullName}[${i}]: ours ${p.value[i]}, torch ${torch32[i]}`);
    }
    expect(t.losses[t.losses.length - 1]).toBeLessThan(t.losses[0] * 0.8);
  });

  it('saves the tensor once and loads it back tied', () => {
    const model = torchModel();
    const bytes = encodeModelWeights(model);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + Number(Buffer.from(bytes).readBigUInt64LE(0)))).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(header).filter((k) => k !== '__metadata__').sort()).toEqual(Object.keys(t.init).sort());
    // A fresh model (other initial values) given the file has torch's first loss: the head uses the loaded embedding.
    const fresh = new Model(plan(), t.batch, 1);
    expect(within(lossOf(fresh, false), t.loss)).toBe(false);
    loadModelWeights(fresh, bytes, 'model.safetensors');
    expect(within(lossOf(fresh, false), t.loss)).toBe(true);
  });
});
