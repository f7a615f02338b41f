/**
 * Config fuzzing: YAML documents made by mutating the shipped configs (deleted keys, wrong
 * types, huge/negative/NaN/Infinity numbers, unicode, deep nesting, anchors and aliases, alias
 * bombs, unknown tags, duplicate keys, very long strings, torn and re-encoded text) go through
 * `validate`, `train` and the dry runs of `sweep`/`compare`. Each must run, or exit 2 with a
 * message that names its place; never an escaped exception, a stack trace, a hang, or a file
 * written outside --out.
 *
 * fast-check draws the documents from a fixed seed (FUZZ_SEED), so a failure reproduces; the
 * shipped configs are read at test time, so a new one joins the fuzzing by being shipped.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { Document, isMap, parse, parseDocument } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledMnistFolder } from '../../src/data/mnist.js';
import { tempDir } from '../cli/run-cli.js';
import { CliDriver, escapeWatch, expectCleanFailure, expectNoStackTrace, writeCifarLike, writeMnistLike, type DriverResult } from './harness.js';

// Fixed, so that CI reproduces a failure; FUZZ_SEED and FUZZ_RUNS explore further by hand.
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const ROOT = new URL('../../configs/', import.meta.url).pathname;
const shipped = [
  ...readdirSync(ROOT).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, f)),
  ...readdirSync(join(ROOT, 'ci')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'ci', f)),
];

// The attack's world: configs in cfg/, small datasets in data/ (reached by paths relative to the
// config, as users write them), one runs root per case under out/. Nothing else may appear.
const world = tempDir();
const cfgDir = join(world, 'cfg');
mkdirSync(cfgDir);
mkdirSync(join(world, 'data', 'mnist'), { recursive: true });
mkdirSync(join(world, 'data', 'cifar'), { recursive: true });
writeMnistLike(join(world, 'data', 'mnist'), 48, 16);
writeCifarLike(join(world, 'data', 'cifar'), 4);
const configFile = join(cfgDir, 'exp.yaml');
writeFileSync(configFile, '');
mkdirSync(join(world, 'out')); // the parent of every --out; each case's own runs root is removed after it
// the world holds the parent of --out, the config's folder and the working directory: nothing may appear in it
const outside = escapeWatch([world], []);

/** A shipped config made cheap to run: its files from data/, a few samples, small batches. */
function base(file: string): Record<string, unknown> {
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const data = config.data as Record<string, unknown>;
  if (data.dataset === 'mnist' || data.dataset === 'fashion-mnist') data.path = '../data/mnist';
  if (data.dataset === 'cifar10') data.path = '../data/cifar';
  if (data.dataset !== 'synthetic') Object.assign(data, { limit: 24, batch_size: 8 });
  return config;
}
const bases = shipped.map(base);

type Path = (string | number)[];

