/**
 * Every built-in optimizer accepts a parameter group. A group's options are the top level's,
 * defaults already filled in, parsed again with the group's own (registry.ts optimizerGroups):
 * a default its own schema refuses on that second parse (prodigy's growth_rate = Infinity once
 * did) made any config with param_groups stop with an internal error.
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { createOptimizer, optimizerNames, type OptimizerConfig } from '../../src/optim/registry.js';
import type { TensorView } from '../../src/optim/groups.js';

const TENSORS: TensorView[] = [
  { name: '0.weight', shape: [2, 2], offset: 0, length: 4 },
  { name: '0.bias', shape: [2], offset: 4, length: 2 },
];

// L-BFGS takes one group, as torch's: the schema refuses its param_groups.
const grouped = optimizerNames.filter((name) => name !== 'lbfgs');

describe('a parameter group over every optimizer’s defaults', () => {
  it.each(grouped)('%s steps with a group of its own', (name) => {
    // Muon steps matrices only: its 1-D tensors need a group with another optimizer.
    const group = { params: ['0.bias'], lr: 0.5, ...(name === 'muon' ? { optimizer: 'adamw' } : {}) };
    const config = optimizerSchema.parse({ name, param_groups: [group] }) as OptimizerConfig;
    const params = Float32Array.from([1, -2, 3, -4, 0.5, -0.5]);
    const optimizer = createOptimizer(config, params, {}, TENSORS);
    const grads = Float32Array.from([0.1, -0.2, 0.3, -0.4, 0.05, -0.05]);
    optimizer.apply(grads, optimizer.gradNorm(grads), { loss: 1, evaluate: () => 1 });
    expect(params.every(Number.isFinite)).toBe(true);
    expect(Array.from(params)).not.toEqual([1, -2, 3, -4, 0.5, -0.5]);
  });
});
