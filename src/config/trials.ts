/**
 * Expanding a config into trials: `sweep:` (grid and/or random draws over config paths) and
 * `compare:` (named patches of the base config), each repeated once per seed of `seeds:`.
 * Every trial is a complete config, validated before anything runs, so a bad value in trial 17
 * is exit 2 at once, with the line of that value.
 *
 * A trial's identity is a hash of its resolved config (without name and the lab blocks), so
 * the same experiment run again finds its finished trials, whatever else the sweep contains.
 */
import { Rng } from '../core/rng.js';
import { isPlainObject } from '../core/plain-object.js';
import { shortId } from '../core/short-id.js';
import { ConfigError, type ConfigIssue, UsageError } from '../core/errors.js';
import { isPrototypeKey, ownEntry, prototypeKeyProblem } from '../core/keys.js';
import type { Distribution } from './lab-schema.js';
import { LAB_KEYS, MAX_TRIALS } from './lab-schema.js';
import { placedError, resolveConfig, type ConfigSource } from './load.js';
import { formatPath, parsePath, parseValue, type ConfigPath, type Override } from './overrides.js';
import { shortened } from './issues.js';
import type { ExperimentConfig } from './schema.js';

export type Scalar = string | number | boolean | null;

export interface Trial {
  readonly id: string;
  /** Position in the expansion order (sharding is by this index). */
  readonly index: number;
  /** The variant's name (compare) or the point's values without the seed (sweep). */
  readonly group: string;
  readonly seed: number;
  /** Varied path → value (sweep); empty for compare. */
  readonly values: Readonly<Record<string, Scalar>>;
  /** The trial's own resolved config (lab blocks removed, seed set). */
  readonly config: ExperimentConfig;
}

export interface Expansion {
  readonly kind: 'sweep' | 'compare' | 'check';
  readonly base: ExperimentConfig;
  /** Varied paths, in order (sweep). */
  readonly axes: readonly string[];
  readonly trials: readonly Trial[];
}

/** A point: the overrides that make it, its group label and the values shown in tables. */
export interface Point {
  readonly group: string;
  readonly values: Record<string, Scalar>;
  readonly overrides: Override[];
  /** Where the point is written in the config file as a whole (a compare variant), when it is. */
  readonly at?: ConfigPath;
}

/** A sweep axis given on the command line: `--grid optimizer.lr=1e-4,3e-4` (values read as --set reads its value). */
export interface GridOption {
  readonly path: string;
  readonly values: unknown[];
  /** The flag and assignment as given, for messages. */
  readonly origin: string;
}

export function parseGridOption(text: string): GridOption {
  const origin = `--grid ${text}`;
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UsageError(`${origin}: expected path=v1,v2,..., e.g. --grid optimizer.lr=1e-4,1e-3`);
  const path = text.slice(0, eq);
  const parsed = parsePath(path, origin);
  const values = text.slice(eq + 1).split(',').map((v) => parseValue(v.trim(), parsed, origin, `the value '${v.trim()}'`));
  return { path, values, origin };
}

