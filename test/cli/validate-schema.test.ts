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

  it('shows the model layer by layer (output shape, parameters) in the leading comment', async () => {
    const result = await runCli('validate', 'configs/mnist-mlp-adam.yaml');
    const summary = result.stdout.split('\n').filter((line) => line.startsWith('# '));
    expect(summary).toContain('# 0 linear  (batch, 128)           100,480');
    expect(summary).toContain('# 2 linear  (batch, 10)              1,290');
    expect(summary).toContain('# total                            101,770');
  });

  it('checks that the data files exist, for every dataset kind as for a CSV', async () => {
    const model = 'model: {layers: [{linear: 10}]}\nloss: cross_entropy\n';
    for (const [dataset, first] of [
      ['fashion-mnist', 'train-images-idx3-ubyte'],
      ['cifar10', 'data_batch_1.bin'],
      ['csv', 'train.csv'],
    ]) {
      const data = dataset === 'csv' ? '{dataset: csv, csv: {train: nowhere/train.csv, label: y}}' : `{dataset: ${dataset}, path: nowhere}`;
      const result = await runCli('validate', writeConfig(`name: t\ndata: ${data}\n${model}`));
      expect(result.code, dataset).toBe(2);
      expect(result.stderr, dataset).toContain(`nowhere/${first}: file not found`);
    }
  });

  it('exits 2 with every problem listed', async () => {
    const result = await runCli('validate', writeConfig('data: {dataset: mnst}\nmodel: {layers: [relux]}\n'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(3);
  });
});

describe('a --set that names another optimizer', () => {
  it("starts from that optimizer's defaults: the file's options it lacks are dropped and said, those it has are kept", async () => {
    const config = writeConfig(`data: {dataset: mnist}
model: {layers: [{linear: 10}]}
optimizer: {name: adam, lr: 0.002, betas: [0.8, 0.9], weight_decay: 0.01}
`);
    const result = await runCli('validate', config, '--set', 'optimizer.name=sgd', '--set', 'optimizer.momentum=0.9');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("note: --set optimizer.name=sgd: the file's optimizer.betas is not an option of it, so it is dropped\n");
    expect(parse(result.stdout).optimizer).toEqual({ name: 'sgd', lr: 0.002, momentum: 0.9, dampening: 0, weight_decay: 0.01, nesterov: false, maximize: false });
  });

  it('still refuses an option of the file that no --set made foreign', async () => {
    const config = writeConfig(`data: {dataset: mnist}
model: {layers: [{linear: 10}]}
optimizer: {name: adam, momentum: 0.9}
`);
    const result = await runCli('validate', config, '--set', 'optimizer.lr=0.1');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/optimizer\.momentum: unknown key 'momentum'/);
  });
});

describe('adam-lab schema', () => {
  it('prints a JSON Schema that describes the config keys, layers and optimizers', async () => {
    const result = await runCli('schema');
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(Object.keys(schema.properties)).toEqual(['name', 'seed', 'data', 'model', 'objective', 'loss', 'optimizer', 'scheduler', 'train', 'seeds', 'sweep', 'compare', 'targets', 'expect', 'protocol']);
    expect(schema.anyOf).toEqual([{ required: ['data', 'model'] }, { required: ['objective'] }]);
    const optimizers = JSON.stringify(schema.properties.optimizer);
    for (const name of ['"sgd"', '"rmsprop"', '"adam"', '"weight_decay"', '"amsgrad"']) expect(optimizers).toContain(name);
    // The layer list is recursive (a residual block holds layers), so it sits in $defs, referenced from model.layers.
    expect(JSON.stringify(schema.properties.model.properties.layers.items)).toMatch(/^\{"\$ref":"#\/\$defs\/\w+"\}$/);
    expect(JSON.stringify(schema.$defs)).toContain('"leaky_relu"');
    expect(JSON.stringify(schema.properties.scheduler)).toContain('"one_cycle_lr"');
    expect(optimizers).toContain('"description":"learning rate γ"');
  });
});
