/**
 * Reading a config: YAML text → document with source positions → plain object → overrides →
 * zod validation → cross-key checks. Every problem found on the way is collected and thrown
 * together as one ConfigError whose issues carry file line:column and key path.
 *
 * YAML is parsed as data only: the core schema (no language-specific tags), unknown tags are
 * errors, duplicate keys are errors, aliases are capped and the file size is bounded, so a
 * config can neither run code nor expand without limit.
 */
import { basename, extname } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UnreadableFileError, type ConfigIssue } from '../core/errors.js';
import { prototypeKeyPaths, prototypeKeyProblem } from '../core/keys.js';
import { copyTree, isPlainObject } from '../core/plain-object.js';
import { readFileBounded } from '../core/read-file.js';
import { NESTED_TOO_DEEPLY, tooDeep } from './depth.js';
import { IssueContext, type PathIssue } from './issues.js';
import { applyOverride, IDENTIFYING_KEYS, type ConfigPath, type Override } from './overrides.js';
import { configSchema, type ExperimentConfig } from './schema.js';
import { readFacts, validateConfig } from './validate.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;

/**
 * What kind of file the loader reads, so that its messages name it: configs, and the other files
 * adam-lab reads with the same positions and limits (baselines).
 */
export interface FileKind {
  /** "a config", "a baseline file" */
  readonly noun: string;
  /** What was expected where a directory was given: "a YAML file". */
  readonly format: string;
  /** Its usual top-level keys, for a file that is not a mapping. */
  readonly keys: string;
  readonly maxBytes: number;
}

const CONFIG_FILE: FileKind = { noun: 'a config', format: 'a YAML file', keys: 'data:, model:, optimizer:, ...', maxBytes: MAX_CONFIG_BYTES };

/** A parsed YAML file: the document (for positions) and its plain value. */
export interface ConfigSource {
  readonly file: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  readonly value: Record<string, unknown>;
}

export function loadConfig(file: string, overrides: readonly Override[] = []): ExperimentConfig {
  return resolveConfig(readConfigSource(file), overrides);
}

export function readConfigSource(file: string, kind: FileKind = CONFIG_FILE): ConfigSource {
  let text: string;
  try {
    // `<(...)` is a pipe: a config may come that way (read with a deadline, so a FIFO no one writes to is given up).
    text = asUtf8(file, readFileBounded(file, { maxBytes: kind.maxBytes, pipes: true }), kind);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw fileIssue(file, readProblem(error, kind));
  }
  return parseConfigSource(text, file, kind);
}

function readProblem(error: UnreadableFileError, { format, maxBytes, noun }: FileKind): string {
  switch (error.reason) {
    case 'directory':
      return `is a directory, expected ${format}`;
    case 'too-large':
      return `is larger than ${maxBytes} bytes, the limit for ${noun}`;
    case 'special':
      return `${error.problem}: expected ${format}`;
    default:
      return error.problem;
  }
}

/** The file's text; a UTF-16 file (by its byte-order mark) is refused as such, rather than read as garbled UTF-8. */
function asUtf8(file: string, bytes: Uint8Array, kind: FileKind): string {
  const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  if (utf16) throw fileIssue(file, `is UTF-16 text; ${kind.noun} is read as UTF-8: save it as UTF-8`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function parseConfigSource(text: string, file: string, kind: FileKind = CONFIG_FILE): ConfigSource {
  const lineCounter = new LineCounter();
  // YAML allows no NUL in a document (not even quoted); one is the sign of a UTF-16 file without
  // a byte-order mark, or of a binary one, said at the first.
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const before = text.slice(0, nul).split('\n');
    const [line, column] = [before.length, before[before.length - 1].length + 1];
    throw new ConfigError(file, [{ path: [], problem: `holds a NUL character: ${kind.noun} is UTF-8 text (is this a UTF-16 or binary file?)`, line, column }]);
  }
  // resolveKnownTags: false leaves YAML 1.1's !!binary, !!set, !!omap, !!timestamp and !!merge
  // unresolved (refused below) instead of turning them into bytes, sets, dates or symbols.
  // logLevel 'error': yaml's own warnings (an unresolved tag) come back as document.warnings and
  // are reported below with their place, rather than printed to stderr by Node as well.
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, strict: true, schema: 'core', resolveKnownTags: false, prettyErrors: true, logLevel: 'error' });
  const syntax = [...document.errors, ...document.warnings].map((e): ConfigIssue => {
    const [line, column] = [e.linePos?.[0].line, e.linePos?.[0].col];
    return { path: [], problem: yamlProblem(e.message, kind), line, column };
  });
  if (syntax.length > 0) throw new ConfigError(file, syntax);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    // toJS throws for too many aliases, and runs out of stack on nesting the parser let through.
    const problem = isStackOverflow(error) ? NESTED_TOO_DEEPLY : `aliases expand too far (${(error as Error).message}); write the values out`;
    throw fileIssue(file, problem);
  }
  if (!isPlainObject(value)) {
    throw new ConfigError(file, [{ path: [], problem: `${kind.noun} must be a mapping of keys (${kind.keys})`, line: 1, column: 1 }]);
  }
  const source = { file, document, lineCounter, value: value as Record<string, unknown> };
  const deep = tooDeep(value);
  if (deep !== null) throw new ConfigError(file, locate(source, [{ path: deep, problem: NESTED_TOO_DEEPLY }], []));
  const reserved = prototypeKeyPaths(value).map((path): PathIssue => ({ path, problem: prototypeKeyProblem(String(path.at(-1))), atKey: true }));
  if (reserved.length > 0) throw new ConfigError(file, locate(source, reserved, []));
  return source;
}

