import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/cli/report-error.js';
import { expandSweep } from '../../src/config/trials.js';
import { parseConfigSource } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { issuesOf, MNIST_MLP, resolveText } from './helpers.js';

/** The lines adam-lab prints for resolving the config with these --set values. */
const setProblems = (sets: string[]): string[] => issuesOf(MNIST_MLP, sets).map((issue) => formatIssue('exp.yaml', issue));

describe('--set on a list', () => {
  it('indexes items and appends at the end', () => {
    expect(resolveText(MNIST_MLP, ['optimizer.betas.0=0.95']).optimizer.betas).toEqual([0.95, 0.999]);
    expect(resolveText(MNIST_MLP, ['model.layers.1=tanh']).model!.layers[1]).toBe('tanh');
    expect(resolveText(MNIST_MLP, ['model.layers.3=relu']).model!.layers).toHaveLength(4);
  });

  it('refuses a name or a negative number where a list needs an index, naming the flag', () => {
    expect(setProblems(['optimizer.betas.x=0.95'])).toEqual(['--set optimizer.betas.x=0.95 optimizer.betas.x: is not a list index (optimizer.betas is a list of 2 items; use 0 to 2)']);
    expect(setProblems(['model.layers.-1=relu'])).toEqual([expect.stringMatching(/^--set model\.layers\.-1=relu model\.layers\.-1: is not a list index/)]);
    expect(setProblems(['model.layers.x.linear=5'])).toEqual([expect.stringMatching(/^--set model\.layers\.x\.linear=5 model\.layers\.x: is not a list index/)]);
  });

  it('refuses an index past the end instead of leaving holes the file is blamed for', () => {
    expect(setProblems(['model.layers.5=relu'])).toEqual(['--set model.layers.5=relu model.layers.5: is past the end (model.layers is a list of 3 items; 3 appends one)']);
  });

  it('places the same mistake in a sweep axis of the file at the axis, every one of them', () => {
    const text = `${MNIST_MLP}sweep:\n  grid:\n    optimizer.betas.x: [0.9]\n    model.layers.7: [relu]\n`;
    const issues = thrown(ConfigError, () => expandSweep(parseConfigSource(text, 'exp.yaml'), [], [])).issues;
    expect(issues.map((issue) => formatIssue('exp.yaml', issue))).toEqual([
      'exp.yaml:9:5 optimizer.betas.x: is not a list index (optimizer.betas is a list of 2 items; use 0 to 2) (sweep.grid)',
      'exp.yaml:10:5 model.layers.7: is past the end (model.layers is a list of 3 items; 3 appends one) (sweep.grid)',
    ]);
  });
});
