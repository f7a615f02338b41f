/**
 * A param group that names another optimizer (`optimizer: adamw`) takes that optimizer's options
 * and defaults, not the top level's, and its mistakes are reported at their key.
 */
import { describe, expect, it } from 'vitest';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';

const withOptimizer = (optimizer: string): string => `${MNIST_MLP}optimizer: ${optimizer}\n`;

describe('a param group with its own optimizer', () => {
  it("takes that optimizer's defaults, not the top level's", () => {
    const config = resolveText(withOptimizer("{name: adam, lr: 0.5, param_groups: [{params: ['*.bias'], optimizer: sgd, momentum: 0.9}]}"));
    const [group] = config.optimizer.param_groups as Record<string, unknown>[];
    expect(group).toEqual({ params: ['*.bias'], optimizer: 'sgd', lr: 1e-3, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false, maximize: false });
  });

  it.each([
    ["{name: adam, param_groups: [{params: ['*.bias'], optimizer: sgd, lr: -1}]}", 'optimizer.param_groups.0.lr', 'must be > 0, got -1'],
    ["{name: adam, param_groups: [{params: ['*.bias'], optimizer: sgd, betas: [0.9, 0.99]}]}", 'optimizer.param_groups.0.betas', "unknown key 'betas'"],
    ["{name: adam, param_groups: [{params: ['*.bias'], optimizer: sgd, nesterov: true}]}", 'optimizer.param_groups.0.nesterov', 'nesterov needs momentum > 0'],
    ["{name: adam, param_groups: [{params: ['*.bias'], optimizer: adamx}]}", 'optimizer.param_groups.0.optimizer', "unknown optimizer 'adamx'"],
    ["{name: adam, param_groups: [{params: ['*.bias'], lr: -1}]}", 'optimizer.param_groups.0.lr', 'must be > 0, got -1'],
  ])('%s is refused at its key and line', (optimizer, path, problem) => {
    const [issue] = issuesOf(withOptimizer(optimizer));
    expect(issue.path.join('.')).toBe(path);
    expect(issue.problem).toContain(problem);
    expect(issue.line).toBe(7);
  });
});