/**
 * Validates a parsed file against a zod schema, after the overrides; throws ConfigError with
 * every problem placed in the file. Configs use it, and so do other files adam-lab reads
 * (baselines), since JSON is YAML and keeps its positions the same way.
 */
export function validateSource<S extends z.ZodType>(source: ConfigSource, schema: S, overrides: readonly Override[] = [], dropped: DroppedOptions[] = []): z.output<S> {
  const raw = copyTree(source.value);
  const defaults = schema.safeParse(source.value).data;
  const pathIssues = overrides.map((override) => applyOverride(raw, override, defaults)).filter((issue) => issue !== null);
  if (pathIssues.length > 0) throw new ConfigError(source.file, locate(source, pathIssues, overrides));
  let context = new IssueContext();
  let parsed = schema.safeParse(raw, { reportInput: true, error: context.hook });
  const foreign = parsed.success ? [] : dropForeignOptions(raw, parsed.error.issues, overrides);
  if (foreign.length > 0) {
    dropped.push(...foreign);
    context = new IssueContext();
    parsed = schema.safeParse(raw, { reportInput: true, error: context.hook });
  }
  if (!parsed.success) throw new ConfigError(source.file, locate(source, context.toPathIssues(parsed.error.issues), overrides));
  return parsed.data;
}

/** Options of the file that a `--set` naming another kind left without a meaning (adam's betas after `optimizer.name=sgd`). */
export interface DroppedOptions {
  /** The flag: "--set optimizer.name=sgd". */
  readonly origin: string;
  /** Full paths of the options dropped: ["optimizer.betas", "optimizer.eps"]. */
  readonly keys: readonly string[];
}

/**
 * A `--set` that changes what kind of thing a mapping is (an optimizer's name, a dataset) starts
 * from the new kind's defaults, as a compare patch does: the file's options that the new kind
 * lacks — the keys the schema finds unknown in that mapping — are removed from `raw`, and said.
 */
function dropForeignOptions(raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[], overrides: readonly Override[]): DroppedOptions[] {
  const changes = overrides.filter((o) => o.at === undefined && IDENTIFYING_KEYS.includes(String(o.path.at(-1))));
  const dropped: DroppedOptions[] = [];
  for (const change of changes) {
    const mappingPath = change.path.slice(0, -1);
    const unknown = issues.filter((i) => i.code === 'unrecognized_keys' && startsWith(i.path as ConfigPath, mappingPath) && i.path.length === mappingPath.length);
    const keys = unknown.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
    const mapping = mappingPath.reduce<unknown>((node, key) => (isPlainObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined), raw);
    if (keys.length === 0 || !isPlainObject(mapping)) continue;
    for (const key of keys) delete mapping[key];
    dropped.push({ origin: change.origin, keys: keys.map((key) => [...mappingPath, key].join('.')) });
  }
  return dropped;
}

/**
 * Applies the overrides, validates against the schema and then against the config's inputs
 * (validate.ts, both phases; the inputs' facts read once per source); throws ConfigError listing
 * every problem. Options a --set made meaningless (another optimizer's) are put in `dropped`.
 */