export function expandSweep(source: ConfigSource, sets: readonly Override[], cliGrid: readonly GridOption[]): Expansion {
  const base = resolveConfig(source, sets);
  const sweep = base.sweep;
  if (sweep === undefined && cliGrid.length === 0) {
    throw new ConfigError(source.file, [{ path: ['sweep'], problem: 'is missing: add a sweep: block (grid: or random:), or give --grid path=v1,v2' }]);
  }
  const axes = new Map<string, { values: unknown[]; origin: string; at?: ConfigPath }>();
  for (const [path, values] of Object.entries(sweep?.grid ?? {})) axes.set(path, { values, origin: 'sweep.grid', at: ['sweep', 'grid', path] });
  for (const axis of cliGrid) axes.set(axis.path, { values: axis.values, origin: axis.origin });
  const planned = [...axes.values()].reduce((n, axis) => n * axis.values.length, 1) * (sweep?.random?.trials ?? 1) * (base.seeds ?? [base.seed]).length;
  if (sweep === undefined) checkTrialCount(planned, (problem) => new UsageError(`${cliGrid.map((axis) => shortened(axis.origin)).join(' ')}: ${problem}`));
  else checkTrialCount(planned, (problem) => placedError(source, [{ path: ['sweep'], problem }], sets));
  let points: Point[] = [{ group: '', values: {}, overrides: [] }];
  for (const [path, axis] of axes) {
    // One override per value, shared by every point that takes it: two points then part where
    // their overrides are different objects, which is how sameTrial finds a value given twice.
    const choices = axis.values.map((value, i): Override => ({ path: parsePath(path, axis.origin), value, origin: axis.origin, at: axis.at === undefined ? undefined : [...axis.at, i], keyAt: axis.at }));
    points = points.flatMap((point) =>
      choices.map((choice) => ({
        group: '',
        values: { ...point.values, [path]: choice.value as Scalar },
        overrides: [...point.overrides, choice],
      })),
    );
  }
  const random = sweep?.random;
  if (random !== undefined) {
    const rng = new Rng(random.seed ?? base.seed, 'sweep');
    points = points.flatMap((point) =>
      Array.from({ length: random.trials }, () => {
        const drawn = Object.entries(random.space).map(([path, distribution]) => ({ path, value: draw(distribution as Distribution, rng) }));
        return {
          group: '',
          values: { ...point.values, ...Object.fromEntries(drawn.map((d) => [d.path, d.value as Scalar])) },
          overrides: [
            ...point.overrides,
            ...drawn.map((d) => {
              const at = ['sweep', 'random', 'space', d.path];
              return { path: parsePath(d.path, 'sweep.random'), value: d.value, origin: 'sweep.random', at, keyAt: at };
            }),
          ],
        };
      }),
    );
  }
  const labelled = points.map((p) => ({ ...p, group: Object.entries(p.values).map(([k, v]) => `${k}=${String(v)}`).join(' ') }));
  return { kind: 'sweep', base, axes: [...new Set([...axes.keys(), ...Object.keys(random?.space ?? {})])], trials: trialsOf(source, sets, base, labelled) };
}

/** `--optimizers adam,sgd:0.1` → variants with each optimizer's defaults (and lr where given). */
export function optimizerVariants(text: string): Record<string, Record<string, unknown>> {
  const variants: Record<string, Record<string, unknown>> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, lr] = item.split(':');
    // The name becomes a variant's key: a prototype key would replace the record's prototype and vanish.
    if (isPrototypeKey(name)) throw new UsageError(`--optimizers ${text}: ${prototypeKeyProblem(name)}`);
    const optimizer: Record<string, unknown> = { name };
    if (lr !== undefined) {
      const value = Number(lr);
      if (!Number.isFinite(value)) throw new UsageError(`--optimizers ${text}: '${lr}' is not a learning rate (write name:lr, e.g. sgd:0.1)`);
      optimizer.lr = value;
    }
    variants[name] = { optimizer };
  }
  if (Object.keys(variants).length === 0) throw new UsageError('--optimizers needs at least one name, e.g. --optimizers adam,sgd:0.1');
  return variants;
}

export function expandCompare(source: ConfigSource, sets: readonly Override[], cliVariants: Record<string, Record<string, unknown>> | null): Expansion {
  const { base, variants } = compareVariants(source, sets, cliVariants);
  return { kind: 'compare', base, axes: [], trials: trialsOf(source, sets, base, variants) };
}

