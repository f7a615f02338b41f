import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, writeConfig } from './run-cli.js';

describe('adam-lab validate', () => {
  it('prints the resolved config, which validates again to itself', async () => {
    const first = await runCli('validate', 'configs/mnist-mlp-adam.yaml', '--set', 'optimizer.betas.1=0.99');
    expect(first.code).toBe(0);
    const resolved = parse(first.stdout);
    expect(resolved.optimizer).toEqual({ name: 'adam', lr: 0.001, betas: [0.9, 0.99], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, decoupled_weight_decay: false });
    const again = await runCli('validate', writeConfig(first.stdout));
    expect(parse(again.stdout)).toEqual(resolved);
  });

  it('exits 2 with every problem listed', async () => {
    const result = await runCli('validate', writeConfig('data: {dataset: mnst}\nmodel: {layers: [relux]}\n'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(3);
  });
});

describe('adam-lab schema', () => {
  it('prints a JSON Schema that describes the config keys, layers and optimizers', async () => {
    const result = await runCli('schema');
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(Object.keys(schema.properties)).toEqual(['name', 'seed', 'data', 'model', 'loss', 'optimizer', 'scheduler', 'train', 'seeds', 'sweep', 'compare', 'targets', 'expect', 'protocol']);
    expect(schema.required).toEqual(['data', 'model']);
    const optimizers = JSON.stringify(schema.properties.optimizer);
    for (const name of ['"sgd"', '"rmsprop"', '"adam"', '"weight_decay"', '"amsgrad"']) expect(optimizers).toContain(name);
    expect(JSON.stringify(schema.properties.model)).toContain('"leaky_relu"');
    expect(JSON.stringify(schema.properties.scheduler)).toContain('"one_cycle_lr"');
    expect(optimizers).toContain('"description":"learning rate γ"');
  });
});
