import { describe, expect, it } from 'vitest';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';

const withOptimizer = (optimizer: string, extra = ''): string => `${MNIST_MLP}optimizer: ${optimizer}\n${extra}`;

describe('parameter groups', () => {
  it.each([
    ["{name: adagrad, param_groups: [{params: ['0.*'], initial_accumulator_value: 0.1}]}", 'optimizer.param_groups.0.initial_accumulator_value', 'torch.optim.Adagrad reads it once for every group'],
    ["{name: sgd, param_groups: [{params: ['0.*'], nesterov: true}]}", 'optimizer.param_groups.0.nesterov', 'nesterov needs momentum > 0 and dampening = 0'],
    ["{name: adam, param_groups: [{params: ['9.*'], lr: 0.1}]}", 'optimizer.param_groups.0.params.0', "'9.*' matches no tensor"],
    ["{name: adam, param_groups: [{params: ['0.*'], momentum: 0.9}]}", 'optimizer.param_groups.0.momentum', "unknown key 'momentum'"],
  ])('%s is refused at its key', (optimizer, path, problem) => {
    const [issue] = issuesOf(withOptimizer(optimizer));
    expect(issue.path.join('.')).toBe(path);
    expect(issue.problem).toContain(problem);
  });
});

describe('optimizer options', () => {
  it.each([
    ['{name: adamw, lr: -0.1}', 'optimizer.lr', 'must be > 0, got -0.1'],
    ['{name: nadam, betas: [0.9, 1.0]}', 'optimizer.betas.1', 'must be < 1, got 1'],
    ['{name: radam, betas: [-0.1, 0.99]}', 'optimizer.betas.0', 'must be >= 0, got -0.1'],
    ['{name: adadelta, rho: 1.5}', 'optimizer.rho', 'must be <= 1, got 1.5'],
    ['{name: adagrad, eps: -1}', 'optimizer.eps', 'must be >= 0, got -1'],
    ['{name: adam, momentum: 0.9}', 'optimizer.momentum', "unknown key 'momentum'; valid keys: lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay, name, lookahead, param_groups"],
    ['{name: adagrad, lr_decy: 0.1}', 'optimizer.lr_decy', "unknown key 'lr_decy' (did you mean 'lr_decay'?)"],
    ['{name: adamax, amsgrad: true}', 'optimizer.amsgrad', "unknown key 'amsgrad'; valid keys: lr, betas, eps, weight_decay, maximize, name, lookahead, param_groups"],
  ])('%s is rejected at its key and line', (optimizer, path, problem) => {
    const [issue] = issuesOf(withOptimizer(optimizer));
    expect(`${issue.path.join('.')}: ${issue.problem}`).toBe(`${path}: ${problem}`);
    expect(issue.line).toBe(7);
  });

  it("fills torch's defaults for every optimizer", () => {
    const defaults = (name: string): Record<string, unknown> => resolveText(withOptimizer(`{name: ${name}}`)).optimizer;
    expect(defaults('adamw')).toMatchObject({ lr: 1e-3, weight_decay: 1e-2, amsgrad: false });
    expect(defaults('adamax')).toMatchObject({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8 });
    expect(defaults('nadam')).toMatchObject({ lr: 2e-3, momentum_decay: 4e-3, decoupled_weight_decay: false });
    expect(defaults('radam')).toMatchObject({ lr: 1e-3, decoupled_weight_decay: false });
    expect(defaults('adagrad')).toMatchObject({ lr: 1e-2, lr_decay: 0, initial_accumulator_value: 0, eps: 1e-10 });
    expect(defaults('adadelta')).toMatchObject({ lr: 1, rho: 0.9, eps: 1e-6, weight_decay: 0 });
  });
});

describe('schedules and clipping', () => {
  it('reduce_lr_on_plateau watches val_loss when data is held out, test_loss otherwise, and an explicit metric as given', () => {
    const plateau = (data: string, metric = ''): unknown => {
      const text = `${MNIST_MLP.replace('data: {dataset: mnist}', data)}scheduler: {name: reduce_lr_on_plateau${metric}}\n`;
      return (resolveText(text).scheduler as { metric?: string }).metric;
    };
    expect(plateau('data: {dataset: mnist, validation: 0.1}')).toBe('val_loss');
    expect(plateau('data: {dataset: mnist}')).toBe('test_loss');
    expect(plateau('data: {dataset: mnist, validation: 0.1}', ', metric: test_accuracy')).toBe('test_accuracy');
    expect(plateau('data: {dataset: mnist}', ', metric: train_loss')).toBe('train_loss');
  });

  it('validates a schedule by its name, with torch defaults', () => {
    const config = resolveText(withOptimizer('{name: sgd, momentum: 0.9}', 'scheduler: {name: one_cycle_lr, max_lr: 0.1}\n'));
    expect(config.scheduler).toMatchObject({ name: 'one_cycle_lr', max_lr: 0.1, pct_start: 0.3, div_factor: 25, cycle_momentum: true });
    const [issue] = issuesOf(withOptimizer('{name: adam}', 'scheduler: {name: cosine_anealing_lr, t_max: 10}\n'));
    expect(issue).toMatchObject({ path: ['scheduler', 'name'], line: 8 });
    expect(issue.problem).toMatch(/^unknown scheduler 'cosine_anealing_lr' \(did you mean 'cosine_annealing_lr'\?\); valid: step_lr, /);
  });

  it('checks sequential_lr milestones against its schedulers', () => {
    const text = withOptimizer('{name: adam}', 'scheduler:\n  name: sequential_lr\n  schedulers: [{name: linear_lr}, {name: cosine_annealing_lr, t_max: 9}]\n  milestones: [5, 10]\n');
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ path: ['scheduler', 'milestones'], problem: 'needs one milestone fewer than schedulers', line: 11 });
  });

  it('refuses to cycle momentum on an optimizer that has none', () => {
    const [issue] = issuesOf(withOptimizer('{name: adagrad}', 'scheduler: {name: one_cycle_lr, max_lr: 0.1}\n'));
    expect(issue).toMatchObject({ path: ['scheduler', 'cycle_momentum'], problem: 'adagrad has no momentum or β1 to cycle; set cycle_momentum: false' });
    expect(resolveText(withOptimizer('{name: adagrad}', 'scheduler: {name: one_cycle_lr, max_lr: 0.1, cycle_momentum: false}\n')).scheduler).toBeDefined();
  });

  it('takes clip_grad_norm and clip_grad_value under train, positive', () => {
    expect(resolveText(`${MNIST_MLP}train: {epochs: 1, clip_grad_norm: 1.0}\n`).train).toEqual({ epochs: 1, clip_grad_norm: 1 });
    expect(issuesOf(`${MNIST_MLP}train: {epochs: 1, clip_grad_value: 0}\n`)[0].problem).toBe('must be > 0, got 0');
  });
});