/** Paths to every node of a plain value, parents before children. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

const special = fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 0.5, -0.5, 1e300, -1e300, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e15, Number.MAX_VALUE, Number.MIN_VALUE, 1e-320);
const numbers = fc.oneof(special, fc.double(), fc.integer());
const pathLike = fc.constantFrom('..', '../..', '../../../../etc', '/', '/etc/passwd', '/tmp/adam-lab-escape', 'a/b', '.', '', ' ', 'C:\\x', 'a\u0000b', '/dev/zero', '~', '%s%n', 'runs/../..');
const words = fc.constantFrom('adam', 'sgd', 'mnist', 'csv', 'synthetic', 'relu', 'linear', 'conv2d', 'cross_entropy', 'bce', 'step_lr', 'one_cycle_lr', '__proto__', 'constructor', 'toString');
const strings = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 20 }), pathLike, words);
const keys = fc.oneof(
  fc.constantFrom('lr', 'name', 'linear', 'dataset', 'betas', 'epochs', 'max_steps', 'batch_size', 'path', 'csv', 'label', 'layers', 'grid', 'random', 'trials', 'space', 'choice', 'seed', 'init', 'from', 'out_features', 'kernel_size', 'p', 'momentum', 'n_train', 'task'),
  fc.string({ maxLength: 12 }),
);
const scalar = fc.oneof(numbers, strings, fc.boolean(), fc.constant(null));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(keys, tie('value'), { maxKeys: 4 })),
}));

/** Changes made to the plain value, then to the document, then to the text. */
const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: numbers }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), key: keys, value }) },
  fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 2, max: 4000 }), list: fc.boolean() }),
  fc.record({ kind: fc.constant('long' as const), at: fc.nat(), length: fc.integer({ min: 1000, max: 1_200_000 }), char: fc.constantFrom('x', 'é', '😀', ' ', '\\') }),
  fc.record({ kind: fc.constant('bomb' as const), at: fc.nat(), levels: fc.integer({ min: 2, max: 9 }), width: fc.integer({ min: 2, max: 10 }) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('alias' as const), from: fc.nat(), to: fc.nat() }) },
  fc.record({ kind: fc.constant('tag' as const), line: fc.nat(), tag: fc.constantFrom('!foo', '!!python/object:os.system', '!!js/function', '!!binary', '!!timestamp', '!!set', '!!omap', '!!float', '!!int', '!!str', '!!bool', '!!null', '!<tag:yaml.org,2002:str>', '!!merge', '!') }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('garbage' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\t', '{', '[', ']', '}', '&a', '*a', '<<: *a', '---\n', '...\n', '%YAML 1.1\n', '? ', '|', '>', '"', "'", '#', '\u0000', '\r')) }),
  fc.record({ kind: fc.constant('encoding' as const), bom: fc.boolean(), crlf: fc.boolean() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

const generated = fc.record({ base: fc.nat({ max: bases.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) });

/** Big payloads (deep nesting, long strings, alias bombs) go in as placeholders and are written out as text at the end. */
function render(generatedConfig: { base: number; mutations: readonly Mutation[] }): string {
  const config = structuredClone(bases[generatedConfig.base]) as Record<string, unknown>;
  const payloads: string[] = [];
  const placeholder = (text: string): string => `__payload_${payloads.push(text) - 1}__`;
  const valueAt = (path: Path): unknown => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], config);
  const pick = (at: number, numeric = false): Path | null => {
    const all = pathsOf(config);
    const numbersOnly = all.filter((p) => typeof valueAt(p) === 'number');
    const paths = numeric && numbersOnly.length > 0 ? numbersOnly : all;
    return paths.length === 0 ? null : paths[at % paths.length];
  };
  const set = (path: Path, v: unknown): void => {
    let node = config as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1]] = v;
  };
  const later: Mutation[] = [];
  for (const m of generatedConfig.mutations) {
    // a number is put where a number was: past the type check, into the ranges and the run
    const path = 'at' in m && typeof m.at === 'number' && m.kind !== 'truncate' && m.kind !== 'garbage' ? pick(m.at, m.kind === 'number') : null;
    switch (m.kind) {
      case 'delete':
        if (path !== null) {
          let node = config as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
          if (Array.isArray(node)) node.splice(path[path.length - 1] as number, 1);
          else delete node[path[path.length - 1]];
        }
        break;
      case 'replace':
      case 'number':
        if (path !== null) set(path, m.value);
        break;
      case 'insert': {
        const target = path === null ? config : valueAt(path);
        if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
        else if (Array.isArray(target)) target.push(m.value);
        break;
      }
      case 'nest':
        if (path !== null) set(path, placeholder(m.list ? `${'['.repeat(m.depth)}${']'.repeat(m.depth)}` : `${'{a: '.repeat(m.depth)}1${'}'.repeat(m.depth)}`));
        break;
      case 'long':
        if (path !== null) set(path, placeholder(JSON.stringify(m.char.repeat(m.length))));
        break;
      case 'bomb': {
        const levels = Array.from({ length: m.levels }, (_, i) => (i === 0 ? `&l0 [${Array(m.width).fill('lol').join(', ')}]` : `&l${i} [${Array(m.width).fill(`*l${i - 1}`).join(', ')}]`));
        if (path !== null) set(path, placeholder(`[${levels.join(', ')}]`));
        break;
      }
      default:
        later.push(m);
    }
  }
  const document = new Document(config);
  for (const m of later) {
    if (m.kind !== 'alias') continue;
    const paths = pathsOf(config);
    if (paths.length < 2) continue;
    // The anchor must come first in the document, and a node cannot be replaced by an alias to itself or an ancestor.
    const [first, second] = [m.from % paths.length, m.to % paths.length].sort((a, b) => a - b);
    const [from, to] = [paths[first], paths[second]];
    const node = document.getIn(from, true);
    if (first === second || node === undefined || typeof node !== 'object' || node === null || from.every((key, i) => to[i] === key)) continue;
    try {
      document.setIn(to, document.createAlias(node as never, `a${m.from}`));
    } catch {
      // `to` runs through a node an earlier alias replaced: no such place any more
    }
  }
  let text: string;
  try {
    text = document.toString({ lineWidth: 0 });
  } catch {
    text = new Document(config).toString({ lineWidth: 0 }); // a later alias replaced an earlier anchor
  }
  text = text.replace(/"?__payload_(\d+)__"?/g, (_, i: string) => payloads[Number(i)]);
  for (const m of later) {
    const lines = text.split('\n');
    switch (m.kind) {
      case 'tag': {
        const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /: \S/.test(l));
        if (candidates.length > 0) {
          const [line, i] = candidates[m.line % candidates.length];
          lines[i] = line.replace(/: /, `: ${m.tag} `);
          text = lines.join('\n');
        }
        break;
      }
      case 'duplicate': {
        const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[\w.-]+:/.test(l));
        if (candidates.length > 0) {
          const [line, i] = candidates[m.line % candidates.length];
          lines.splice(i + 1, 0, line);
          text = lines.join('\n');
        }
        break;
      }
      case 'truncate':
        text = text.slice(0, Math.floor(m.at * text.length));
        break;
      case 'garbage': {
        const at = Math.floor(m.at * text.length);
        text = `${text.slice(0, at)}${m.text}${text.slice(at)}`;
        break;
      }
      case 'encoding':
        if (m.crlf) text = text.replace(/\n/g, '\r\n');
        if (m.bom) text = `\uFEFF${text}`;
        break;
    }
  }
  return text;
}

