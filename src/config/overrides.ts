/**
 * Overrides of single config values, as `--set optimizer.lr=3e-4` gives them (Hydra's
 * override grammar, reduced to assignment). Path segments are separated by dots; a segment of
 * digits indexes a list (`optimizer.betas.0=0.95`). The value is read as YAML, so numbers,
 * booleans, null and flow lists (`[0.9, 0.99]`) come out typed.
 */
import { parse } from 'yaml';
import { UsageError } from '../errors.js';

export type ConfigPath = readonly (string | number)[];

export interface Override {
  readonly path: ConfigPath;
  readonly value: unknown;
  /** Where it came from, for messages: "--set optimizer.lr=-1", "sweep.grid". */
  readonly origin: string;
  /** Where the value is written in the config file, when it is (a sweep value, a compare patch). */
  readonly at?: ConfigPath;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parsePath(text: string): ConfigPath {
  const segments = text.split('.');
  if (text === '' || segments.some((s) => s === '')) throw new UsageError(`'${text}' is not a config path (use dots: optimizer.lr)`);
  return segments.map((s) => {
    if (FORBIDDEN_KEYS.has(s)) throw new UsageError(`'${s}' cannot be a config key`);
    return /^\d+$/.test(s) ? Number(s) : s;
  });
}

export function parseOverride(assignment: string, flag = '--set'): Override {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} ${assignment}: expected path=value, e.g. ${flag} optimizer.lr=3e-4`);
  const valueText = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = parse(valueText, { maxAliasCount: 0, uniqueKeys: true, strict: true });
  } catch (error) {
    throw new UsageError(`${flag} ${assignment}: the value is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  return { path: parsePath(assignment.slice(0, eq)), value: value ?? null, origin: `${flag} ${assignment}` };
}

export function formatPath(path: ConfigPath): string {
  return path.length === 0 ? '(top level)' : path.join('.');
}

/** Keys that say what kind of thing a mapping is (the discriminators of the config's unions). */
const IDENTIFYING_KEYS = ['name', 'dataset', 'task'];

/**
 * Sets the value at `path` inside a plain config object (mutating it). A list missing on the
 * way is copied from `defaults` (so `optimizer.betas.0=0.95` works on a config that leaves
 * betas at torch's default); a missing mapping starts empty but for the default's identifying
 * keys (`name: adam`), so it stays the same kind of optimizer or dataset.
 */
export function applyOverride(config: Record<string, unknown>, override: Override, defaults: unknown): void {
  let node: Record<string | number, unknown> = config;
  let fallback: unknown = defaults;
  const { path } = override;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    fallback = childOf(fallback, key);
    if (!isContainer(node[key])) node[key] = freshContainer(fallback, typeof path[i + 1] === 'number');
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = override.value;
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
