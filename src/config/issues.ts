/**
 * zod issues → ConfigIssues: one plain sentence per problem, with the key path, and for
 * typos a suggestion. Positions are added by the loader (it holds the YAML document).
 *
 * Two kinds of zod issue need context zod does not keep, which `IssueContext.hook` (passed to
 * safeParse as its error map) records while parsing: the keys an object accepts (for
 * "did you mean") and, for a keyed union, which member a `{name: ...}` entry meant.
 */
import type { z } from 'zod';
import { isPlainObject } from '../core/plain-object.js';
import { ABSENT_LAYERS, INFERRED_KEYS } from './absent.js';
import { didYouMean } from './suggest.js';
import { keyedUnionInfo, switchKeyOf } from './keyed-union.js';

type Path = (string | number)[];

export interface PathIssue {
  readonly path: Path;
  readonly problem: string;
  /** True when the problem is the key itself (unknown key), so its position is the key's. */
  readonly atKey?: boolean;
}

type RawIssue = z.core.$ZodRawIssue & { inst?: unknown; input?: unknown };

export class IssueContext {
  private readonly knownKeys = new WeakMap<object, string[]>();
  private readonly chosenMember = new WeakMap<object, number>();
  private readonly unionProblems = new WeakMap<object, string>();
  private readonly bareProblems = new Map<string, string>();

  /** The error map: records context; returns undefined so zod's own message stays as a fallback. */
  readonly hook = (issue: RawIssue): undefined => {
    const input = issue.input;
    if (issue.code === 'unrecognized_keys' && isPlainObject(input)) {
      const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
      if (shape !== undefined) this.knownKeys.set(input, Object.keys(shape));
    }
    const switchKey = issue.code === 'invalid_union' ? switchKeyOf(issue.inst) : undefined;
    if (switchKey !== undefined && isPlainObject(input)) this.chosenMember.set(input, switchKey in input ? 1 : 0);
    const keyed = issue.code === 'invalid_union' ? keyedUnionInfo(issue.inst) : undefined;
    if (keyed !== undefined) {
      const name = typeof input === 'string' ? input : isPlainObject(input) && Object.keys(input).length === 1 ? Object.keys(input)[0] : null;
      const member = name === null ? undefined : keyed.memberOf.get(name);
      let problem: string | null = null;
      if (name === null) problem = `expected a ${keyed.noun} name or a one-key mapping such as {${keyed.names[0]}: ...}`;
      else if (!keyed.names.includes(name))
        problem =
          keyed.noun === 'layer' && ABSENT_LAYERS[name] !== undefined
            ? `no ${keyed.noun} ${quoted(name)}: ${ABSENT_LAYERS[name]}`
            : `unknown ${keyed.noun} ${quoted(name)}${didYouMean(name, keyed.names)}; valid: ${keyed.names.join(', ')}`;
      else if (member === undefined) problem = `${keyed.noun} '${name}' takes no options: write it as a bare name`;
      else if (typeof input === 'string') problem = `${keyed.noun} '${name}' needs options, e.g. {${name}: {...}}; see adam-lab schema`;
      if (isPlainObject(input) && member !== undefined) this.chosenMember.set(input, member);
      else if (problem !== null) {
        if (isPlainObject(input)) this.unionProblems.set(input, problem);
        else this.bareProblems.set(String(input), problem);
      }
    }
    return undefined;
  };

  toPathIssues(issues: readonly z.core.$ZodIssue[], prefix: Path = []): PathIssue[] {
    // A mapping with an unknown key then fails its own checks ("needs a grid: or random: block"
    // beside "unknown key 'grdi' (did you mean 'grid'?)"): one mistake, said once, by the key.
    const unknownKeysAt = new Set(issues.filter((issue) => issue.code === 'unrecognized_keys').map((issue) => JSON.stringify(issue.path)));
    const consequences = (issue: z.core.$ZodIssue): boolean => issue.code === 'custom' && unknownKeysAt.has(JSON.stringify(issue.path));
    return issues.filter((issue) => !consequences(issue)).flatMap((issue) => this.describe(issue, [...prefix, ...(issue.path as Path)]));
  }

