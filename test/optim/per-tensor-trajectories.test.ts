/**
 * The optimizers torch 1.13 lacks (lion, lamb, lars, adafactor, muon) against float64 references.
 *
 * The fixture test/fixtures/torch/per_tensor_optimizers.json was written by
 * test/fixtures/torch/per_tensor_optimizers.py, whose docstring cites the algorithm each reference
 * follows (paper or reference implementation, and where they differ). To regenerate it:
 *
 *     /usr/bin/python3 test/fixtures/torch/per_tensor_optimizers.py
 *
 * Each case starts nn.Sequential(Linear(6,8), Tanh(), Linear(8,5), Tanh(), Linear(5,3)) from the
 * same float32 weights and takes 60 steps on one fixed batch of 8 with CrossEntropyLoss, in float64;
 * the model has 2-D weights and 1-D biases, so per-tensor norms, factored moments and the
 * Muon/AdamW split are all exercised. We run our own float32 trajectory (never resynchronised)
 * through createOptimizer with the model's tensor views and compare:
 *  - the groups each tensor falls in, and which optimizer steps it;
 *  - the loss before every step: |ours − reference| ≤ 1e-5·max(|reference|, 1e-2) + drift, drift
 *    being how far the same algorithm run in float32 by torch strays from the float64 reference
 *    (float32_drift; below 1e-6 for all but Prodigy, whose d is estimated from θ₀ − θ, a difference
 *    float32 weights hold to few digits while the steps are d₀-small: with d₀ = 1e-6 torch's
 *    float32 run strays by up to 4e-3 in the loss, so the cases with d₀ = 1e-3 are the tight ones);
 *  - every weight after the last step, to 1e-4·max(|reference|, 1e-2) + the tensor's drift;
 *  - the names of each tensor's state, as the reference (torch's names) keeps them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds, type LossName } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { createOptimizer, groupOptimizer, optimizerGroups, type OptimizerConfig } from '../../src/optim/registry.js';
import { tensorViews } from '../../src/train/build.js';

interface ReferenceCase {
  id: string;
  optimizer: { name: string } & Record<string, unknown>;
  groups: { optimizer: string; tensors: string[] }[];
  loss: number[];
  final: Record<string, number[]>;
  state: Record<string, string[]>;
  float32_drift: { loss: number[]; final: Record<string, number> };
}

interface ReferenceFixture {
  model: { layers: LayerConfig[]; input_shape: number[]; loss: LossName };
  initial: Record<string, number[]>;
  batch: number;
  x: number[];
  targets: number[];
  steps: number;
  cases: ReferenceCase[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/per_tensor_optimizers.json', import.meta.url), 'utf8')) as ReferenceFixture;

const LOSS_RELATIVE = 1e-5;
const WEIGHT_RELATIVE = 1e-4;
const FLOOR = 1e-2;
const within = (ours: number, reference: number, relative: number, drift: number): boolean => Math.abs(ours - reference) <= relative * Math.max(Math.abs(reference), FLOOR) + drift;

function newModel(): Model {
  const { layers, input_shape } = fixture.model;
  const model = new Model(planModel(layers, input_shape), fixture.batch, 0);
  for (const p of model.parameters) p.value.set(fixture.initial[p.fullName]);
  return model;
}

describe('per-tensor optimizers match their float64 references (per_tensor_optimizers.json)', () => {
  it('covers every new optimizer over 60 steps, Muon with its AdamW group', () => {
    expect(fixture.steps).toBe(60);
    const names = new Set(fixture.cases.flatMap((c) => c.groups.map((g) => g.optimizer)));
    expect([...names].sort()).toEqual(['adafactor', 'adamw', 'lamb', 'lars', 'lion', 'muon', 'prodigy']);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: ${JSON.stringify(c.optimizer)}`, () => {
      const model = newModel();
      const views = tensorViews(model);
      const config = optimizerSchema.parse(c.optimizer) as OptimizerConfig;
      const groups = optimizerGroups(config, views);
      expect(groups.map((g) => ({ optimizer: groupOptimizer(config, g), tensors: g.tensors.map((t) => t.name) }))).toEqual(c.groups);

      const optimizer = createOptimizer(config, model.values, {}, views);
      const loss = lossKinds[fixture.model.loss].loss;
      const target = Float32Array.from(fixture.targets);
      model.input.set(fixture.x);
      for (let step = 0; step < fixture.steps; step++) {
        const value = loss.compute(model.forward(fixture.batch, 'train'), target, fixture.batch, model.outputWidth, model.outputGrad);
        expect(within(value, c.loss[step], LOSS_RELATIVE, c.float32_drift.loss[step]), `step ${step + 1} loss: ours ${value}, reference ${c.loss[step]}`).toBe(true);
        model.backward(fixture.batch);
        optimizer.apply(model.grads);
      }
      for (const p of model.parameters) {
        p.value.forEach((ours, i) => expect(within(ours, c.final[p.fullName][i], WEIGHT_RELATIVE, c.float32_drift.final[p.fullName]), `${p.fullName}[${i}]: ours ${ours}, reference ${c.final[p.fullName][i]}`).toBe(true));
      }
      for (const view of views) expect([...optimizer.tensorState(view).keys()].sort(), `${view.name}'s state`).toEqual(c.state[view.name]);
    });
  }
});