/**
 * The problems of a config that belong to the whole file rather than to a place in it
 * (src/config/load.ts): the only ones a message may give as `<config>: <problem>`, without line:col.
 */
const WHOLE_FILE_PROBLEMS = [
  /^is larger than \d+ bytes, the limit for a config$/,
  /^is UTF-16 text; a config is read as UTF-8/,
  /^a config must be a mapping of keys /,
  /^aliases expand too far /,
  /^lists or mappings are nested more than \d+ levels deep/,
];

const BUNDLED_MNIST = bundledMnistFolder();

/** The files and folders a config or its compare variants name (data.path, data.csv.*, model.init.from), resolved from its folder, and the bundled MNIST. */
function namedPaths(text: string): string[] {
  type Naming = { data?: { path?: unknown; csv?: Record<string, unknown> }; model?: { init?: { from?: unknown } } };
  let config: Naming & { compare?: Record<string, Naming> };
  try {
    config = parse(text, { maxAliasCount: 100, logLevel: 'silent' }) ?? {};
  } catch {
    return [BUNDLED_MNIST];
  }
  // the base config's files, and those a compare variant names instead (a fine-tuning variant's init.from)
  const namers = [config, ...Object.values(config?.compare ?? {})];
  const named = namers.flatMap((c) => [c?.data?.path, ...Object.values(c?.data?.csv ?? {}), c?.model?.init?.from]);
  return [BUNDLED_MNIST, ...named.filter((p): p is string => typeof p === 'string').map((p) => resolve(cfgDir, p))];
}

