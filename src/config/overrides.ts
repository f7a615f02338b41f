/**
 * Overrides of single config values, as `--set optimizer.lr=3e-4` gives them (Hydra's
 * override grammar, reduced to assignment). Path segments are separated by dots; a segment of
 * digits indexes a list (`optimizer.betas.0=0.95`). The value is read as YAML, so numbers,
 * booleans, null and flow lists (`[0.9, 0.99]`) come out typed.
 */
import { parse } from 'yaml';
import { UsageError } from '../core/errors.js';
import { isPrototypeKey, prototypeKeyPaths, prototypeKeyProblem } from '../core/keys.js';
import { NESTED_TOO_DEEPLY, tooDeep } from './depth.js';
import { shortened, type PathIssue } from './issues.js';

export type ConfigPath = readonly (string | number)[];

export interface Override {
  readonly path: ConfigPath;
  readonly value: unknown;
  /** Where it came from, for messages: "--set optimizer.lr=-1", "sweep.grid". */
  readonly origin: string;
  /** Where the value is written in the config file, when it is (a sweep value, a compare patch). */
  readonly at?: ConfigPath;
  /** Where the path itself is written (a sweep axis's key), for a problem with the path: an unknown key. */
  readonly keyAt?: ConfigPath;
}

/** A dotted path given by a user as a config path; `origin` (the flag and assignment) names it when it is not one. */
export function parsePath(text: string, origin: string): ConfigPath {
  const segments = text.split('.');
  if (text === '' || segments.some((s) => s === '')) throw new UsageError(`${origin}: '${text}' is not a config path (use dots: optimizer.lr)`);
  const reserved = segments.find(isPrototypeKey);
  if (reserved !== undefined) throw new UsageError(`${shortened(origin)}: ${prototypeKeyProblem(reserved)}`);
  return segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function parseOverride(assignment: string, flag = '--set'): Override {
  const origin = `${flag} ${assignment}`;
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`${origin}: expected path=value, e.g. ${flag} optimizer.lr=3e-4`);
  const path = parsePath(assignment.slice(0, eq), origin);
  return { path, value: parseValue(assignment.slice(eq + 1), path, origin, 'the value'), origin };
}

/**
 * A value given on the command line (`--set`, each of `--grid`'s), read as YAML so that numbers,
 * booleans, null and flow lists come out typed: no aliases, no repeated keys, bounded depth, no
 * prototype keys. `path` is where it goes, `origin` the flag and assignment it came from
 * (`--grid optimizer.lr=0.1,[1`), `which` the value within it, for messages ("the value '[1'").
 */
export function parseValue(text: string, path: ConfigPath, origin: string, which: string): unknown {
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 0, uniqueKeys: true, strict: true });
  } catch (error) {
    // yaml's message ends with a position in the value, which is one line: the words are enough.
    const problem = (error as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${shortened(origin)}: ${which} is not valid YAML (${problem})`);
  }
  if (tooDeep(value) !== null) throw new UsageError(`${shortened(origin)}: ${NESTED_TOO_DEEPLY}`);
  const [reserved] = prototypeKeyPaths(value);
  if (reserved !== undefined) throw new UsageError(`${shortened(origin)}: ${prototypeKeyProblem(String(reserved.at(-1)))} (at ${formatPath([...path, ...reserved])})`);
  return value ?? null;
}

export function formatPath(path: ConfigPath): string {
  return path.length === 0 ? '(top level)' : path.map((segment) => shortened(String(segment))).join('.');
}

/** Keys that say what kind of thing a mapping is (the discriminators of the config's unions). */
export const IDENTIFYING_KEYS = ['name', 'dataset', 'task'];

/**
 * Sets the value at `path` inside a plain config object (mutating it). A list missing on the
 * way is copied from `defaults` (so `optimizer.betas.0=0.95` works on a config that leaves
 * betas at torch's default); a missing mapping starts empty but for the default's identifying
 * keys (`name: adam`), so it stays the same kind of optimizer or dataset. Returns the problem
 * with the path, placed like any other (at the --set, or at the sweep axis's key), or null.
 */
export function applyOverride(config: Record<string, unknown>, override: Override, defaults: unknown): PathIssue | null {
  let node: Record<string | number, unknown> = config;
  let fallback: unknown = defaults;
  const { path } = override;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const problem = indexProblem(node, path, i);
    if (problem !== null) return problem;
    fallback = childOf(fallback, key);
    if (!isContainer(node[key])) node[key] = freshContainer(fallback, typeof path[i + 1] === 'number');
    node = node[key] as Record<string | number, unknown>;
  }
  const problem = indexProblem(node, path, path.length - 1);
  if (problem === null) node[path[path.length - 1]] = override.value;
  return problem;
}

/**
 * A list is addressed by an index of an item it has, or by its length (which appends one): a
 * name, or an index past the end, would otherwise land silently beside the list's items or
 * leave holes that the schema then blames on the config file.
 */
function indexProblem(node: object, path: ConfigPath, i: number): PathIssue | null {
  if (!Array.isArray(node)) return null;
  const key = path[i];
  const items = `${formatPath(path.slice(0, i))} is a list of ${node.length} item${node.length === 1 ? '' : 's'}`;
  if (typeof key !== 'number') return { path: path.slice(0, i + 1), problem: `is not a list index (${items}; use 0 to ${node.length})`, atKey: true };
  if (key > node.length) return { path: path.slice(0, i + 1), problem: `is past the end (${items}; ${node.length} appends one)`, atKey: true };
  return null;
}

function freshContainer(fallback: unknown, indexed: boolean): object {
  if (Array.isArray(fallback)) return structuredClone(fallback);
  if (indexed) return [];
  const identity: Record<string, unknown> = {};
  if (isContainer(fallback)) {
    for (const key of IDENTIFYING_KEYS) if (key in fallback) identity[key] = (fallback as Record<string, unknown>)[key];
  }
  return identity;
}

function childOf(value: unknown, key: string | number): unknown {
  return isContainer(value) ? (value as Record<string | number, unknown>)[key] : undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
