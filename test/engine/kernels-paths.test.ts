/**
 * The kernel choice is made once per process (kernels/choice.ts), so each path is tried in a
 * child process running the built engine (npm test builds first): ADAM_LAB_KERNEL,
 * ADAM_LAB_THREADS, and relaxed SIMD, which Node 20 hides behind a V8 flag.
 */
import { describe, expect, it } from 'vitest';
import { DIST, runBuilt } from './run-built.js';

const SELECTION = `
import { kernelChoice } from '${DIST}kernels/choice.js';
const { path, note, threads } = kernelChoice();
console.log(JSON.stringify({ kernel: path, note, threads }));`;

/** The kernel choice, and whether this process now validates the relaxed module. */
const RELAXED_SELECTION = `
import { readFileSync } from 'node:fs';
import { kernelChoice } from '${DIST}kernels/choice.js';
import { builtFile } from '${DIST}kernels/gemm.js';
const { path, note } = kernelChoice();
const relaxedValidates = WebAssembly.validate(readFileSync(builtFile('wasm/gemm-relaxed-simd.wasm')));
console.log(JSON.stringify({ kernel: path, note, relaxedValidates }));`;

/**
 * Trains 784→128→10 (and a 300-wide second layer, so every product is large enough for the
 * SIMD kernel and for threads) for a few Adam steps on random data; prints the bits of every
 * loss and of every parameter's running sum.
 */
const TRAINING = `
import { optimizerSchema } from '${DIST}config/schema.js';
import { lossKinds } from '${DIST}engine/losses/registry.js';
import { Model, planModel } from '${DIST}engine/model.js';
import { Rng } from '${DIST}core/rng.js';
import { kernelChoice } from '${DIST}kernels/choice.js';
import { createOptimizer } from '${DIST}optim/registry.js';
const layers = [{ linear: { out_features: 300, bias: true } }, 'relu', { linear: { out_features: 128, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }];
const model = new Model(planModel(layers, [784]), 64, 0);
const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }), model.values);
const rng = new Rng(1, 'data');
const targets = new Float32Array(64);
const bits = new Uint32Array(1);
const f32 = new Float32Array(bits.buffer);
const out = [];
for (let step = 0; step < 4; step++) {
  for (let i = 0; i < 64 * 784; i++) model.input[i] = rng.uniform();
  for (let i = 0; i < 64; i++) targets[i] = rng.below(10);
  const logits = model.forward(64, 'train');
  const loss = lossKinds.cross_entropy.loss.compute(logits, targets, 64, 10, model.outputGrad);
  model.backward(64);
  optimizer.apply(model.grads);
  f32[0] = loss;
  out.push(bits[0].toString(16));
}
let sum = 0;
for (const v of model.values) sum += v;
out.push(sum.toString());
console.log(JSON.stringify({ kernel: kernelChoice().path, threads: kernelChoice().threads, bits: out }));`;

describe('kernel selection at start-up', () => {
  it('ADAM_LAB_KERNEL=js forces the reference kernels', () => {
    expect(JSON.parse(runBuilt(SELECTION, { ADAM_LAB_KERNEL: 'js' }))).toMatchObject({ kernel: 'js', note: null, threads: 1 });
  });

  it('an unknown ADAM_LAB_KERNEL keeps the default and says so', () => {
    const selected = JSON.parse(runBuilt(SELECTION, { ADAM_LAB_KERNEL: 'cuda' }));
    expect(selected.kernel).toBe('wasm-simd');
    expect(selected.note).toContain('ADAM_LAB_KERNEL=cuda ignored');
  });

  it('ADAM_LAB_THREADS sets the thread count', () => {
    expect(JSON.parse(runBuilt(SELECTION, { ADAM_LAB_THREADS: '3' })).threads).toBe(3);
  });

  // Node 20 validates relaxed SIMD only behind a V8 flag, which the engine turns on itself
  // when the path is asked for (kernels/gemm.ts), and only then.
  it('relaxed SIMD is taken when asked, without a Node.js flag; a default run leaves V8’s flags alone', () => {
    const relaxed = JSON.parse(runBuilt(RELAXED_SELECTION, { ADAM_LAB_KERNEL: 'wasm-relaxed-simd' }));
    expect(relaxed).toMatchObject({ kernel: 'wasm-relaxed-simd', note: null, relaxedValidates: true });
    const notAsked = JSON.parse(runBuilt(RELAXED_SELECTION));
    expect(notAsked.kernel).toBe('wasm-simd');
    const shipped = Number(process.versions.node.split('.')[0]) >= 22;
    expect(notAsked.relaxedValidates).toBe(shipped);
  });
});

describe('training through each path', () => {
  it('gives identical bits with the SIMD kernel on 1 or 2 threads and with the reference kernels', () => {
    const simd = JSON.parse(runBuilt(TRAINING, { ADAM_LAB_THREADS: '2' }));
    const single = JSON.parse(runBuilt(TRAINING, { ADAM_LAB_THREADS: '1' }));
    const reference = JSON.parse(runBuilt(TRAINING, { ADAM_LAB_KERNEL: 'js' }));
    expect([simd.kernel, single.kernel, reference.kernel]).toEqual(['wasm-simd', 'wasm-simd', 'js']);
    expect([simd.threads, single.threads]).toEqual([2, 1]);
    expect(simd.bits).toEqual(reference.bits);
    expect(single.bits).toEqual(reference.bits);
  });

  // Fused multiply-adds round once where mul+add rounds twice: results move by float32
  // rounding only, so four Adam steps from the same start agree to ~1e-6 relative.
  it('stays within float32 rounding of the reference with relaxed SIMD (FMA)', () => {
    const relaxed = JSON.parse(runBuilt(TRAINING, { ADAM_LAB_KERNEL: 'wasm-relaxed-simd' }));
    const reference = JSON.parse(runBuilt(TRAINING, { ADAM_LAB_KERNEL: 'js' }));
    expect(relaxed.kernel).toBe('wasm-relaxed-simd');
    const loss = (hex: string): number => new Float32Array(Uint32Array.of(parseInt(hex, 16)).buffer)[0];
    for (let i = 0; i < 4; i++) expect(loss(relaxed.bits[i])).toBeCloseTo(loss(reference.bits[i]), 5);
    expect(Number(relaxed.bits[4])).toBeCloseTo(Number(reference.bits[4]), 3);
  });
});