/**
 * A message names a place when every line of it (hints and the count of problems aside) is one of
 *   <config>:<line>:<col> …  the problem's place in the YAML (a syntax error, a key, a value), a line the file has;
 *   <config>: <problem>      only for the whole-file problems above;
 *   --set <path>=<value> …   the override the value came from (so --grid's, and a usage error naming the flag);
 *   <file>: …                a file the config names (or inside a folder it names), which is not the config itself.
 */
function namesAPlace(stderr: string, text: string): boolean {
  const lines = text.split('\n').length;
  const named = namedPaths(text);
  const messages = stderr.split('\n').filter((line) => line !== '' && !line.startsWith('  hint: ') && !/^\d+ problems in /.test(line));
  return (
    messages.length > 0 &&
    messages.every((message) => {
      if (message.startsWith(`${configFile}:`)) {
        const position = /^:(\d+):(\d+)[ :]/.exec(message.slice(configFile.length));
        if (position !== null) return Number(position[1]) >= 1 && Number(position[1]) <= lines && Number(position[2]) >= 1;
        return message.startsWith(`${configFile}: `) && WHOLE_FILE_PROBLEMS.some((problem) => problem.test(message.slice(configFile.length + 2)));
      }
      if (/^(error: )?--(set|grid|optimizers) /.test(message)) return true;
      const file = message.slice(0, message.indexOf(': '));
      return message.includes(': ') && file !== configFile && named.some((root) => file === root || file.startsWith(`${root}/`) || file === `${root}.gz`);
    })
  );
}

const PROTOTYPE_RUNS = Math.max(60, Math.round(RUNS / 4));
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
/** Keys a config really has, to bury a prototype key under. */
const CONFIG_WORDS = ['optimizer', 'data', 'model', 'train', 'betas', 'csv'];

/** Where a prototype key goes: each source of keys adam-lab reads, at a depth and position within it. */
const prototypeCase = fc.record({
  base: fc.nat({ max: bases.length - 1 }),
  key: fc.constantFrom(...PROTOTYPE_KEYS),
  source: fc.constantFrom('file', 'compare', 'set-value', 'set-path', 'grid-path', 'grid-value', 'sweep-grid', 'sweep-space', 'tune-space', 'optimizers'),
  depth: fc.nat({ max: 4 }),
  at: fc.nat(),
});
type PrototypeCase = typeof prototypeCase extends fc.Arbitrary<infer C> ? C : never;

/** `{[key]: value}` with key as an own property, as a YAML or JSON reader makes it (plain assignment of __proto__ would set the prototype). */
function ownKey(key: string, value: unknown): Record<string, unknown> {
  return Object.defineProperty({}, key, { value, enumerable: true, writable: true, configurable: true }) as Record<string, unknown>;
}

/** A chain of `depth` one-key mappings of config words ending in the prototype key (one-key, so JSON of it has no comma for --grid to split on). */
function buried(key: string, depth: number, at: number): Record<string, unknown> {
  let value = ownKey(key, { lr: 5 });
  for (let level = 0; level < depth; level++) value = { [CONFIG_WORDS[(at + level) % CONFIG_WORDS.length]]: value };
  return value;
}

/** A dotted config path with the prototype key as one of its segments. */
function pathWith(key: string, depth: number, at: number): string {
  const segments = Array.from({ length: depth + 1 }, (_, i) => CONFIG_WORDS[(at + i) % CONFIG_WORDS.length]);
  segments.splice(at % (segments.length + 1), 0, key);
  return segments.join('.');
}

