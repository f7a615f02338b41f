/**
 * The layers' WebAssembly twins (kernels/layer-kernels.ts: ReLU, conv2d's unfold, fold,
 * batched products, direct 3×3 weight gradient, layout copy and bias sums, max pooling) against the layers' own loops, bit
 * for bit. A layer runs its twins when every buffer lives in the engine memory and its loops
 * otherwise, so each case builds the same layer twice: once over engine buffers, once over
 * ordinary arrays, with the same parameters and inputs, and compares outputs, input gradients
 * and parameter gradients. Shapes cover strides, padding, dilation, groups, no bias, odd
 * sizes; inputs include ties, zeros, −0, NaN and infinities where the layer must keep them.
 */
import { describe, expect, it, vi } from 'vitest';
import { layerSchema } from '../../src/config/schema.js';
import { kernelChoice } from '../../src/kernels/choice.js';
import { layerWasmRuns } from '../../src/kernels/layer-kernels.js';
import type { Parameter } from '../../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../../src/engine/layers/registry.js';
import { Rng } from '../../src/core/rng.js';
import { sizeOf } from '../../src/core/shape.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { firstBitDifference } from '../bits.js';
import { twinsRunBy } from '../twin-calls.js';

vi.mock('../../src/kernels/layer-kernels.js', async (original) => (await import('../twin-calls.js')).recordingTwins(original));

interface Run {
  y: Float32Array;
  dx: Float32Array;
  grads: Float32Array;
}

type Inputs = { x: Float32Array; dy: Float32Array; params: Float32Array };

/**
 * Builds `config` on [inShape] for batches up to `maxBatch`, over engine buffers or ordinary
 * arrays; the returned step runs forward and backward on a batch and copies the results out.
 */
function build(config: LayerConfig, inShape: number[], maxBatch: number, params: Float32Array, engine: boolean): (inputs: Inputs, batch: number) => Run {
  const alloc = (n: number): Float32Array => (engine ? allocFloat32(n) : new Float32Array(n));
  const plan = planLayer(config, inShape);
  const values = alloc(params.length);
  const grads = alloc(params.length);
  values.set(params);
  let offset = 0;
  const parameters: Parameter[] = plan.parameters.map((spec) => {
    const size = sizeOf(spec.shape);
    const p = { ...spec, value: values.subarray(offset, offset + size), grad: grads.subarray(offset, offset + size) };
    offset += size;
    return p;
  });
  const layer = plan.build(parameters, { maxBatch, rng: new Rng(0, 'dropout') }, []);
  const x = alloc(maxBatch * sizeOf(inShape));
  const y = alloc(maxBatch * sizeOf(plan.outShape));
  const dy = alloc(y.length);
  const dx = alloc(x.length);
  return (inputs, batch) => {
    x.set(inputs.x);
    dy.set(inputs.dy);
    layer.forward(x, y, batch, 'train');
    layer.backward(x, y, dy, dx, batch);
    const outputs = batch * sizeOf(plan.outShape);
    return { y: y.slice(0, outputs), dx: dx.slice(0, inputs.x.length), grads: grads.slice() };
  };
}

/** Runs `config` once on batch `batch`, over engine buffers or ordinary arrays. */
function run(config: LayerConfig, inShape: number[], batch: number, inputs: Inputs, engine: boolean): Run {
  return build(config, inShape, batch, inputs.params, engine)(inputs, batch);
}

/** Every layer twin a case ran on engine buffers; the last test checks that each ran somewhere. */
const twinsSeen = new Set<string>();

/** Runs the case on engine buffers and on ordinary arrays: the first through twins (recorded), the second through none. */
function runBoth(config: LayerConfig, inShape: number[], batch: number, inputs: Inputs): { fast: Run; reference: Run } {
  let fast: Run | undefined;
  let reference: Run | undefined;
  for (const twin of twinsRunBy(() => (fast = run(config, inShape, batch, inputs, true)))) twinsSeen.add(twin);
  expect(twinsRunBy(() => (reference = run(config, inShape, batch, inputs, false))), 'twins on ordinary arrays').toEqual([]);
  return { fast: fast!, reference: reference! };
}

