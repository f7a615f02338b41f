import { describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../src/config/load.js';
import { parseOverride } from '../../src/config/overrides.js';
import { expandCompare, expandSweep, optimizerVariants, parseGridOption } from '../../src/config/trials.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { shardTrials } from '../../src/lab/trial-pool.js';

const BASE = `name: toy
seeds: [0, 1]
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: {name: adam}
train: {epochs: 1}
`;

const source = (text: string) => parseConfigSource(text, 'exp.yaml');

const configIssues = (action: () => unknown) => thrown(ConfigError, action).issues;

describe('sweep expansion', () => {
  it('takes the cartesian product of the grid, times the seeds, seeds innermost', () => {
    const text = `${BASE}sweep:\n  grid:\n    optimizer.lr: [0.001, 0.01, 0.1]\n    optimizer.betas.0: [0.8, 0.9]\n`;
    const { trials, axes } = expandSweep(source(text), [], []);
    expect(axes).toEqual(['optimizer.lr', 'optimizer.betas.0']);
    expect(trials).toHaveLength(12);
    expect(trials.slice(0, 3).map((t) => [t.group, t.seed])).toEqual([
      ['optimizer.lr=0.001 optimizer.betas.0=0.8', 0],
      ['optimizer.lr=0.001 optimizer.betas.0=0.8', 1],
      ['optimizer.lr=0.001 optimizer.betas.0=0.9', 0],
    ]);
    expect(trials[7].config.optimizer).toMatchObject({ lr: 0.01, betas: [0.9, 0.999] });
    expect(trials[7].config.seed).toBe(1);
    expect(trials.every((t, i) => t.index === i)).toBe(true);
    expect(new Set(trials.map((t) => t.id)).size).toBe(12);
    expect(trials[0].config).not.toHaveProperty('sweep');
    expect(trials[0].config).not.toHaveProperty('seeds');
  });

  it('gives the same trial the same id whatever sweep it is in', () => {
    const a = expandSweep(source(`${BASE}sweep: {grid: {optimizer.lr: [0.001, 0.01]}}\n`), [], []);
    const b = expandSweep(source(`${BASE}sweep: {grid: {optimizer.lr: [0.01, 0.1]}}\n`), [], []);
    expect(a.trials[2].id).toBe(b.trials[0].id);
  });

  it('draws random trials reproducibly from their distributions', () => {
    const text = `${BASE}sweep:
  random:
    trials: 40
    seed: 3
    space:
      optimizer.lr: {log_uniform: [1.0e-5, 1.0e-1]}
      optimizer.betas.1: {uniform: [0.9, 0.9999]}
      optimizer.name: {choice: [adam, adamw]}
      train.epochs: {int_uniform: [1, 3]}
`;
    const first = expandSweep(source(text), [], []);
    const again = expandSweep(source(text), [], []);
    expect(first.trials).toHaveLength(80);
    expect(again.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
    const values = first.trials.filter((t) => t.seed === 0).map((t) => t.values);
    expect(values.every((v) => (v['optimizer.lr'] as number) >= 1e-5 && (v['optimizer.lr'] as number) < 0.1)).toBe(true);
    expect(values.some((v) => (v['optimizer.lr'] as number) < 1e-4)).toBe(true); // log-uniform reaches the small decades
    expect(new Set(values.map((v) => v['optimizer.name']))).toEqual(new Set(['adam', 'adamw']));
    expect(new Set(values.map((v) => v['train.epochs']))).toEqual(new Set([1, 2, 3]));
    const reseeded = expandSweep(source(text.replace('seed: 3', 'seed: 4')), [], []);
    expect(reseeded.trials.map((t) => t.id)).not.toEqual(first.trials.map((t) => t.id));
  });

  it('adds and replaces grid axes from the command line', () => {
    const text = `${BASE}sweep: {grid: {optimizer.lr: [0.001, 0.01]}}\n`;
    const grid = [parseGridOption('optimizer.lr=0.1,0.2,0.3'), parseGridOption('optimizer.eps=1e-8,1e-6')];
    const { trials, axes } = expandSweep(source(text), [], grid);
    expect(axes).toEqual(['optimizer.lr', 'optimizer.eps']);
    expect(trials).toHaveLength(3 * 2 * 2);
    expect(trials[0].values).toEqual({ 'optimizer.lr': 0.1, 'optimizer.eps': 1e-8 });
  });

  it('reads --grid values as --set reads its value: invalid YAML and deep nesting are usage errors naming the flag and the assignment', () => {
    expect(thrown(UsageError, () => parseGridOption('optimizer.lr=0.1,[1')).message).toMatch(/^--grid optimizer\.lr=0\.1,\[1: the value '\[1' is not valid YAML \(/);
    expect(thrown(UsageError, () => parseGridOption(`optimizer.lr=${'['.repeat(40)}${']'.repeat(40)}`)).message).toMatch(/^--grid optimizer\.lr=\[{37}\.\.\.: lists or mappings are nested more than/);
  });

  it('reports a path the config does not have, at the sweep key', () => {
    const issues = configIssues(() => expandSweep(source(`${BASE}sweep:\n  grid:\n    optimizer.lrr: [0.1, 0.2, 0.3]\n`), [], []));
    // Once, at the axis's key, not once per value.
    expect(issues).toEqual([{ path: ['optimizer', 'lrr'], problem: "unknown key 'lrr' (did you mean 'lr'?)", line: 9, column: 5, origin: 'sweep.grid' }]);
    const drawn = configIssues(() => expandSweep(source(`${BASE}sweep:\n  random:\n    trials: 3\n    space: {optimizer.lrr: {uniform: [0.1, 0.2]}}\n`), [], []));
    expect(drawn).toEqual([{ path: ['optimizer', 'lrr'], problem: "unknown key 'lrr' (did you mean 'lr'?)", line: 10, column: 13, origin: 'sweep.random' }]);
  });

  it('reports a wrong value at its place in the grid, once for all seeds', () => {
    const issues = configIssues(() => expandSweep(source(`${BASE}sweep:\n  grid:\n    optimizer.lr: [0.1, fast, -1]\n`), [], []));
    expect(issues.map((i) => [i.problem, i.line, i.column])).toEqual([
      ["expected a number, got 'fast'", 9, 25],
      ['must be > 0, got -1', 9, 31],
    ]);
  });

  it('refuses an empty grid and a sweep without axes', () => {
    expect(configIssues(() => expandSweep(source(`${BASE}sweep: {grid: {optimizer.lr: []}}\n`), [], []))[0].problem).toBe('needs at least 1 item(s), got 0');
    expect(configIssues(() => expandSweep(source(BASE), [], []))[0].problem).toMatch(/^is missing: add a sweep: block/);
    const noPaths = configIssues(() => expandSweep(source(`${BASE}sweep: {grid: {}}\n`), [], []));
    expect(noPaths.map((i) => [i.path.join('.'), i.problem])).toEqual([['sweep.grid', 'is empty: name at least one path and its values']]);
    const noSpace = configIssues(() => expandSweep(source(`${BASE}sweep: {random: {trials: 5, space: {}}}\n`), [], []));
    expect(noSpace.map((i) => [i.path.join('.'), i.problem])).toEqual([['sweep.random.space', 'is empty: name at least one path and how to draw it']]);
  });
});

describe('trials that coincide', () => {
  it('are refused at the later value, variant or seed, naming the earlier', () => {
    const said = (text: string) => configIssues(() => (text.includes('compare:') ? expandCompare(source(text), [], null) : expandSweep(source(text), [], []))).map((i) => [i.path.join('.'), i.problem, i.line, i.column]);
    expect(said(`${BASE}sweep:\n  grid:\n    optimizer.lr: [0.1, 0.2, 0.1]\n`)).toEqual([['sweep.grid.optimizer.lr.2', 'gives the same trial as sweep.grid.optimizer.lr.0: each trial must differ', 9, 30]]);
    expect(said(`${BASE}compare:\n  a: {optimizer: {name: sgd}}\n  b: {optimizer: {name: sgd}}\n`)).toEqual([['compare.b.optimizer', 'gives the same trial as compare.a.optimizer: each trial must differ', 9, 18]]);
    expect(said(`${BASE}compare:\n  a: {optimizer: {lr: 0.001}}\n  b: {}\n`)).toEqual([['compare.b', 'gives the same trial as compare.a: each trial must differ', 9, 6]]);
    expect(said(`${BASE.replace(/seeds: .*\n/, '')}seeds: [3, 4, 3]\nsweep:\n  grid:\n    optimizer.lr: [0.1, 0.2]\n`)[0].slice(0, 2)).toEqual(['seeds', 'repeats a seed: each trial must differ']);
  });

  it('name a value repeated on the command line as its flag, even when the file has seeds', () => {
    const grid = configIssues(() => expandSweep(source(`${BASE}sweep: {grid: {optimizer.eps: [1.0e-8, 1.0e-6]}}\n`), [], [parseGridOption('optimizer.lr=0.1,0.1')]));
    expect(grid).toEqual([{ path: ['optimizer', 'lr'], problem: 'repeats a value: each trial must differ', origin: '--grid optimizer.lr=0.1,0.1' }]);
    const seeds = configIssues(() => expandSweep(source(`${BASE}sweep: {grid: {optimizer.lr: [0.1, 0.2]}}\n`), [parseOverride('seeds=[3,3]')], []));
    expect(seeds).toEqual([{ path: ['seeds'], problem: 'repeats a seed: each trial must differ', origin: '--set seeds=[3,3]' }]);
  });

  it('tell variants apart by their whole names, not the shortened ones messages show', () => {
    // Both names shorten to the same 57 characters and "...".
    const [a, b] = [`${'v'.repeat(65)}a`, `${'v'.repeat(65)}b`];
    const compare = (patchB: string) => source(`${BASE}compare:\n  ${a}: {optimizer: {name: sgd}}\n  ${b}: ${patchB}\n`);
    expect(expandCompare(compare('{optimizer: {name: adamw}}'), [], null).trials).toHaveLength(4);
    const issues = configIssues(() => expandCompare(compare('{optimizer: {name: sgd}}'), [], null));
    expect(issues.map((i) => [i.path, i.problem, i.line])).toEqual([[['compare', b, 'optimizer'], `gives the same trial as compare.${'v'.repeat(57)}....optimizer: each trial must differ`, 9]]);
  });
});

describe('compare expansion', () => {
  it('changes only the variant a --set names, even where variants share a block through a YAML alias', () => {
    const text = `${BASE}compare:\n  a: {optimizer: &shared {name: sgd, lr: 0.1}}\n  b: {optimizer: *shared, train: {epochs: 2}}\n`;
    const { trials } = expandCompare(source(text), [parseOverride('compare.a.optimizer.lr=0.5')], null);
    expect(trials.filter((t) => t.group === 'a').map((t) => t.config.optimizer.lr)).toEqual([0.5, 0.5]);
    expect(trials.filter((t) => t.group === 'b').map((t) => t.config.optimizer.lr)).toEqual([0.1, 0.1]);
  });

  it('patches the base config per variant; another optimizer name starts from its own defaults', () => {
    const text = `${BASE}compare:\n  sgd: {optimizer: {name: sgd, lr: 0.1, momentum: 0.9}}\n  adam: {optimizer: {lr: 0.003}}\n  wide: {model: {layers: [{linear: 32}, tanh, {linear: 2}]}}\n`;
    const { trials, kind } = expandCompare(source(text), [], null);
    expect(kind).toBe('compare');
    expect(trials.map((t) => `${t.group}/${t.seed}`)).toEqual(['sgd/0', 'sgd/1', 'adam/0', 'adam/1', 'wide/0', 'wide/1']);
    expect(trials[0].config.optimizer).toEqual({ name: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false, maximize: false });
    expect(trials[2].config.optimizer).toMatchObject({ name: 'adam', lr: 0.003, betas: [0.9, 0.999] });
    expect(trials[4].config.model!.layers[0]).toEqual({ linear: { out_features: 32, bias: true } });
  });

  it('compares optimizers named on the command line, at their defaults or a given lr', () => {
    const { trials } = expandCompare(source(BASE), [], optimizerVariants('sgd:0.1,adamw,rmsprop'));
    expect(trials.filter((t) => t.seed === 0).map((t) => [t.group, t.config.optimizer.lr])).toEqual([
      ['sgd', 0.1],
      ['adamw', 0.001],
      ['rmsprop', 0.01],
    ]);
  });

  it('reports a bad patch value at its place in the compare block', () => {
    const issues = configIssues(() => expandCompare(source(`${BASE}compare:\n  sgd: {optimizer: {name: sgd, lr: -1}}\n`), [], null));
    expect(issues[0]).toMatchObject({ path: ['optimizer', 'lr'], problem: 'must be > 0, got -1', line: 8, origin: 'compare.sgd' });
  });
});

describe('shards', () => {
  it('partition the trials: disjoint, complete and in order, for any count', () => {
    const { trials } = expandSweep(source(`${BASE}sweep: {grid: {optimizer.lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007]}}\n`), [], []);
    for (let count = 1; count <= 9; count++) {
      const parts = Array.from({ length: count }, (_, k) => shardTrials(trials, { index: k + 1, count }).map((t) => t.index));
      expect(parts.flat().sort((a, b) => a - b)).toEqual(trials.map((t) => t.index));
      expect(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length))).toBeLessThanOrEqual(1);
    }
  });
});
