/** The new optimizers from YAML: their reference defaults filled in, their options checked at their key. */
import { describe, expect, it } from 'vitest';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';

const withOptimizer = (optimizer: string): string => `${MNIST_MLP}optimizer: ${optimizer}\n`;

describe('per-tensor optimizers in a config', () => {
  it('fill the defaults of their references', () => {
    const defaults = (optimizer: string): Record<string, unknown> => resolveText(withOptimizer(optimizer)).optimizer;
    expect(defaults('{name: lion}')).toEqual({ name: 'lion', lr: 1e-4, betas: [0.9, 0.99], weight_decay: 0, maximize: false });
    expect(defaults('{name: lamb}')).toEqual({ name: 'lamb', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weight_decay: 0, bias_correction: true, maximize: false });
    expect(defaults('{name: lars}')).toMatchObject({ lr: 1, momentum: 0, trust_coefficient: 0.001, weight_decay: 0 });
    expect(defaults('{name: adafactor}')).toEqual({ name: 'adafactor', lr: 1e-2, beta2_decay: -0.8, eps: [null, 1e-3], d: 1, weight_decay: 0, foreach: null, maximize: false });
    expect(defaults("{name: muon, param_groups: [{params: ['*.bias'], optimizer: adamw}]}")).toMatchObject({
      lr: 1e-3,
      weight_decay: 0.1,
      momentum: 0.95,
      nesterov: true,
      ns_coefficients: [3.4445, -4.775, 2.0315],
      eps: 1e-7,
      ns_steps: 5,
      adjust_lr_fn: null,
    });
    expect(defaults('{name: prodigy}')).toEqual({
      name: 'prodigy',
      lr: 1,
      betas: [0.9, 0.999],
      beta3: null,
      eps: 1e-8,
      weight_decay: 0,
      decouple: true,
      use_bias_correction: false,
      safeguard_warmup: false,
      d0: 1e-6,
      d_coef: 1,
      growth_rate: Infinity,
    });
  });

  it.each([
    ['{name: lion, betas: [0.9, 1.0]}', 'optimizer.betas.1', 'must be < 1, got 1'],
    ['{name: lars, trust_coefficient: 0}', 'optimizer.trust_coefficient', 'must be > 0, got 0'],
    ['{name: adafactor, beta2_decay: 0.5}', 'optimizer.beta2_decay', 'must be <= 0, got 0.5'],
    ["{name: muon, adjust_lr_fn: orginal, param_groups: [{params: ['*.bias'], optimizer: adamw}]}", 'optimizer.adjust_lr_fn', 'must be one of original, match_rms_adamw'],
    ['{name: prodigy, d0: 0}', 'optimizer.d0', 'must be > 0, got 0'],
  ])('%s is refused at its key', (optimizer, path, problem) => {
    const [issue] = issuesOf(withOptimizer(optimizer));
    expect(issue.path.join('.')).toBe(path);
    expect(issue.problem).toContain(problem);
    expect(issue.line).toBe(7);
  });
});
