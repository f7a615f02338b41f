import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { thrown } from '../thrown.js';
import { MNIST_MLP, resolveText } from './helpers.js';

/** The message of the UsageError that resolving with these --set values throws. */
const usageProblem = (sets: string[]): string => thrown(UsageError, () => resolveText(MNIST_MLP, sets)).message;

describe('--set on a list', () => {
  it('indexes items and appends at the end', () => {
    expect(resolveText(MNIST_MLP, ['optimizer.betas.0=0.95']).optimizer.betas).toEqual([0.95, 0.999]);
    expect(resolveText(MNIST_MLP, ['model.layers.1=tanh']).model.layers[1]).toBe('tanh');
    expect(resolveText(MNIST_MLP, ['model.layers.3=relu']).model.layers).toHaveLength(4);
  });

  it('refuses a name or a negative number where a list needs an index, naming the flag', () => {
    expect(usageProblem(['optimizer.betas.x=0.95'])).toBe("--set optimizer.betas.x=0.95: 'x' is not a list index (optimizer.betas is a list of 2 items; use 0 to 2)");
    expect(usageProblem(['model.layers.-1=relu'])).toMatch(/^--set model\.layers\.-1=relu: '-1' is not a list index/);
    expect(usageProblem(['model.layers.x.linear=5'])).toMatch(/^--set model\.layers\.x\.linear=5: 'x' is not a list index/);
  });

  it('refuses an index past the end instead of leaving holes the file is blamed for', () => {
    expect(usageProblem(['model.layers.5=relu'])).toBe('--set model.layers.5=relu: index 5 is past the end (model.layers is a list of 3 items; 3 appends one)');
  });
});