  private describe(issue: z.core.$ZodIssue, path: Path): PathIssue[] {
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = isPlainObject(input) ? (this.knownKeys.get(input) ?? []) : [];
        return issue.keys.map((key) => ({
          path: [...path, key],
          problem:
            INFERRED_KEYS[key] !== undefined
              ? `unknown key ${quoted(key)}: ${INFERRED_KEYS[key]}`
              : `unknown key ${quoted(key)}${didYouMean(key, known) || (known.length > 0 ? `; valid keys: ${known.join(', ')}` : '')}`,
          atKey: true,
        }));
      }
      case 'invalid_union':
        return this.describeUnion(issue, path, input);
      case 'invalid_key':
        // A record's key (a sweep path) that its key schema refuses: the problem is the key's own.
        return [{ path, problem: issue.issues.map((inner) => inner.message).join('; '), atKey: true }];
      case 'invalid_type':
        // zod's own messages start "Invalid input"; anything else is the schema's advice.
        if (input === undefined) return [{ path, problem: issue.message.startsWith('Invalid input') ? 'is required' : `is required: ${issue.message}` }];
        return [{ path, problem: `expected ${typeName(issue.expected)}, got ${describeValue(input)}` }];
      case 'too_small':
      case 'too_big':
        return [{ path, problem: boundProblem(issue, input) }];
      case 'invalid_value': {
        const options = issue.values.map(String);
        const word = String(input);
        return [{ path, problem: `must be one of ${options.join(', ')}; got ${describeValue(input)}${didYouMean(word, options)}` }];
      }
      default:
        return [{ path, problem: issue.message }];
    }
  }

  private describeUnion(issue: z.core.$ZodIssueInvalidUnion, path: Path, input: unknown): PathIssue[] {
    const { note, discriminator, options: choices } = issue as { note?: string; discriminator?: string; options?: unknown[] };
    if (note === 'No matching discriminator') {
      const options = (choices ?? []).map(String);
      const value = isPlainObject(input) ? input[discriminator ?? ''] : undefined;
      const noun = discriminator === 'name' ? singular(String(path.at(-2) ?? 'name')) : (discriminator ?? 'option');
      if (value === undefined) return [{ path, problem: `is required; one of ${options.join(', ')}` }];
      return [{ path, problem: `unknown ${noun} ${describeValue(value)}${didYouMean(String(value), options)}; valid: ${options.join(', ')}` }];
    }
    if (isPlainObject(input)) {
      const member = this.chosenMember.get(input);
      if (member !== undefined) return this.toPathIssues((issue as { errors: z.core.$ZodIssue[][] }).errors[member], path);
      const problem = this.unionProblems.get(input);
      if (problem !== undefined) return [{ path, problem }];
    } else {
      const problem = this.bareProblems.get(String(input));
      if (problem !== undefined) return [{ path, problem }];
    }
    // A plain union (`linear: 128` or a mapping): report the member whose type matched, if one did.
    const errors = (issue as { errors: z.core.$ZodIssue[][] }).errors;
    const matched = errors.filter((errors) => errors.every((e) => !(e.path.length === 0 && e.code === 'invalid_type')));
    if (matched.length === 1) return this.toPathIssues(matched[0], path);
    const expected = errors.flatMap((errors) => errors.filter((e) => e.code === 'invalid_type').map((e) => (e as { expected: string }).expected));
    return [{ path, problem: `expected ${[...new Set(expected)].map(typeName).join(' or ')}, got ${describeValue(input)}` }];
  }
}

function boundProblem(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, input: unknown): string {
  const small = issue.code === 'too_small';
  const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive ?? true;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint': {
      const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
      return `must be ${op} ${bound}, got ${describeValue(input)}`;
    }
    case 'array':
    case 'set':
      return `needs ${small ? 'at least' : 'at most'} ${bound} item(s), got ${Array.isArray(input) ? input.length : describeValue(input)}`;
    case 'string':
      return `needs ${small ? 'at least' : 'at most'} ${bound} character(s)`;
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  tuple: 'a list',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quoted(value);
  return String(value);
}

function quoted(text: string): string {
  return `'${shortened(text)}'`;
}

function singular(word: string): string {
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

/** A name or value from a config, cut short for a message that repeats it (it may be very long). */
export function shortened(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
