/** The objective: block: resolved with its defaults, and every mistake named at its line:column. */
import { describe, expect, it } from 'vitest';
import { issuesOf, resolveText } from './helpers.js';

describe('objective:', () => {
  it('resolves with the defaults of its objective, and no data, model or loss', () => {
    const config = resolveText('objective: {name: quadratic, start: [1, 2, 3]}\n');
    expect(config.objective).toEqual({ name: 'quadratic', start: [1, 2, 3], noise: 0, condition_number: 10, rotation: 0 });
    expect([config.data, config.model, config.loss]).toEqual([undefined, undefined, undefined]);
  });

  it('runs 1000 steps unless train: says otherwise, evaluating about 100 times', () => {
    expect(resolveText('objective: {name: saddle, start: [1, 0]}\n').train).toEqual({ max_steps: 1000, eval_every: 10 });
    expect(resolveText('objective: {name: saddle, start: [1, 0]}\ntrain: {max_steps: 250}\n').train).toEqual({ max_steps: 250, eval_every: 3 });
    expect(resolveText('objective: {name: saddle, start: [1, 0]}\ntrain: {epochs: 40, eval_every: 7}\n').train).toEqual({ epochs: 40, eval_every: 7 });
    // a config on data keeps one epoch, and its loss in place after model:
    const data = resolveText('data: {dataset: synthetic, task: moons}\nmodel: {layers: [{linear: 2}]}\n');
    expect(data.train).toEqual({ epochs: 1 });
    expect(Object.keys(data).slice(0, 5)).toEqual(['seed', 'data', 'model', 'loss', 'optimizer']);
  });

  it('needs a start of the dimension the objective takes', () => {
    expect(issuesOf('objective:\n  name: beale\n  start: [1, 2, 3]\n')).toMatchObject([
      { path: ['objective', 'start'], line: 3, column: 10, problem: 'beale is 2-dimensional: start needs 2 coordinate(s), got 3' },
    ]);
    expect(issuesOf('objective: {name: rosenbrock, start: [1]}\n')).toMatchObject([{ path: ['objective', 'start'], problem: 'rosenbrock needs at least 2 coordinates, got 1' }]);
  });

  it('needs a domain that fits start, and a start inside it', () => {
    expect(issuesOf('objective: {name: saddle, start: [0, 0], domain: [[-1, 1]]}\n')).toMatchObject([{ path: ['objective', 'domain'], line: 1, column: 50 }]);
    expect(issuesOf('objective: {name: saddle, start: [0, 2], domain: [-1, 1]}\n')).toMatchObject([
      { path: ['objective', 'start', 1], line: 1, column: 38, problem: '2 lies outside the domain [-1, 1]' },
    ]);
    expect(issuesOf('objective: {name: reddi2018_online, start: [0]}\n')).toMatchObject([{ path: ['objective', 'domain'], problem: 'reddi2018_online is linear, unbounded without a domain: add e.g. domain: [-1, 1]' }]);
  });

  it('names an unknown objective and suggests the nearest', () => {
    expect(issuesOf('objective: {name: rosenbock, start: [0, 0]}\n')[0].problem).toMatch(/^unknown objective 'rosenbock' \(did you mean 'rosenbrock'\?\)/);
  });

  it('refuses data, model and loss beside it', () => {
    expect(issuesOf('objective: {name: saddle, start: [0, 0]}\nloss: mse\n')).toMatchObject([{ path: ['loss'], line: 2, column: 7 }]);
  });

  it('holds expect.variants to the compare: block, and trajectory expectations to the objective', () => {
    const base = 'objective: {name: saddle, start: [1, 0.001]}\ncompare: {adam: {optimizer: {name: adam}}, sgd: {optimizer: {name: sgd, lr: 0.1}}}\n';
    expect(issuesOf(`${base}expect:\n  variants:\n    adma: {final_coordinate: {index: 0, max: 1}}\n`)).toMatchObject([
      { path: ['expect', 'variants', 'adma'], line: 5, column: 5, problem: 'is not a variant of compare: (adam, sgd)' },
    ]);
    expect(issuesOf(`${base}expect: {escape_step: {coordinate: 2, beyond: 1, max: 10}}\n`)).toMatchObject([
      { path: ['expect', 'escape_step', 'coordinate'], problem: 'is 2, but the objective has 2 coordinate(s) (x0…x1)' },
    ]);
    expect(issuesOf('data: {dataset: synthetic, task: moons}\nmodel: {layers: [{linear: 2}]}\nexpect: {final_coordinate: {index: 0, min: 0}}\n')).toMatchObject([
      { path: ['expect', 'final_coordinate'], problem: 'reads the trajectory of an objective run: the config trains on data' },
    ]);
  });
});