/** The base config and its variants (from the compare: block, or --optimizers), each a point of overrides. */
export function compareVariants(source: ConfigSource, sets: readonly Override[], cliVariants: Record<string, Record<string, unknown>> | null): { base: ExperimentConfig; variants: Point[] } {
  const base = resolveConfig(source, sets);
  const patches = cliVariants ?? base.compare;
  if (patches === undefined) {
    throw new ConfigError(source.file, [{ path: ['compare'], problem: 'is missing: add a compare: block of named variants, or give --optimizers adam,sgd,...' }]);
  }
  const variants = Object.entries(patches).map(([name, patch]): Point => {
    const at = cliVariants === null ? ['compare', name] : undefined;
    return { group: name, values: {}, overrides: patchOverrides(patch, base as unknown as Record<string, unknown>, [], at ?? null, cliVariants === null ? `compare.${name}` : '--optimizers'), at };
  });
  return { base, variants };
}

/** The base config once per seed: what `check` and `baseline` run. */
export function expandSeeds(source: ConfigSource, sets: readonly Override[]): Expansion {
  const base = resolveConfig(source, sets);
  return { kind: 'check', base, axes: [], trials: trialsOf(source, sets, base, [{ group: base.name, values: {}, overrides: [] }]) };
}

/**
 * A patch as overrides: mappings merge key by key, except that a mapping naming a different
 * kind (another optimizer `name`, dataset or task) replaces the old one whole, so that a
 * variant `{optimizer: {name: sgd}}` gets sgd's defaults rather than adam's leftovers.
 */
export function patchOverrides(patch: Record<string, unknown>, base: Record<string, unknown> | undefined, path: string[], at: ConfigPath | null, origin: string): Override[] {
  return Object.entries(patch).flatMap(([key, value]): Override[] => {
    const here = [...path, key];
    const where = at === null ? undefined : [...at, key];
    const old = base === undefined ? undefined : ownEntry(base, key);
    const mergeable = isPlainObject(value) && isPlainObject(old) && ['name', 'dataset', 'task'].every((k) => !Object.hasOwn(value, k) || value[k] === old[k]);
    if (mergeable) return patchOverrides(value, old, here, where ?? null, origin);
    return [{ path: here, value, origin, at: where }];
  });
}

/**
 * The trials of `points` × `seeds`, each resolved and validated. `seedsAt` is where the seeds
 * are set in the config (where an expansion too large is reported, as the seeds multiply it).
 */
export function trialsOf(
  source: ConfigSource,
  sets: readonly Override[],
  base: ExperimentConfig,
  points: readonly Point[],
  seeds: readonly number[] = base.seeds ?? [base.seed],
  seedsAt: ConfigPath = ['seeds'],
): Trial[] {
  checkTrialCount(points.length * seeds.length, (problem) => placedError(source, [{ path: seedsAt, problem }], sets));
  const issues = new TrialIssues();
  const trials: Trial[] = [];
  const first = new Map<string, Point>();
  for (const point of points) {
    for (const seed of seeds) {
      const overrides = [...sets, ...point.overrides, { path: ['seed'], value: seed, origin: 'seeds' }];
      try {
        const config = withoutLabBlocks(resolveConfig(source, overrides));
        const id = trialId(config);
        const earlier = first.get(id);
        if (earlier !== undefined) throw sameTrial(source, sets, earlier, point);
        first.set(id, point);
        trials.push({ id, index: trials.length, group: point.group, seed, values: point.values, config });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        issues.add(error.issues);
      }
    }
  }
  if (issues.size > 0) throw new ConfigError(source.file, issues.inReadingOrder());
  return trials;
}

/**
 * The problems of many trials, each said once: a problem every seed of a point repeats, and a
 * problem that many random draws of one space meet (`must be > 0, got -3`, `got -5`, ...), are one
 * problem at one place. A place is kept with the problems of the first trial that had one there.
 */
class TrialIssues {
  private readonly issues = new Map<string, ConfigIssue>();
  private readonly places = new Set<string>();

  get size(): number {
    return this.issues.size;
  }