/** The config text and the command of one prototype-key case. */
function prototypeAttack({ base: index, key, source, depth, at }: PrototypeCase, out: string): { text: string; args: string[] } {
  const config = structuredClone(bases[index]) as Record<string, unknown>;
  const path = pathWith(key, depth, at);
  const dryRun = (command: string, ...extra: string[]): string[] => [command, configFile, '--dry-run', '--out', out, ...extra];
  const twoVariants = { a: { optimizer: { name: 'sgd' } }, b: { optimizer: { name: 'adam' } } };
  let args: string[];
  switch (source) {
    case 'file': {
      const mappings = [[], ...pathsOf(config)].filter((p) => {
        const node = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], config);
        return typeof node === 'object' && node !== null && !Array.isArray(node);
      });
      const target = mappings[at % mappings.length].reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], config);
      Object.defineProperty(target, key, { value: { lr: 5 }, enumerable: true, writable: true, configurable: true });
      args = ['validate', configFile];
      break;
    }
    case 'compare':
      // the key as a variant's name, or inside its patch at some depth
      config.compare = at % 3 === 0 ? Object.assign(ownKey(key, twoVariants.a), { b: twoVariants.b }) : { a: buried(key, depth, at), b: twoVariants.b };
      args = dryRun('compare');
      break;
    case 'set-value':
      args = at % 2 === 0 ? dryRun('compare', '--set', `compare=${JSON.stringify({ a: buried(key, depth, at), b: twoVariants.b })}`) : ['validate', configFile, '--set', `optimizer=${JSON.stringify(buried(key, depth, at))}`];
      break;
    case 'set-path':
      args = ['validate', configFile, '--set', `${path}=1`];
      break;
    case 'grid-path':
      args = dryRun('sweep', '--grid', `${path}=1,2`);
      break;
    case 'grid-value':
      args = dryRun('sweep', '--grid', `optimizer=${JSON.stringify(buried(key, depth, at))},{name: sgd}`);
      break;
    case 'sweep-grid':
      config.sweep = { grid: { [path]: [1, 2] } };
      args = dryRun('sweep');
      break;
    case 'sweep-space':
      config.sweep = { random: { trials: 2, space: { [path]: { uniform: [1, 2] } } } };
      args = dryRun('sweep');
      break;
    case 'tune-space':
      config.compare = twoVariants;
      config.protocol = { tune: { space: { [path]: { uniform: [1, 2] } } } };
      args = dryRun('compare', '--protocol', 'tuned');
      break;
    case 'optimizers': {
      const names = ['adam', 'sgd:0.1'];
      names.splice(at % 3, 0, key);
      args = dryRun('compare', '--optimizers', names.join(','));
      break;
    }
  }
  return { text: new Document(config).toString({ lineWidth: 0 }), args };
}

const driver = new CliDriver(world);
const figures = { configs: 0, commands: 0, ran: 0, refused: 0, wholeFile: 0, diverged: 0 };
afterAll(() => {
  driver.stop();
  console.info(
    `config fuzzing (seed ${FUZZ_SEED}): ${figures.configs} generated configs, ${figures.commands} commands; ${figures.ran} ran, ` +
      `${figures.refused} refused with exit 2 (${figures.wholeFile} of them whole-file problems), ${figures.diverged} diverged`,
  );
});

/** The problem of a message `<config>: <problem>` (no place), or null. */
function unplacedProblem(stderr: string): string | null {
  return stderr.startsWith(`${configFile}: `) ? stderr.split('\n')[0].slice(configFile.length + 2) : null;
}

