/**
 * `__proto__`, `constructor` and `prototype` as keys, from every source a key comes from: the
 * config file (any depth, compare patches, sweep and tuning spaces), `--set` (path and value),
 * `--grid` (path and values) and `--optimizers`. Each is refused with its place (line:column,
 * or the flag and assignment), never merged into a prototype, never dropped in silence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../src/config/load.js';
import { parseOverride } from '../../src/config/overrides.js';
import { expandCompare, expandSweep, optimizerVariants, parseGridOption } from '../../src/config/trials.js';
import { expandTuning } from '../../src/config/tuning.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { runCli } from '../cli/run-cli.js';

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];
const BASE = 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32, validation: 0.25}\nmodel: {layers: [{linear: 2}]}\n';
const source = (text: string) => parseConfigSource(text, 'exp.yaml');
const sets = (...assignments: string[]) => assignments.map((a) => parseOverride(a));

/** Object.prototype as it was before any case: a key that reached it shows up here. */
const pristine = Object.getOwnPropertyNames(Object.prototype).sort();
afterEach(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort(), 'Object.prototype was polluted').toEqual(pristine);
  expect(({} as Record<string, unknown>).lr).toBeUndefined();
});

function placedIssue(action: () => unknown) {
  const error = thrown(ConfigError, action);
  expect(error.issues.length, JSON.stringify(error.issues)).toBeGreaterThan(0);
  for (const issue of error.issues) expect(issue.line, JSON.stringify(issue)).toBeDefined();
  return error.issues[0];
}

describe.each(PROTOTYPE_KEYS)('the key %s', (key) => {
  const refusal = new RegExp(`'${key}' cannot be a key`);

  it('in the file, at any depth, is refused at its line and column', () => {
    expect(placedIssue(() => source(`${BASE}${key}: {lr: 5}\n`))).toMatchObject({ line: 3, column: 1, problem: expect.stringMatching(refusal) });
    expect(placedIssue(() => source(`${BASE}optimizer: {name: adam, ${key}: {lr: 5}}\n`))).toMatchObject({ line: 3, column: 25 });
  });

  it('in a compare patch, one level down or deeper, is refused at its place', () => {
    const variant = placedIssue(() => expandCompare(source(`${BASE}compare:\n  a: {${key}: {optimizer: {name: sgd}}}\n  b: {optimizer: {name: adam}}\n`), [], null));
    expect(variant).toMatchObject({ line: 4, column: 7, problem: expect.stringMatching(refusal) });
    const deep = placedIssue(() => expandCompare(source(`${BASE}compare:\n  a: {optimizer: {${key}: {lr: 5}}}\n  b: {optimizer: {name: sgd}}\n`), [], null));
    expect(deep).toMatchObject({ line: 4, column: 19, problem: expect.stringMatching(refusal) });
    expect(placedIssue(() => expandCompare(source(`${BASE}compare:\n  ${key}: {optimizer: {name: sgd}}\n  b: {optimizer: {name: adam}}\n`), [], null))).toMatchObject({ line: 4, column: 3 });
  });

  it('in a path of sweep.grid, sweep.random.space or protocol.tune.space, is refused at the path', () => {
    expect(placedIssue(() => expandSweep(source(`${BASE}sweep:\n  grid:\n    optimizer.${key}.lr: [1, 2]\n`), [], []))).toMatchObject({ line: 5, column: 5, problem: expect.stringMatching(refusal) });
    const random = `${BASE}sweep:\n  random:\n    trials: 2\n    space:\n      optimizer.${key}: {uniform: [1, 2]}\n`;
    expect(placedIssue(() => expandSweep(source(random), [], []))).toMatchObject({ line: 7, column: 7, problem: expect.stringMatching(refusal) });
    const tuned = `${BASE}compare: {a: {optimizer: {name: sgd}}, b: {optimizer: {name: adam}}}\nprotocol:\n  tune:\n    space:\n      ${key}.lr: {uniform: [1, 2]}\n`;
    expect(placedIssue(() => expandTuning(source(tuned), [], null))).toMatchObject({ line: 7, column: 7, problem: expect.stringMatching(refusal) });
  });

  it('in a --set path or value (a compare patch given on the command line) names the flag and the assignment', () => {
    expect(thrown(UsageError, () => parseOverride(`${key}.lr=1`)).problem).toMatch(new RegExp(`^--set ${key}\\.lr=1: '${key}' cannot be a key`));
    expect(thrown(UsageError, () => parseOverride(`optimizer.${key}.lr=1`)).problem).toMatch(/^--set optimizer\.\w+\.lr=1: /);
    const patch = `compare={a: {optimizer: {${key}: {lr: 3}}}, b: {optimizer: {name: sgd}}}`;
    expect(thrown(UsageError, () => parseOverride(patch)).problem).toMatch(new RegExp(`^--set compare=\\{a: .*: '${key}' cannot be a key: .* \\(at compare\\.a\\.optimizer\\.${key}\\)`));
    expect(thrown(UsageError, () => expandCompare(source(BASE), sets(`compare={a: {${key}: {lr: 3}}, b: {optimizer: {name: sgd}}}`), null)).problem).toMatch(refusal);
  });

  it('in a --grid path or value names the flag and the assignment', () => {
    expect(thrown(UsageError, () => parseGridOption(`optimizer.${key}=1,2`)).problem).toMatch(new RegExp(`^--grid optimizer\\.${key}=1,2: '${key}' cannot be a key`));
    expect(thrown(UsageError, () => parseGridOption(`optimizer={${key}: 1},{lr: 2}`)).problem).toMatch(new RegExp(`^--grid optimizer=\\{${key}: 1\\},\\{lr: 2\\}: '${key}' cannot be a key`));
  });

  it('as an --optimizers name is refused naming the flag, not dropped', () => {
    expect(thrown(UsageError, () => optimizerVariants(`sgd,${key}`)).problem).toMatch(new RegExp(`^--optimizers sgd,${key}: '${key}' `));
  });

  it('as the name asked of `adam-lab optimizers` is an unknown name, exit 2', async () => {
    const { code, stderr } = await runCli('optimizers', key);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: no optimizer or schedule named '${key}'; see adam-lab optimizers\n`);
  });
});

it('names that merely look like Object members (toString, hasOwnProperty) are plain unknown keys', () => {
  const error = thrown(ConfigError, () => expandCompare(source(`${BASE}compare:\n  a: {optimizer: {toString: 1}}\n  b: {optimizer: {name: sgd}}\n`), [], null));
  expect(error.issues[0]).toMatchObject({ line: 4, column: 19, problem: expect.stringMatching(/^unknown key 'toString'/) });
  expect(optimizerVariants('sgd,hasOwnProperty')).toHaveProperty('hasOwnProperty');
});
