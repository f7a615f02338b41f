import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../src/config/load.js';
import { expandTuning, usesLrFind } from '../../src/config/tuning.js';
import { ConfigError } from '../../src/core/errors.js';
import { LR_FIND_DEFAULTS, rangeTests } from '../../src/lab/lr-find.js';
import { planTuned } from '../../src/lab/tuned.js';
import { thrown } from '../thrown.js';
import { issuesOf } from './helpers.js';

const TUNED = `name: toy
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, validation: 0.25}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
train: {epochs: 1}
compare:
  sgd: {optimizer: {name: sgd}}
  adam: {optimizer: {name: adam}}
`;
const source = (space: string) => parseConfigSource(`${TUNED}protocol:\n  tune: {budget: 3, space: {${space}}}\n`, 'exp.yaml');

describe('protocol.tune.space centred on lr-find', () => {
  it("draws each variant's rates log-uniformly within factor× of its own suggestion", () => {
    const centres = new Map([['sgd', { valley: 0.1, steep: 1 }], ['adam', { valley: 0.002, steep: 0.01 }]]);
    const plan = expandTuning(source('optimizer.lr: {lr_find: {factor: 10}}'), [], null, centres);
    expect(usesLrFind(plan.protocol)).toBe(true);
    expect(plan.tuning.trials.map((t) => [t.values.variant, t.config.optimizer.lr])).toEqual([
      ['sgd', 0.01], ['sgd', 0.1], ['sgd', 1],
      ['adam', 0.0002], ['adam', 0.002], ['adam', 0.02],
    ]);
    const steep = expandTuning(source('optimizer.lr: {lr_find: {factor: 2, suggestion: steep}}'), [], null, centres);
    expect(steep.tuning.trials.map((t) => t.config.optimizer.lr)).toEqual([0.5, 1, 2, 0.005, 0.01, 0.02]);
  });

  it('refuses a variant without a suggestion, and lr_find on anything but optimizer.lr, at the key', () => {
    const error = thrown(ConfigError, () => expandTuning(source('optimizer.lr: {lr_find: {}}'), [], null, new Map([['sgd', { valley: 0.1, steep: 1 }]])));
    expect(error.issues[0].path).toEqual(['protocol', 'tune', 'space', 'optimizer.lr']);
    expect(error.issues[0].problem).toMatch(/no valley suggestion/);
    const [issue] = issuesOf(`${TUNED}protocol: {tune: {space: {optimizer.momentum: {lr_find: {}}}}}\n`);
    expect(issue.path).toEqual(['protocol', 'tune', 'space', 'optimizer.momentum']);
    expect(issue.problem).toMatch(/lr_find centres a learning rate/);
  });

  it("planTuned runs each variant's range test (fastai's defaults, 3 seeds) and centres on it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lr-centre-'));
    const file = join(dir, 'exp.yaml');
    const text = `${TUNED}protocol:\n  tune: {budget: 3, space: {optimizer.lr: {lr_find: {factor: 4}}}}\n`;
    writeFileSync(file, text);
    const { plan } = planTuned(file, { set: [], out: join(dir, 'runs') }, null);
    const adam = rangeTests(parseConfigSource(text, file), [{ path: ['optimizer', 'name'], value: 'adam', origin: 'test' }], LR_FIND_DEFAULTS.seeds, LR_FIND_DEFAULTS).combined.valley!;
    const rates = plan.tuning.trials.filter((t) => t.values.variant === 'adam').map((t) => t.config.optimizer.lr);
    expect(rates[1]).toBeCloseTo(adam, 10);
    expect(rates[0]).toBeCloseTo(adam / 4, 10);
  }, 60_000);
});