  add(trialIssues: readonly ConfigIssue[]): void {
    const place = (i: ConfigIssue): string => JSON.stringify([i.path, i.line, i.column, i.origin]);
    const fresh = trialIssues.filter((issue) => issue.line === undefined || !this.places.has(place(issue)));
    for (const issue of fresh) {
      this.issues.set(JSON.stringify(issue), issue);
      this.places.add(place(issue));
    }
  }

  /** Problems without a place in the file first (they name their flag), then by line and column. */
  inReadingOrder(): ConfigIssue[] {
    const key = (i: ConfigIssue): number => (i.line ?? 0) * 1e6 + (i.column ?? 0);
    return [...this.issues.values()].sort((a, b) => key(a) - key(b));
  }
}

/**
 * Two points that make the same trial (a repeated grid value or draw, two variants that patch
 * alike, a repeated seed), said where the later one comes from: at its place in the file, or as
 * the flag that gave it. A point's overrides are its choices (one object per grid value, patch or
 * draw), so the first override the two do not share is where they part; a point that shares all
 * of them is the same point, given a seed it already had.
 */
function sameTrial(source: ConfigSource, sets: readonly Override[], earlier: Point, later: Point): ConfigError {
  if (later === earlier) return placedError(source, [{ path: ['seeds'], problem: 'repeats a seed: each trial must differ' }], sets);
  const parting = later.overrides.findIndex((override, i) => override !== earlier.overrides[i]);
  const mine = choiceOf(later, parting);
  const theirs = choiceOf(earlier, parting);
  const problem = samePlace(mine, theirs) ? 'repeats a value: each trial must differ' : `gives the same trial as ${placeName(theirs)}: each trial must differ`;
  // A value given on the command line has no place in the file: locate names its flag instead.
  return mine.at === undefined ? placedError(source, [{ path: mine.path, problem }], [...sets, mine]) : placedError(source, [{ path: mine.at, problem }], sets);
}

/** A point's override at `i`; for a variant whose patch changes nothing (it has none), the variant itself. */
function choiceOf(point: Point, i: number): Override {
  return point.overrides[i] ?? { path: [], value: undefined, origin: point.group, at: point.at };
}

/** One place given twice: a --grid value repeated, or a random draw that came out the same. */
function samePlace(a: Override, b: Override): boolean {
  return a.origin === b.origin && a.at?.length === b.at?.length && (a.at ?? []).every((segment, i) => segment === b.at?.[i]);
}

function placeName(choice: Override): string {
  return choice.at === undefined ? choice.origin : formatPath(choice.at);
}

/** Refuses an expansion of more than MAX_TRIALS trials, before it is built, with the error `refusal` makes of the problem (placed where the count comes from). */
export function checkTrialCount(count: number, refusal: (problem: string) => Error): void {
  if (count > MAX_TRIALS) throw refusal(`expands to ${count} trials; at most ${MAX_TRIALS} run from one config (a typo?)`);
}

function withoutLabBlocks(config: ExperimentConfig): ExperimentConfig {
  const trial: Record<string, unknown> = { ...config };
  for (const key of LAB_KEYS) delete trial[key];
  return trial as unknown as ExperimentConfig;
}

/** 12 hex digits of SHA-256 over the config with sorted keys, name and targets left out. */
export function trialId(config: ExperimentConfig): string {
  const { name: _name, targets: _targets, ...rest } = config;
  return shortId(canonicalJson(rest), 12);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function draw(distribution: Distribution, rng: Rng): Scalar {
  if ('uniform' in distribution) return rng.uniformIn(distribution.uniform[0], distribution.uniform[1]);
  if ('log_uniform' in distribution) {
    const [low, high] = distribution.log_uniform;
    return Math.exp(rng.uniformIn(Math.log(low), Math.log(high)));
  }
  if ('int_uniform' in distribution) {
    const [low, high] = distribution.int_uniform;
    return low + rng.below(high - low + 1);
  }
  return distribution.choice[rng.below(distribution.choice.length)] as Scalar;
}