export function resolveConfig(source: ConfigSource, overrides: readonly Override[], dropped: DroppedOptions[] = []): ExperimentConfig {
  const parsed = validateSource(source, configSchema, overrides, dropped);
  const config = { ...parsed, name: parsed.name ?? defaultName(source.file) } as unknown as ExperimentConfig;
  const problems = validateConfig(config, readFacts(config, source.file, source));
  if (problems.length > 0) throw new ConfigError(source.file, locate(source, problems, overrides));
  return config;
}

/**
 * A ConfigError of `source` whose issues (key paths) are placed in it (line:column, or the --set
 * they came from), as load-time issues are: for problems found later, such as once the data are
 * loaded (the model's output against the dataset's classes), which are raised with a key path alone.
 */
export function placedError(source: ConfigSource, issues: readonly (ConfigIssue | PathIssue)[], overrides: readonly Override[] = []): ConfigError {
  return new ConfigError(source.file, locate(source, issues.map((issue) => ({ path: [...issue.path], problem: issue.problem, atKey: 'atKey' in issue ? issue.atKey : undefined })), overrides));
}

/** The run name a config gets when it sets none: its file name, made safe for a folder. */
export function defaultName(file: string): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return stem === '' ? 'run' : stem.slice(0, 128);
}

/** Issues with their origin or file position, in reading order (overrides first, then by line). */
function locate(source: ConfigSource, issues: readonly PathIssue[], overrides: readonly Override[]): ConfigIssue[] {
  const located = issues.map((issue): ConfigIssue => {
    const atKey = issue.atKey ?? false;
    const override = overrides.findLast((o) => startsWith(issue.path, o.path) || startsWith(o.path, issue.path));
    const placed = (offset: number | null): ConfigIssue => {
      const position = offset === null ? undefined : source.lineCounter.linePos(offset);
      return { path: issue.path, problem: issue.problem, line: position?.line, column: position?.col, origin: override?.origin };
    };
    if (override === undefined) return placed(offsetOf(source.document, issue.path, atKey));
    const { at, keyAt } = override;
    if (at === undefined) return { path: issue.path, problem: issue.problem, origin: override.origin };
    // An unknown key named by a sweep axis is the axis's own fault, once, not each of its values'.
    const place = atKey && keyAt !== undefined ? keyAt : [...at, ...issue.path.slice(override.path.length)];
    // A value placed in a block that a --set wrote (`--set compare={...}`) has no place in the
    // file: it is that --set's, at the value's path within the block.
    const writer = overrides.findLast((o) => o.at === undefined && startsWith(at, o.path));
    if (writer !== undefined) return { path: place, problem: issue.problem, origin: writer.origin };
    return placed(offsetOf(source.document, place, atKey));
  });
  const key = (i: ConfigIssue): number => (i.line ?? 0) * 1e6 + (i.column ?? 0);
  return located.sort((a, b) => key(a) - key(b));
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

/**
 * Source offset of the node at `path`, or of its deepest existing ancestor when the key is
 * missing (a required key is reported at the mapping that lacks it). With `atKey`, the offset
 * of the key itself rather than of its value.
 */
function offsetOf(document: Document, path: ConfigPath, atKey: boolean): number | null {
  let node: unknown = document.contents;
  let offset: number | null = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(document);
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(path[i]));
      keyNode = pair?.key;
      next = pair?.value;
    } else if (isSeq(node) && typeof path[i] === 'number') {
      next = node.items[path[i] as number];
    }
    if (next === undefined && keyNode === undefined) return offset;
    if (atKey && i === path.length - 1 && keyNode !== undefined) return rangeStart(keyNode) ?? offset;
    node = next;
    offset = rangeStart(next) ?? rangeStart(keyNode) ?? offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | undefined)?.range;
  return range === undefined || range === null ? null : range[0];
}

function fileIssue(file: string, problem: string): ConfigError {
  return new ConfigError(file, [{ path: [], problem }]);
}

/** yaml's messages end with a position and a source excerpt; the position is reported separately. */
function yamlProblem(message: string, kind: FileKind): string {
  const problem = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (problem === STACK_OVERFLOW) return NESTED_TOO_DEEPLY; // the parser reports its own stack overflow as a syntax error
  const tag = /^Unresolved tag: (?:tag:yaml\.org,2002:)?(.*)$/.exec(problem);
  return tag === null ? problem : `tag '${tag[1]}' is not allowed: ${kind.noun} is plain data (numbers, strings, lists, mappings)`;
}

const STACK_OVERFLOW = 'Maximum call stack size exceeded';

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && error.message === STACK_OVERFLOW;
}
