/**
 * Optimizer plugins as the optimizer steps them (optim/plugins.ts): the example's first two steps
 * by hand, a plugin composed of the library's pieces against the built-in it rebuilds, per-tensor
 * segments, named state for checkpoints, and the shape checks with their words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { PluginError } from '../../src/core/errors.js';
import { pluginKind, usePlugins, type PluginKind } from '../../src/optim/plugins.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';

const EXAMPLE = new URL('../../examples/plugins/sign-momentum.mjs', import.meta.url).pathname;
const HEAVY_BALL = new URL('../fixtures/plugins/heavy-ball.mjs', import.meta.url).pathname;

async function kindOf(path: string): Promise<PluginKind> {
  return pluginKind((await import(path)) as Record<string, unknown>, { path, sha256: 'f'.repeat(64) }, optimizerNames);
}

function problemOf(exports: Record<string, unknown>): string {
  try {
    pluginKind(exports, { path: '/p/my-opt.mjs', sha256: '0' }, optimizerNames);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginError);
    return (error as PluginError).problem;
  }
  throw new Error('the plugin was accepted');
}

const tensors = [
  { name: '0.weight', shape: [2], offset: 0, length: 2 },
  { name: '0.bias', shape: [1], offset: 2, length: 1 },
];

afterEach(() => usePlugins([]));

describe('optimizer plugins', () => {
  it('steps the example (Signum) as its formula says, by hand for two steps', async () => {
    usePlugins([await kindOf(EXAMPLE)]);
    const config = optimizerSchema.parse({ name: 'sign_momentum', lr: 0.5, weight_decay: 0.1 }) as OptimizerConfig;
    const params = Float32Array.of(1, -2, 0);
    const optimizer = createOptimizer(config, params, {}, tensors);
    // step 1, g = (0.4, −0.2, 0): m = 0.1·g = (0.04, −0.02, 0);
    //   θ ← θ − 0.5·(sign(m) + 0.1θ) = (1 − 0.5·1.1, −2 − 0.5·(−1 − 0.2), 0 − 0) = (0.45, −1.4, 0)
    optimizer.apply(Float32Array.of(0.4, -0.2, 0));
    expect([...params]).toEqual([0.45, -1.4, 0].map(Math.fround));
    // step 2, g = (−1, 0.1, 0.3): m = 0.9·m + 0.1·g = (0.036 − 0.1, −0.018 + 0.01, 0.03) = (−0.064, −0.008, 0.03);
    //   θ ← θ − 0.5·(sign(m) + 0.1θ) = (0.45 + 0.5 − 0.0225, −1.4 + 0.5 + 0.07, 0 − 0.5) = (0.9275, −0.83, −0.5)
    optimizer.apply(Float32Array.of(-1, 0.1, 0.3));
    expect(params[0]).toBeCloseTo(0.9275, 6);
    expect(params[1]).toBeCloseTo(-0.83, 6);
    expect(params[2]).toBe(-0.5);
    // one segment per tensor (per-tensor views), each state under the plugin's key
    expect(optimizer.segmentScalars()).toHaveLength(2);
    expect(optimizer.tensorState(tensors[1]).get('momentum_buffer')?.[0]).toBeCloseTo(0.03, 7);
  });

  it('composes the library pieces: heavy_ball takes the bits of the built-in sgd with momentum', async () => {
    usePlugins([await kindOf(HEAVY_BALL)]);
    const run = (config: object): Float32Array => {
      const params = Float32Array.of(3, -2, 0.5);
      const optimizer = createOptimizer(optimizerSchema.parse(config) as OptimizerConfig, params, {}, tensors);
      for (let step = 0; step < 30; step++) optimizer.apply(Float32Array.from(params, (x, i) => (i + 1) * x));
      return params;
    };
    const plugin = run({ name: 'heavy_ball', lr: 0.05, momentum: 0.9 });
    expect(plugin).toEqual(run({ name: 'sgd', lr: 0.05, momentum: 0.9 }));
    expect(plugin).not.toEqual(Float32Array.of(3, -2, 0.5));
  });

  it('refuses a module that is not a plugin, saying what is wrong', () => {
    const update = (): void => {};
    const init = (size: number) => ({ m: new Float32Array(size) });
    const options = (z: typeof import('zod').z) => z.strictObject({ lr: z.number().default(0.1) });
    expect(problemOf({})).toMatch(/^exports no valid name \(got nothing\)/);
    expect(problemOf({ name: 'adamw', options, init, update })).toBe("its name 'adamw' is a built-in optimizer's: choose another name");
    expect(problemOf({ name: 'Mine', options, init, update })).toMatch(/^exports no valid name \(got the string "Mine"\)/);
    expect(problemOf({ name: 'mine', options: { safeParse: () => ({}) }, init, update })).toMatch(/^exports options as an object \(Object\): export a zod object schema/);
    expect(problemOf({ name: 'mine', options: (z: typeof import('zod').z) => z.strictObject({ lr: z.number() }), init, update })).toMatch(/^its options have no default for lr/);
    expect(problemOf({ name: 'mine', options: (z: typeof import('zod').z) => z.strictObject({ beta: z.number().default(1) }), init, update })).toMatch(/^its options need lr/);
    expect(problemOf({ name: 'mine', options, update })).toBe('exports only one of init and update: a plugin with state needs both');
    expect(problemOf({ name: 'mine', options, init, update, create: () => ({}) })).toMatch(/^must export either create\(options, lab\) or both init/);
    expect(problemOf({ default: { name: 'mine', options, init, update: 3 } })).toBe('exports update as a number, not a function');
  });

  it('sees one tensor at a time, with its shape, in either form', () => {
    const seen: string[] = [];
    const options = (z: typeof import('zod').z) => z.strictObject({ lr: z.number().default(0.1) });
    const record = { path: '/p/my-opt.mjs', sha256: '0' };
    const withState = pluginKind(
      { name: 'shapes', options, init: (size: number, _o: unknown, shape: number[]) => (seen.push(`init ${size} [${shape}]`), {}), update: (g: Float32Array, _s: unknown, c: { shape: number[] }) => seen.push(`update ${g.length} [${c.shape}]`) },
      record,
      optimizerNames,
    );
    const composed = pluginKind({ name: 'composed', options, create: (_o: unknown, lab: { chain: (...t: unknown[]) => unknown; pieces: { scaleByLearningRate: () => unknown } }) => lab.chain(lab.pieces.scaleByLearningRate()) }, record, optimizerNames);
    usePlugins([withState, composed]);
    const model = [{ name: '0.weight', shape: [2, 3], offset: 0, length: 6 }, { name: '0.bias', shape: [2], offset: 6, length: 2 }];
    createOptimizer(optimizerSchema.parse({ name: 'shapes' }) as OptimizerConfig, new Float32Array(8), {}, model).apply(new Float32Array(8));
    expect(seen).toEqual(['init 6 [2,3]', 'init 2 [2]', 'update 6 [2,3]', 'update 2 [2]']);
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'composed' }) as OptimizerConfig, new Float32Array(8), {}, model);
    expect(optimizer.segmentScalars()).toHaveLength(2);
  });

  it('refuses a state that is not named arrays of the tensor size, when the optimizer is built', () => {
    const kind = pluginKind({ name: 'mine', options: (z: typeof import('zod').z) => z.strictObject({ lr: z.number().default(0.1) }), init: () => ({ m: [0, 0] }), update: () => {} }, { path: '/p/my-opt.mjs', sha256: '0' }, optimizerNames);
    usePlugins([kind]);
    const config = optimizerSchema.parse({ name: 'mine' }) as OptimizerConfig;
    expect(() => createOptimizer(config, new Float32Array(2))).toThrow('init(2, options) returned m as an array: return an object of Float32Arrays, each of 2 elements or of 1');
  });

  it('makes a plugin optimizer a config value while it is served, and not after', async () => {
    usePlugins([await kindOf(EXAMPLE)]);
    expect(optimizerSchema.parse({ name: 'sign_momentum' })).toEqual({ name: 'sign_momentum', lr: 1e-3, beta: 0.9, weight_decay: 0 });
    expect(optimizerSchema.safeParse({ name: 'sign_momentum', betas: [0.9, 0.9] }).success).toBe(false);
    usePlugins([]);
    expect(optimizerSchema.safeParse({ name: 'sign_momentum' }).success).toBe(false);
  });
});