async function attack(args: string[], out: string): Promise<DriverResult> {
  let result: DriverResult;
  try {
    result = await driver.run(args).catch((error: Error) => {
      throw new Error(`${error.message}\n--- config:\n${readFileSync(configFile, 'utf8').slice(0, 3000)}`);
    });
  } finally {
    // what one case left must not be blamed on the next
    rmSync(out, { recursive: true, force: true });
  }
  figures.commands++;
  // A config that asked for more memory than there is may leave this process's engine memory
  // grown (it is reused, not returned): the next config gets a fresh process, as a user's would.
  if (/does not fit in memory/.test(result.stderr)) driver.stop();
  const context = `adam-lab ${args.join(' ')} → exit ${result.code}\n--- config:\n${readFileSync(configFile, 'utf8').slice(0, 2000)}\n--- stderr:\n${result.stderr.slice(0, 2000)}`;
  expectNoStackTrace(result, `${context}\n`);
  expect(result.polluted, `${context}\n--- polluted Object.prototype or Array.prototype`).toEqual([]);
  expect([0, 1, 2], context).toContain(result.code);
  if (result.code === 2) {
    figures.refused++;
    const unplaced = unplacedProblem(result.stderr);
    expect(namesAPlace(result.stderr, readFileSync(configFile, 'utf8')), context).toBe(true);
    if (unplaced !== null && WHOLE_FILE_PROBLEMS.some((problem) => problem.test(unplaced))) figures.wholeFile++;
  } else if (result.code === 1) {
    // only a run that diverged (or a check whose expectations failed) exits 1
    expect(`${result.stdout}${result.stderr}`, context).toMatch(/diverged|expectation\(s\) failed/);
    figures.diverged++;
  } else figures.ran++;
  expect(outside.changes(`${readFileSync(configFile, 'utf8')} ${args.join(' ')}`), `${context}\n--- wrote outside --out`).toEqual([]);
  return result;
}

