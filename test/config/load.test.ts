import { describe, expect, it } from 'vitest';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';
import { formatIssue } from '../../src/cli/report-error.js';

describe('config validation errors', () => {
  it('names line:column and key path, with the value, for an out-of-range number', () => {
    const issues = issuesOf(`${MNIST_MLP}optimizer:\n  name: adam\n  lr: -0.01\n`);
    expect(issues).toEqual([{ path: ['optimizer', 'lr'], problem: 'must be > 0, got -0.01', line: 9, column: 7 }]);
  });

  it('reports every problem at once, in file order', () => {
    const text = `data: {dataset: mnist, batch_size: 0}
model:
  layers:
    - linear: 128
    - relux
    - linear: 10
optimizer: {name: adam, lr: -1, betas: [0.9, 1.5]}
train: {epochs: 0}
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.path.join('.')])).toEqual([
      [1, 'data.batch_size'],
      [5, 'model.layers.1'],
      [7, 'optimizer.lr'],
      [7, 'optimizer.betas.1'],
      [8, 'train.epochs'],
    ]);
  });

  it('suggests the key meant by a misspelled one, at the key itself', () => {
    const [issue] = issuesOf(`${MNIST_MLP}optimizer:\n  name: adam\n  weight_decy: 0.1\n`);
    expect(issue).toMatchObject({ path: ['optimizer', 'weight_decy'], line: 9, column: 3 });
    expect(issue.problem).toBe("unknown key 'weight_decy' (did you mean 'weight_decay'?)");
  });

  it('says input sizes are inferred instead of guessing a key for in_features', () => {
    const [issue] = issuesOf('data: {dataset: mnist}\nmodel:\n  layers: [{linear: {in_features: 784, out_features: 10}}]\nloss: cross_entropy\noptimizer: {name: adam}\n');
    expect(issue.path).toEqual(['model', 'layers', 0, 'linear', 'in_features']);
    expect(issue.problem).toBe("unknown key 'in_features': input sizes are inferred from the layer before (or the dataset); give only out_features");
  });

  it('refuses softmax saying that cross_entropy takes logits', () => {
    const [issue] = issuesOf('data: {dataset: mnist}\nmodel:\n  layers: [{linear: 10}, softmax]\nloss: cross_entropy\noptimizer: {name: adam}\n');
    expect(issue.path).toEqual(['model', 'layers', 1]);
    expect(issue.problem).toContain("no layer 'softmax': cross_entropy takes logits");
  });

  it('lists the valid keys when nothing is close', () => {
    const [issue] = issuesOf(`${MNIST_MLP}train: {epochs: 1, zzzzzz: 3}\n`);
    expect(issue.problem).toBe("unknown key 'zzzzzz'; valid keys: epochs, max_steps, early_stopping, eval_every, evaluate_test, clip_grad_norm, clip_grad_value, internals, average, checkpoint_every, checkpoint_every_seconds");
  });

  it('lists the valid names for an unknown optimizer, dataset or layer', () => {
    const text = `data: {dataset: mnst}
model:
  layers: [{lienar: 10}, relux]
optimizer: {name: adamm}
`;
    const problems = issuesOf(text).map((i) => `${i.path.join('.')}: ${i.problem}`);
    expect(problems[0]).toBe("data.dataset: unknown dataset 'mnst' (did you mean 'mnist'?); valid: mnist, fashion-mnist, cifar10, csv, text, synthetic");
    expect(problems[1]).toMatch(/^model\.layers\.0: unknown layer 'lienar' \(did you mean 'linear'\?\); valid: linear, relu, /);
    expect(problems[2]).toMatch(/^model\.layers\.1: unknown layer 'relux' \(did you mean 'relu'\?\)/);
    expect(problems[3]).toBe(
      "optimizer.name: unknown optimizer 'adamm' (did you mean 'adam'?); valid: sgd, rmsprop, adam, adamw, adamax, nadam, radam, adagrad, adadelta, lion, lamb, lars, adafactor, muon, prodigy, rprop, lbfgs, asgd, schedule_free_sgd, schedule_free_adamw",
    );
  });

  it("reports a known layer's own option problems, not every union member's", () => {
    const issues = issuesOf('data: {dataset: mnist}\nmodel:\n  layers: [{linear: {out_features: 10, bias: 3}}, {dropout: 2}, {linear: x}, {relu: {}}]\n');
    expect(issues.map((i) => `${i.path.join('.')}: ${i.problem}`)).toEqual([
      'model.layers.0.linear.bias: expected true or false, got 3',
      'model.layers.1.dropout.p: must be <= 1, got 2',
      "model.layers.2.linear: expected a number or a mapping, got 'x'",
      "model.layers.3: layer 'relu' takes no options: write it as a bare name",
    ]);
  });

  it('says a missing required key is required, at the mapping that lacks it', () => {
    const [issue] = issuesOf('model:\n  layers: [{linear: 10}]\n');
    expect(issue).toMatchObject({ path: ['data'], problem: 'is required', line: 1, column: 1 });
  });

  it('checks model shapes against the dataset before loading it', () => {
    const [issue] = issuesOf('data: {dataset: mnist}\nmodel:\n  layers: [{linear: 128}, relu, {linear: 12}]\n');
    expect(issue).toMatchObject({ path: ['model', 'layers', 2], line: 3, problem: 'the model has 12 output(s) but the dataset has 10 classes' });
  });

  it('requires a sigmoid before bce, and matching target widths', () => {
    const toy = 'data: {dataset: synthetic, task: uniform}\nmodel:\n  layers: [{linear: 4}, relu, {linear: 2}]\nloss: bce\n';
    const problems = issuesOf(toy).map((i) => i.problem);
    expect(problems).toContain('the model has 2 output(s) but the dataset has 1 target value(s) per sample');
    expect(problems).toContain('bce reads probabilities: end the model with sigmoid, or use bce_with_logits');
  });

  it('checks normalize against the channels of the images', () => {
    const [issue] = issuesOf('data: {dataset: mnist, normalize: {mean: [0.1, 0.2], std: [0.3, 0.3]}}\nmodel: {layers: [{linear: 10}]}\n');
    expect(issue).toMatchObject({ path: ['data', 'normalize', 'mean'], problem: 'needs 1 value(s), one per channel of mnist' });
  });

  it('rejects a run name that could leave the runs root', () => {
    for (const name of ['../x', '/etc', 'a/b', '.hidden', 'a\\u0000b']) {
      const [issue] = issuesOf(`name: "${name}"\n${MNIST_MLP}`);
      expect(issue.path).toEqual(['name']);
    }
  });
});

describe('resolved config', () => {
  it('fills every default, the optimizer with torch defaults', () => {
    const config = resolveText(MNIST_MLP);
    expect(config.optimizer).toEqual({ name: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, decoupled_weight_decay: false });
    expect(config.model!.layers).toEqual([{ linear: { out_features: 128, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }]);
    expect(config.data).toMatchObject({ batch_size: 64, shuffle: true, drop_last: false });
    expect(config.train).toEqual({ epochs: 1 });
    expect(config.name).toBe('exp');
    expect(config.seed).toBe(0);
  });

  it('gives sgd and rmsprop torch defaults', () => {
    expect(resolveText(`${MNIST_MLP}optimizer: {name: sgd}\n`).optimizer).toEqual({
      name: 'sgd', lr: 0.001, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false,
    });
    expect(resolveText(`${MNIST_MLP}optimizer: {name: rmsprop}\n`).optimizer).toEqual({
      name: 'rmsprop', lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, maximize: false,
    });
  });

  it('rejects nesterov without momentum, as torch does', () => {
    const [issue] = issuesOf(`${MNIST_MLP}optimizer: {name: sgd, nesterov: true}\n`);
    expect(issue).toMatchObject({ path: ['optimizer', 'nesterov'], problem: 'nesterov needs momentum > 0 and dampening = 0' });
  });
});

describe('--set overrides', () => {
  it('sets values parsed as YAML scalars, and indexes lists', () => {
    const config = resolveText(MNIST_MLP, ['optimizer.lr=3e-4', 'optimizer.betas.0=0.95', 'data.shuffle=false', 'train.epochs=2']);
    expect(config.optimizer.lr).toBe(3e-4);
    expect(config.optimizer.betas).toEqual([0.95, 0.999]);
    expect(config.data!.shuffle).toBe(false);
    expect(config.train.epochs).toBe(2);
  });

  it('switches the optimizer to another kind with its own defaults', () => {
    const config = resolveText(`${MNIST_MLP}optimizer: {name: adam}\n`, ['optimizer.name=sgd', 'optimizer.momentum=0.9']);
    expect(config.optimizer).toMatchObject({ name: 'sgd', momentum: 0.9, nesterov: false });
  });

  it('reports a bad override by the flag that gave it', () => {
    const issues = issuesOf(MNIST_MLP, ['optimizer.lr=-1', 'optimizer.lrr=3']);
    expect(issues).toEqual([
      { path: ['optimizer', 'lr'], problem: 'must be > 0, got -1', origin: '--set optimizer.lr=-1' },
      { path: ['optimizer', 'lrr'], problem: "unknown key 'lrr' (did you mean 'lr'?)", origin: '--set optimizer.lrr=3' },
    ]);
  });

  it('replaces a layer option through the list index', () => {
    const config = resolveText(MNIST_MLP, ['model.layers.0.linear=64']);
    expect(config.model!.layers[0]).toEqual({ linear: { out_features: 64, bias: true } });
  });
});

describe('messages about long names', () => {
  it('cut a long key or value short instead of repeating it whole', () => {
    const long = 'y'.repeat(5000);
    const [layer, key] = issuesOf(`data: {dataset: mnist}\nmodel: {layers: [${long}]}\noptimizer: {name: adam, ${long}: 1}\n`);
    expect(layer.problem).toMatch(/^unknown layer 'y{57}\.\.\.'; valid: linear, /);
    expect(key.problem).toMatch(/^unknown key 'y{57}\.\.\.'; valid keys: lr, /);
    expect(formatIssue('exp.yaml', key)).toMatch(/^exp\.yaml:3:25 optimizer\.y{57}\.\.\.: unknown key/);
  });
});
