/**
 * Muon steps 2-D matrices only (torch.optim.Muon raises on anything else): a config that leaves a
 * bias to it is refused before training, naming the tensor, at the key that gives it to Muon.
 */
import { describe, expect, it } from 'vitest';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';

const withOptimizer = (optimizer: string): string => `${MNIST_MLP}optimizer: ${optimizer}\n`;

describe('muon and the tensors it may step', () => {
  it('refuses biases left in the default group, naming each, at optimizer.name', () => {
    const issues = issuesOf(withOptimizer('{name: muon}'));
    expect(issues.map((i) => `${i.path.join('.')}: ${i.problem.split(':')[0]}`)).toEqual([
      'optimizer.name: muon cannot step 0.bias [128]',
      'optimizer.name: muon cannot step 2.bias [10]',
    ]);
    expect(issues[0].problem).toContain("optimizer: adamw");
    expect(issues[0].line).toBe(7);
  });

  it('refuses a bias a group hands to muon explicitly, at that group', () => {
    const [issue] = issuesOf(withOptimizer("{name: adam, param_groups: [{params: ['0.*'], optimizer: muon}]}"));
    expect(issue.path.join('.')).toBe('optimizer.param_groups.0.optimizer');
    expect(issue.problem).toContain('muon cannot step 0.bias [128]');
  });

  it('accepts muon with its biases in an AdamW group', () => {
    const config = resolveText(withOptimizer("{name: muon, param_groups: [{params: ['*.bias'], optimizer: adamw, lr: 3.0e-4}]}"));
    expect(config.optimizer).toMatchObject({ name: 'muon', lr: 1e-3, momentum: 0.95, nesterov: true, weight_decay: 0.1 });
  });
});