/** Same bits, or both NaN. */
function expectSameBits(fast: Run, reference: Run): void {
  expect(firstBitDifference(fast.y, reference.y, { anyNaN: true }), 'output').toBe(-1);
  expect(firstBitDifference(fast.dx, reference.dx, { anyNaN: true }), 'input gradient').toBe(-1);
  expect(firstBitDifference(fast.grads, reference.grads, { anyNaN: true }), 'parameter gradients').toBe(-1);
}

function parameterCount(config: LayerConfig, inShape: number[]): number {
  return planLayer(config, inShape).parameters.reduce((n, p) => n + sizeOf(p.shape), 0);
}

function randomInputs(rng: Rng, config: LayerConfig, inShape: number[], batch: number, special: boolean): Inputs {
  const plan = planLayer(config, inShape);
  const fill = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rng.uniform();
      // Ties (a repeated value), zeros of both signs and non-finite values where asked for.
      a[i] = !special ? rng.uniformIn(-1, 1) : r < 0.1 ? 0.5 : r < 0.15 ? 0 : r < 0.2 ? -0 : r < 0.22 ? Number.NaN : r < 0.24 ? Infinity : r < 0.26 ? -Infinity : rng.uniformIn(-1, 1);
    }
    return a;
  };
  return { x: fill(batch * sizeOf(inShape)), dy: fill(batch * sizeOf(plan.outShape)), params: fill(parameterCount(config, inShape)).map((v) => (Number.isFinite(v) ? v : 0.25)) };
}

const CASES: { config: Record<string, unknown> | string; inShape: number[]; special: boolean }[] = [
  { config: { conv2d: { out_channels: 8, kernel_size: 3, padding: 1 } }, inShape: [1, 12, 9], special: false },
  { config: { conv2d: { out_channels: 16, kernel_size: 3, padding: 1 } }, inShape: [8, 7, 7], special: false },
  { config: { conv2d: { out_channels: 6, kernel_size: [3, 2], stride: 2, padding: [1, 0] } }, inShape: [4, 8, 9], special: false },
  { config: { conv2d: { out_channels: 6, kernel_size: 3, dilation: 2, groups: 2, bias: false } }, inShape: [4, 9, 8], special: false },
  { config: { conv2d: { out_channels: 5, kernel_size: 1 } }, inShape: [3, 5, 5], special: true },
  { config: { conv2d: { out_channels: 3, kernel_size: 3, padding: 1 } }, inShape: [2, 5, 13], special: true },
  { config: { conv2d: { out_channels: 7, kernel_size: [1, 5], padding: [0, 2] } }, inShape: [2, 3, 7], special: false },
  { config: { conv2d: { out_channels: 2, kernel_size: 3, stride: [1, 2], padding: 2 } }, inShape: [1, 6, 11], special: false },
  { config: { conv2d: { out_channels: 4, kernel_size: 2, dilation: [2, 3], padding: [1, 3] } }, inShape: [2, 7, 5], special: false },
  { config: { conv2d: { out_channels: 6, kernel_size: 3, groups: 3, padding: 1 } }, inShape: [3, 4, 4], special: false },
  { config: { conv2d: { out_channels: 3, kernel_size: 3 } }, inShape: [2, 3, 3], special: false },
  { config: { conv2d: { out_channels: 1, kernel_size: 1 } }, inShape: [1, 1, 1], special: false },
  // The direct 3×3 convolution (one input channel per group, stride 1): channel counts around
  // its triples and panels, lines of 8, more and fewer positions, padding 0 to 2, groups.
  { config: { conv2d: { out_channels: 5, kernel_size: 3 } }, inShape: [1, 13, 10], special: true },
  { config: { conv2d: { out_channels: 4, kernel_size: 3, padding: 2, bias: false } }, inShape: [1, 4, 3], special: false },
  { config: { conv2d: { out_channels: 7, kernel_size: 3, padding: 1 } }, inShape: [1, 28, 28], special: false },
  { config: { conv2d: { out_channels: 6, kernel_size: 3, padding: 1, groups: 3 } }, inShape: [3, 9, 17], special: true },
  { config: { maxpool2d: 2 }, inShape: [3, 8, 8], special: true },
  { config: { maxpool2d: 2 }, inShape: [2, 7, 9], special: false },
  // Rows of 1, 3, 5, 7 and 9 windows: the four-window groups, the overlapping last group, scalar rows.
  { config: { maxpool2d: 2 }, inShape: [5, 2, 2], special: true },
  { config: { maxpool2d: 2 }, inShape: [2, 4, 6], special: true },
  { config: { maxpool2d: 2 }, inShape: [2, 6, 10], special: true },
  { config: { maxpool2d: 2 }, inShape: [3, 14, 14], special: true },
  { config: { maxpool2d: 2 }, inShape: [1, 4, 18], special: false },
  { config: { maxpool2d: { kernel_size: 3, stride: 2, padding: 1 } }, inShape: [2, 7, 9], special: true },
  { config: 'relu', inShape: [37], special: true },
  { config: 'relu', inShape: [4, 5, 5], special: false },
];

