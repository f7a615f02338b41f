/**
 * A union whose member is chosen by a name, written either bare (`relu`) or as the single key
 * of a mapping (`linear: {out_features: 128}`), like the entries of a Sequential.
 * zod's plain union would report every member's complaint about a typo; registering the
 * union here lets the error mapper say "unknown layer 'lienar' (did you mean 'linear'?)" or,
 * for a known name, report only that member's problems.
 */
import { z } from 'zod';

export interface KeyedUnionInfo {
  /** What the names are names of, for messages: "layer". */
  readonly noun: string;
  readonly names: readonly string[];
  /** Names that take options, each with the index of its member in the union. */
  readonly memberOf: ReadonlyMap<string, number>;
}

const registry = new WeakMap<object, KeyedUnionInfo>();

export function keyedUnionInfo(schema: unknown): KeyedUnionInfo | undefined {
  return typeof schema === 'object' && schema !== null ? registry.get(schema) : undefined;
}

/**
 * `bare` turns a bare name into its validated form; `members` are the one-key mapping schemas
 * of the names that take options.
 */
export function keyedUnion<B extends z.ZodType>(noun: string, names: readonly string[], bare: B, members: readonly { name: string; schema: z.ZodType }[]) {
  const union = z.union([bare, ...members.map((m) => m.schema)]);
  registry.set(union, { noun, names, memberOf: new Map(members.map((m, i) => [m.name, i + 1])) });
  return union;
}

const switchKeys = new WeakMap<object, string>();

export function switchKeyOf(schema: unknown): string | undefined {
  return typeof schema === 'object' && schema !== null ? switchKeys.get(schema) : undefined;
}

/**
 * A union of a mapping without `key` and one with it (a param group of the config's optimizer,
 * or one that names another with `optimizer:`): registered so that the error mapper reports only
 * the problems of the member the presence of `key` chooses.
 */
export function unionBySwitchKey<A extends z.ZodType, B extends z.ZodType>(key: string, without: A, withKey: B) {
  const union = z.union([without, withKey]);
  switchKeys.set(union, key);
  return union;
}
