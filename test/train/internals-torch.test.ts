/**
 * The optimizer internals (internals.csv) against PyTorch: test/fixtures/torch/internals.json,
 * written by test/fixtures/torch/internals.py (/usr/bin/python3 with Debian's python3-torch; the
 * script says how each number is computed). Each case trains a small MLP on one batch for 12 steps
 * — Adam with weight decay and clipping by norm (grad_norm is the norm before clipping), SGD with
 * momentum, RMSprop, and AdamW-AMSGrad with two parameter groups and a frozen one — and every
 * step's row of every trainable tensor must match torch's to 1e-5 relative: the norms of θ, of
 * the gradient and of the update, their ratio, and the 10/50/90 % quantiles of the step sizes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';
import { internalsColumns } from '../../src/runs/run-writer.js';
import { tensorViews } from '../../src/train/build.js';
import { InternalsRecorder } from '../../src/train/internals.js';

const RELATIVE = 1e-5;

interface TorchRow {
  step: number;
  tensor: string;
  group: string;
  param_norm: number;
  grad_norm: number;
  update_norm: number;
  update_ratio: number;
  eff_lr?: number[];
}

interface InternalsFixture {
  layers: LayerConfig[];
  input_shape: number[];
  batch: number;
  x: number[];
  targets: number[];
  initial: number[];
  steps: number;
  cases: { id: string; optimizer: Record<string, unknown>; clip: { clip_grad_norm: number } | null; frozen: string[]; rows: TorchRow[] }[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/internals.json', import.meta.url), 'utf8')) as InternalsFixture;

describe('optimizer internals match torch (internals.json)', () => {
  it('holds the cases the brief asks for', () => {
    expect(fixture.cases.map((c) => c.id)).toEqual(['adam_clip_grad_norm', 'sgd_momentum', 'rmsprop_momentum', 'adamw_amsgrad_groups']);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: ${JSON.stringify(c.optimizer)}${c.clip === null ? '' : ` + ${JSON.stringify(c.clip)}`}`, () => {
      const model = new Model(planModel(fixture.layers, fixture.input_shape), fixture.batch, 0);
      model.values.set(fixture.initial);
      model.input.set(fixture.x);
      const targets = Float32Array.from(fixture.targets);
      const config = optimizerSchema.parse(c.optimizer) as OptimizerConfig;
      const optimizer = createOptimizer(config, model.values, c.clip ?? {}, tensorViews(model));
      const recorder = new InternalsRecorder(1, config, optimizer, model);
      const loss = lossKinds.cross_entropy.loss;
      const rows = [];
      for (let step = 0; step < fixture.steps; step++) {
        loss.compute(model.forward(fixture.batch, 'train'), targets, fixture.batch, model.outputWidth, model.outputGrad);
        model.backward(fixture.batch);
        const gradNorm = optimizer.gradNorm(model.grads);
        recorder.beforeUpdate();
        optimizer.apply(model.grads, gradNorm);
        recorder.afterUpdate();
        rows.push(...recorder.take());
      }
      expect(rows.map((r) => [r.step, r.tensor, r.group])).toEqual(c.rows.map((r) => [String(r.step), r.tensor, r.group]));
      expect(rows.some((r) => c.frozen.includes(r.tensor))).toBe(false);
      const columns = internalsColumns(config.name);
      for (const [i, torch] of c.rows.entries()) {
        const ours = rows[i];
        expect(Object.keys(ours)).toEqual(columns);
        const expected: [string, number][] = [
          ['param_norm', torch.param_norm],
          ['grad_norm', torch.grad_norm],
          ['update_norm', torch.update_norm],
          ['update_ratio', torch.update_ratio],
          ...(torch.eff_lr ?? []).map((q, k): [string, number] => [columns[7 + k], q]),
        ];
        for (const [column, value] of expected) {
          const error = Math.abs(Number(ours[column]) - value) / Math.abs(value);
          expect(error, `step ${torch.step} ${torch.tensor} ${column}: ours ${ours[column]}, torch ${value}`).toBeLessThanOrEqual(RELATIVE);
        }
      }
    });
  }
});
