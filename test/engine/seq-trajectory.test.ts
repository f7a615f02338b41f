/**
 * Character models train as in torch: an LSTM and a 2-layer GRU between an embedding and a
 * linear head over every position (seq_trajectories.json, written with seq_<model>_init.safetensors
 * by test/fixtures/torch/seq_fixtures.py; rerun with /usr/bin/python3 and commit to regenerate).
 *
 * From torch's initial state_dict (loaded from the safetensors file torch wrote), 30 AdamW steps
 * on one fixed batch of 6 blocks of 10 random tokens, loss = cross entropy over every position,
 * torch's F.cross_entropy(logits.view(-1, V), targets.view(-1)), which is our cross_entropy over
 * B·T rows of V logits. We run our own trajectory (never resynchronised) and compare, after
 * every step, the loss before it and every parameter tensor after it with torch's float32 run:
 *
 *     |loss − torch| ≤ 1e-5 · |torch|,     ‖θ − θ_torch‖₂ ≤ 1e-5 · ‖θ_torch‖₂   per tensor
 *
 * Measured: loss ≤ 1.9e-7 relative, tensors ≤ 7.3e-7 relative (TORCH_FIXTURE_REPORT=1 prints them).
 *
 * Why per tensor and not per element: an element whose gradient is near Adam's ε moves by
 * lr·g/(|g| + ε), which multiplies the float32 rounding of g by lr·ε/(|g| + ε)², about 2·10⁴
 * at |g| ≈ 6ε. The GRU's 1.weight_ih_l1[208] has g = 5.6e-8 at step 1: torch float32 5.5974e-8,
 * float64 5.5958e-8, ours 5.5930e-8 — both float32 results within 3e-11 of the truth, yet the
 * first update already differs by 1e-6 (4e-7 between torch's own float32 and float64 runs). Such
 * elements differ by ~1e-6 between any two float32 implementations, more than a per-element
 * 1e-5·max(|θ|, 1e-2) allows; a wrong gate, sign or missing term moves whole tensors by far more
 * than 1e-5 of their norm.
 *
 * The state_dict check: our layer lists plan exactly torch's names and shapes, in torch's order,
 * and the weights we write read back as torch's. (`/usr/bin/python3 seq_fixtures.py --check FILE`
 * loads a model.safetensors of the LSTM model into torch's nn.Sequential, strict.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layerSchema, optimizerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { lossKinds } from '../../src/engine/losses/registry.js';
import { Model, planModel, plannedState } from '../../src/engine/model.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { encodeModelWeights, loadModelWeights } from '../../src/engine/weights.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';

const RELATIVE = 1e-5;
const REPORT = Boolean(process.env.TORCH_FIXTURE_REPORT);

interface Trajectory {
  torch_module: string;
  layers: unknown[];
  input_shape: number[];
  optimizer: Record<string, unknown>;
  init_file: string;
  state: { name: string; shape: number[] }[];
  batch: number;
  ids: number[];
  targets: number[];
  steps: { loss: number; state: Record<string, string> }[];
}

const fixtures = new URL('../fixtures/torch/', import.meta.url);
const all = JSON.parse(readFileSync(new URL('seq_trajectories.json', fixtures), 'utf8')) as Record<string, Trajectory>;

/** Base64 of little-endian float32 values. */
function float32s(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

/** ‖ours − torch‖₂ / ‖torch‖₂, summed in doubles. */
function relativeDistance(ours: Float32Array, torch: Float32Array): number {
  expect(ours.length).toBe(torch.length);
  let difference = 0;
  let size = 0;
  for (let i = 0; i < torch.length; i++) {
    difference += (ours[i] - torch[i]) ** 2;
    size += torch[i] ** 2;
  }
  return Math.sqrt(difference / size);
}

for (const name of ['lstm', 'gru_2_layers']) {
  const trajectory = all[name];
  const initFile = new URL(trajectory.init_file, fixtures).pathname;
  const newModel = (): Model => new Model(planModel(trajectory.layers.map((l) => layerSchema.parse(l) as LayerConfig), trajectory.input_shape), trajectory.batch, 0);

  describe(`${name}: ${trajectory.torch_module.replace(/\s+/g, ' ')}`, () => {
    it("has torch's state_dict names, shapes and order, and reads and writes torch's safetensors", () => {
      const model = newModel();
      expect(plannedState(model.plan).map((e) => ({ name: e.fullName, shape: [...e.shape] }))).toEqual(trajectory.state);
      const torchBytes = readFileSync(initFile);
      loadModelWeights(model, torchBytes, initFile);
      const theirs = decodeSafetensors(torchBytes, initFile);
      const ours = decodeSafetensors(encodeModelWeights(model), 'ours.safetensors');
      expect(ours.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data) }))).toEqual(
        theirs.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data) })),
      );
    });

    it('30 AdamW steps: the loss before each step and every parameter after it', () => {
      const model = newModel();
      loadModelWeights(model, readFileSync(initFile), initFile);
      const optimizer = createOptimizer(optimizerSchema.parse(trajectory.optimizer) as OptimizerConfig, model.values);
      const { batch } = trajectory;
      const positions = trajectory.input_shape[0];
      const vocabulary = model.outputWidth / positions;
      const targets = Float32Array.from(trajectory.targets);
      model.input.set(trajectory.ids);
      const worst = { loss: 0, tensor: 0 };
      for (const [s, step] of trajectory.steps.entries()) {
        const out = model.forward(batch, 'train');
        const loss = lossKinds.cross_entropy.loss.compute(out, targets, batch * positions, vocabulary, model.outputGrad);
        const lossError = Math.abs(loss - step.loss) / Math.abs(step.loss);
        worst.loss = Math.max(worst.loss, lossError);
        expect(lossError, `step ${s + 1} loss: ours ${loss}, torch ${step.loss}`).toBeLessThanOrEqual(RELATIVE);
        model.backward(batch);
        optimizer.apply(model.grads);
        expect(Object.keys(step.state)).toEqual(model.parameters.map((p) => p.fullName));
        for (const p of model.parameters) {
          const error = relativeDistance(p.value, float32s(step.state[p.fullName]));
          worst.tensor = Math.max(worst.tensor, error);
          expect(error, `after step ${s + 1}, ${p.fullName}: ‖ours − torch‖ / ‖torch‖`).toBeLessThanOrEqual(RELATIVE);
        }
      }
      if (REPORT) console.log(`${name}: worst relative error of the loss ${worst.loss.toExponential(2)}, of a tensor ${worst.tensor.toExponential(2)}`);
    });
  });
}