/** Convolutions of random geometry (seeded): sizes 1 to 13, strides, padding, dilation, groups. */
function randomConvolutions(count: number): { config: Record<string, unknown>; inShape: number[]; special: boolean }[] {
  const rng = new Rng(7, 'data');
  const pick = (low: number, high: number): number => low + rng.below(high - low + 1);
  const cases = [];
  while (cases.length < count) {
    const groups = pick(1, 2);
    const kernel = [pick(1, 4), pick(1, 4)];
    const stride = [pick(1, 3), pick(1, 3)];
    const padding = [pick(0, 2), pick(0, 2)];
    const dilation = [pick(1, 2), pick(1, 2)];
    const inShape = [groups * pick(1, 3), pick(1, 13), pick(1, 13)];
    const fits = [0, 1].every((d) => inShape[d + 1] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1 >= 0);
    if (!fits) continue;
    const conv2d = { out_channels: groups * pick(1, 5), kernel_size: kernel, stride, padding, dilation, groups, bias: rng.uniform() < 0.8 };
    cases.push({ config: { conv2d }, inShape, special: rng.uniform() < 0.3 });
  }
  return cases;
}

// On the wasm-relaxed-simd path conv2d's batched product fuses its multiply-adds and has a
// twin of its own (kernels-fused.test.ts).
describe.skipIf(!layerWasmRuns() || kernelChoice().path === 'wasm-relaxed-simd')('layer twins give the layer loops’ bits', () => {
  const rng = new Rng(31, 'data');
  for (const c of [...CASES, ...randomConvolutions(24)]) {
    for (const batch of [1, 3]) {
      it(`${JSON.stringify(c.config)} on [${c.inShape}] × ${batch}${c.special ? ', with ties, ±0, NaN, ±∞' : ''}`, () => {
        const config = layerSchema.parse(c.config) as LayerConfig;
        const inputs = randomInputs(rng, config, c.inShape, batch, c.special);
        const { fast, reference } = runBoth(config, c.inShape, batch, inputs);
        expectSameBits(fast, reference);
      });
    }
  }

  // conv2d's col and dy layouts depend on the batch size ([K, B·P], [O, B·P]): change it under them.
  it('conv2d over batches of 4, 2, 4, 1 and 3 in turn', () => {
    const config = layerSchema.parse({ conv2d: { out_channels: 5, kernel_size: 3, padding: 1 } }) as LayerConfig;
    const inShape = [2, 6, 5];
    const params = randomInputs(rng, config, inShape, 1, false).params;
    const fast = build(config, inShape, 4, params, true);
    for (const batch of [4, 2, 4, 1, 3]) {
      const inputs = { ...randomInputs(rng, config, inShape, batch, false), params };
      expectSameBits(fast(inputs, batch), run(config, inShape, batch, inputs, false));
    }
  });

  it('each layer twin did the work in some case above (none fell back to its loop everywhere)', () => {
    expect([...twinsSeen].sort()).toEqual(['batchedProductWasm', 'convWeightGrad3x3Wasm', 'copyRunsWasm', 'foldWasm', 'maxPool2x2BackwardWasm', 'maxPool2x2Wasm', 'maxPoolWasm', 'reluBackwardWasm', 'reluWasm', 'rowSumsWasm', 'scatterAddWasm', 'unfoldWasm']);
  });
});