describe('config fuzzing', () => {
  it('every shipped config is a base, and validates unmutated', async () => {
    expect(bases.length).toBeGreaterThanOrEqual(10);
    for (const config of bases) {
      writeFileSync(configFile, `${JSON.stringify(config)}\n`);
      const result = await driver.run(['validate', configFile]);
      expect(result.code, result.stderr).toBe(0);
    }
  });

  it('the configs fuzzing found bugs with, kept as fixed cases', async () => {
    const toy = 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32}\n';
    const cnn = 'data: {dataset: mnist, path: ../data/mnist, limit: 24, batch_size: 8}\n';
    const nest = (depth: number): string => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    const found: [string, string[]][] = [
      // allocated for 500-sample evaluation batches of a 16-image test set: out of engine memory
      [readFileSync(join(ROOT, 'cifar10-cnn.yaml'), 'utf8').replace(/path: .*/, 'path: ../data/cifar\n  limit: 24'), ['train']],
      [`${toy}model: {layers: [{linear: 900000000}, {linear: 2}]}\n`, ['train']],
      [`${toy.replace('n_train: 64', 'n_train: 9007199254740991')}model: {layers: [{linear: 2}]}\n`, ['train']],
      [`${toy.replace('n_test: 32', 'n_test: 1952270277')}model: {layers: [{linear: 2}]}\n`, ['train']],
      // pooling planned its windows at validation time: 28 s, or a RangeError
      [`${cnn}model: {layers: [{conv2d: {out_channels: 8, kernel_size: 3, padding: 21783}}, {maxpool2d: 2}, {linear: 10}]}\n`, ['validate', 'train']],
      [`${cnn}model: {layers: [{conv2d: {out_channels: 1127998019, kernel_size: 3, padding: 951691340}}, {linear: 10}]}\n`, ['train']],
      [`${toy}model: {layers: [{linear: 2}]}\nloss: !!merge cross_entropy\n`, ['validate']],
      [`${toy}model: {layers: [{linear: 2}]}\ncompare: {a: {optimizer: ${nest(671)}}}\n`, ['validate', 'compare']],
      [`${toy}model: &m {layers: [{linear: 2}], init: *m}\n`, ['validate']],
      [`${cnn.replace('mnist', 'cifar10').replace('../data/mnist', '../data/cifar')}  augment: {random_crop: 2147483648}\nmodel: {layers: [{linear: 10}]}\n`, ['train']],
      [`${toy}model: {layers: [{linear: 2}]}\nsweep: {random: {trials: 2, space: {data.n_train: {int_uniform: [1, 10000000000000]}}}}\n`, ['sweep']],
      // a recurrent layer planned each of its num_layers layers at validation time: a hang
      [readFileSync(join(ROOT, 'charlm-lstm.yaml'), 'utf8').replace('num_layers: 2', 'num_layers: 1868194962'), ['validate']],
      [`${toy}model: {layers: [{linear: 2}]}\nsweep: {random: {trials: 1127998019, space: {optimizer.lr: {uniform: [0.1, 0.2]}}}}\n`, ['sweep']],
    ];
    for (const [text, commands] of found) {
      writeFileSync(configFile, text);
      for (const command of commands) {
        const out = join(world, 'out', 'found');
        const extra = command === 'train' ? ['--out', out, '--quiet', '--set', 'train.max_steps=2'] : command === 'validate' ? [] : ['--out', out, '--dry-run'];
        await attack([command, configFile, ...extra], out);
      }
    }
    const deepSet = await driver.run(['validate', join(ROOT, 'seed-simple-nn.yaml'), '--set', `compare.b=${nest(700)}`]);
    expectNoStackTrace(deepSet);
    expect(deepSet.code).toBe(2);
  });

  it('found by fuzzing, fixed: variants that coincide are refused at the later one, naming the earlier', async () => {
    writeFileSync(configFile, 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32}\nmodel: {layers: [{linear: 2}]}\ncompare:\n  a: {optimizer: {name: sgd}}\n  b: {optimizer: {name: sgd}}\n');
    const result = await driver.run(['compare', configFile, '--out', join(world, 'out', 'coincide'), '--dry-run']);
    expectCleanFailure(result, 2, /compare\.b\.optimizer: gives the same trial as compare\.a\.optimizer/);
    expect(namesAPlace(result.stderr, readFileSync(configFile, 'utf8')), result.stderr).toBe(true);
  });

  it(`${PROTOTYPE_RUNS} prototype keys, at every depth and from every source, exit 2 at their place and pollute nothing`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(prototypeCase, async (candidate) => {
        const out = join(world, 'out', `proto-${n++}`);
        const { text, args } = prototypeAttack(candidate, out);
        writeFileSync(configFile, text);
        const result = await attack(args, out);
        const context = `adam-lab ${args.join(' ')}\n--- config:\n${text}\n--- stderr:\n${result.stderr}`;
        expect(result.code, context).toBe(2);
        expect(result.stderr, context).toContain(`'${candidate.key}' cannot be a key`);
      }),
      { seed: FUZZ_SEED, numRuns: PROTOTYPE_RUNS, endOnFailure: true },
    );
  }, 300_000);

  it(`${RUNS} mutated configs run or exit 2 with a placed message`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(generated, async (candidate) => {
        const text = render(candidate);
        writeFileSync(configFile, text);
        figures.configs++;
        const out = join(world, 'out', String(n++));
        const validated = await attack(['validate', configFile], out);
        await attack(['train', configFile, '--out', out, '--quiet', '--set', 'train.max_steps=2'], out);
        if (validated.code !== 0) return;
        const document = parseDocument(text, { logLevel: 'silent' });
        const top = isMap(document.contents) ? document.contents : null;
        if (top?.has('sweep')) await attack(['sweep', configFile, '--out', out, '--dry-run'], out);
        if (top?.has('compare')) await attack(['compare', configFile, '--out', out, '--dry-run'], out);
        if (top?.has('expect')) await attack(['check', configFile, '--out', out, '--quiet', '--jobs', '1', '--set', 'train.max_steps=2'], out);
      }),
      // no shrinking: every try is a round trip to the process, and the failing config is printed whole
      { seed: FUZZ_SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
