/**
 * The trials of the tuned comparison protocol (`compare --protocol tuned`):
 *   1. tuning: every variant × points of the search space (a grid, log-spaced where the
 *      distribution is log-uniform, or quasi-random Halton points), on one seed;
 *   2. rerun: every variant at its best tuning point × `rerun.seeds` seeds.
 * Tuning trials never evaluate on the test split (train.evaluate_test: false): the protocol
 * chooses on validation data, and a test score beside each tuning trial invites choosing by eye.
 * The reruns evaluate on it as any run does.
 * An axis applies to a variant only where its path exists (SGD has no betas to tune);
 * `one_minus_beta1` and `one_minus_beta2` tune 1 − β on a log scale, as DeepOBS does.
 */
import { ConfigError } from '../core/errors.js';
import { ownEntry } from '../core/keys.js';
import { protocolSchema, type Distribution, type Protocol, type TuneDistribution } from './lab-schema.js';
import { placedError, resolveConfig, type ConfigSource } from './load.js';
import { parsePath, type ConfigPath, type Override } from './overrides.js';
import type { ExperimentConfig } from './schema.js';
import { checkTrialCount, compareVariants, trialsOf, type Expansion, type Point, type Scalar } from './trials.js';

export interface TuningPlan {
  readonly base: ExperimentConfig;
  readonly protocol: Protocol;
  readonly variants: readonly Point[];
  /** The tuning points, in the order of the tuning trials' points (trial i used points[i]). */
  readonly points: readonly Point[];
  readonly tuning: Expansion;
}

/** Each variant's learning-rate range test suggestions (lab/lr-find.ts), for axes drawn with lr_find. */
export type LrFindCentres = ReadonlyMap<string, { readonly valley: number | null; readonly steep: number | null }>;

interface Axis {
  readonly name: string;
  readonly target: ConfigPath;
  readonly distribution: TuneDistribution;
  /** The config value for a point of the axis. */
  readonly toConfig: (value: Scalar) => Scalar;
}

/** What makes a trial a tuning trial: it must not look at the test set. */
const NO_TEST_EVALUATION: Override = { path: ['train', 'evaluate_test'], value: false, origin: 'the tuned protocol (tuning trials do not evaluate on the test set)' };

/** Tuned values in a trial's group label: 3 significant digits, more only where a variant's points would otherwise read alike. */
const LABEL_DIGITS = 3;

const DERIVED: Record<string, { target: ConfigPath; toConfig: (v: Scalar) => Scalar }> = {
  one_minus_beta1: { target: ['optimizer', 'betas', 0], toConfig: (v) => 1 - Number(v) },
  one_minus_beta2: { target: ['optimizer', 'betas', 1], toConfig: (v) => 1 - Number(v) },
};

/** Whether the protocol's search space centres an axis on lr-find: then expandTuning needs the centres. */
export function usesLrFind(protocol: Protocol | undefined): boolean {
  return Object.values(protocol?.tune.space ?? {}).some((d) => typeof d === 'object' && d !== null && 'lr_find' in d);
}

export function expandTuning(source: ConfigSource, sets: readonly Override[], cliVariants: Record<string, Record<string, unknown>> | null, centres: LrFindCentres = new Map()): TuningPlan {
  const { base, variants } = compareVariants(source, sets, cliVariants);
  const protocol = base.protocol ?? protocolSchema.parse({});
  if (base.data !== undefined && base.data.validation === undefined) {
    throw new ConfigError(source.file, [{ path: ['data', 'validation'], problem: 'is needed by the tuned protocol: tuning must not look at the test set; hold out a share, e.g. 0.1' }]);
  }
  const axes: Axis[] = Object.entries(protocol.tune.space).map(([name, distribution]) => ({
    name,
    distribution: distribution as TuneDistribution,
    target: ownEntry(DERIVED, name)?.target ?? parsePath(name, 'protocol.tune.space'),
    toConfig: ownEntry(DERIVED, name)?.toConfig ?? ((v) => v),
  }));
  checkTrialCount(variants.length * protocol.tune.budget, (problem) => placedError(source, [{ path: ['protocol', 'tune', 'budget'], problem }], sets));
  const used = new Set<string>();
  const points = variants.flatMap((variant) => {
    const config = resolveConfig(source, [...sets, ...variant.overrides]) as unknown as Record<string, unknown>;
    const mine = axes.filter((axis) => valueAt(config, axis.target) !== undefined).map((axis) => centred(axis, centres.get(variant.group), (problem) => placedError(source, [{ path: ['protocol', 'tune', 'space', axis.name], problem }], sets)));
    mine.forEach((axis) => used.add(axis.name));
    const found = searchPoints(mine, protocol.tune.search, protocol.tune.budget);
    const label = labelsOf(found);
    return found.map(
      (values): Point => ({
        group: [variant.group, ...Object.entries(values).map(([k, v]) => `${k}=${label(k, v)}`)].join(' '),
        values: { variant: variant.group, ...values },
        overrides: [
          ...variant.overrides,
          ...mine.map((axis) => ({ path: axis.target, value: axis.toConfig(values[axis.name]), origin: 'protocol.tune.space', at: ['protocol', 'tune', 'space', axis.name] })),
        ],
      }),
    );
  });
  const unused = axes.filter((axis) => !used.has(axis.name));
  if (unused.length > 0) {
    const problem = 'applies to none of the variants (no such config value)';
    throw placedError(source, unused.map((axis) => ({ path: ['protocol', 'tune', 'space', axis.name], problem, atKey: true })), sets);
  }
  const tuning: Expansion = { kind: 'sweep', base, axes: ['variant', ...axes.map((a) => a.name)], trials: trialsOf(source, [...sets, NO_TEST_EVALUATION], base, points, [protocol.tune.seed ?? base.seed]) };
  return { base, protocol, variants, points, tuning };
}

/**
 * The defaults: every variant as its config gives it (no search-space value applied), on the
 * tuning seed and validation data like a tuning trial, so that the report can say what tuning
 * gained over the defaults (the score a user gets without tuning).
 */
export function expandDefaults(source: ConfigSource, sets: readonly Override[], plan: TuningPlan): Expansion {
  const points = plan.variants.map((v): Point => ({ group: v.group, values: { variant: v.group }, overrides: v.overrides }));
  return { kind: 'compare', base: plan.base, axes: ['variant'], trials: trialsOf(source, [...sets, NO_TEST_EVALUATION], plan.base, points, [plan.protocol.tune.seed ?? plan.base.seed]) };
}

/**
 * The rerun: every variant at its chosen tuning trial's point, over `rerun.seeds` seeds (0, 1,
 * ...). `chosen` maps a variant to the index of its best tuning trial.
 */
export function expandRerun(source: ConfigSource, sets: readonly Override[], plan: TuningPlan, chosen: ReadonlyMap<string, number>, points: readonly Point[]): Expansion {
  const seeds = Array.from({ length: plan.protocol.rerun.seeds }, (_, i) => i);
  const best = plan.variants
    .filter((v) => chosen.has(v.group))
    .map((v): Point => {
      const point = points[chosen.get(v.group)!];
      return { group: v.group, values: point.values, overrides: point.overrides };
    });
  return { kind: 'compare', base: plan.base, axes: plan.tuning.axes.filter((a) => a !== 'variant'), trials: trialsOf(source, sets, plan.base, best, seeds, ['protocol', 'rerun', 'seeds']) };
}

/** An axis drawn with lr_find as the log-uniform range around the variant's suggestion; other axes as they are. */
function centred(axis: Axis, centre: { valley: number | null; steep: number | null } | undefined, refuse: (problem: string) => Error): Axis & { readonly distribution: Distribution } {
  if (!('lr_find' in axis.distribution)) return { ...axis, distribution: axis.distribution };
  const { factor, suggestion } = axis.distribution.lr_find;
  const s = centre?.[suggestion] ?? null;
  if (s === null) throw refuse(`lr_find found no ${suggestion} suggestion for a variant (its range test diverged at once); give this axis a log_uniform range`);
  return { ...axis, distribution: { log_uniform: [s / factor, s * factor] } };
}

/**
 * How each axis's values read in group labels: fractions to LABEL_DIGITS significant digits, or
 * to as many more as tell this set of points apart (a group label names one point); integers
 * (batch sizes, epochs) and choices as they are.
 */
function labelsOf(points: readonly Record<string, Scalar>[]): (axis: string, value: Scalar) => string {
  const digits = new Map<string, number>();
  for (const axis of new Set(points.flatMap((p) => Object.keys(p)))) {
    const values = [...new Set(points.map((p) => p[axis]).filter((v): v is number => typeof v === 'number' && !Number.isInteger(v)))];
    let d = LABEL_DIGITS;
    while (d < 17 && new Set(values.map((v) => roundTo(v, d))).size < values.length) d++;
    digits.set(axis, d);
  }
  return (axis, value) => (typeof value === 'number' && !Number.isInteger(value) ? String(roundTo(value, digits.get(axis)!)) : String(value));
}

const roundTo = (x: number, digits: number): number => Number(x.toPrecision(digits));

function valueAt(config: Record<string, unknown>, path: ConfigPath): unknown {
  let node: unknown = config;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** The search points as axis name → value (before any derived-axis transform). */
export function searchPoints(axes: readonly { readonly name: string; readonly distribution: Distribution }[], search: 'grid' | 'random', budget: number): Record<string, Scalar>[] {
  if (axes.length === 0) return [{}];
  if (search === 'random') {
    return Array.from({ length: budget }, (_, i) => Object.fromEntries(axes.map((axis, d) => [axis.name, fromUnit(axis.distribution, halton(i + 1, PRIMES[d]))])));
  }
  const perAxis = axes.length === 1 ? budget : Math.ceil(budget ** (1 / axes.length));
  let points: Record<string, Scalar>[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => gridValues(axis.distribution, perAxis).map((v) => ({ ...p, [axis.name]: v })));
  return points;
}

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];

/** The i-th element of the van der Corput sequence in `base`: the Halton sequence's coordinate. */
export function halton(index: number, base: number): number {
  let result = 0;
  let fraction = 1 / base;
  for (let i = index; i > 0; i = Math.floor(i / base), fraction /= base) result += (i % base) * fraction;
  return result;
}

function fromUnit(distribution: Distribution, u: number): Scalar {
  if ('uniform' in distribution) return distribution.uniform[0] + u * (distribution.uniform[1] - distribution.uniform[0]);
  if ('log_uniform' in distribution) {
    const [low, high] = distribution.log_uniform;
    return Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
  }
  if ('int_uniform' in distribution) {
    const [low, high] = distribution.int_uniform;
    return low + Math.min(high - low, Math.floor(u * (high - low + 1)));
  }
  return distribution.choice[Math.min(distribution.choice.length - 1, Math.floor(u * distribution.choice.length))] as Scalar;
}

/** n evenly spaced values over the distribution's range: both ends included, geometric for log-uniform. */
function gridValues(distribution: Distribution, n: number): Scalar[] {
  if ('choice' in distribution) return distribution.choice as Scalar[];
  const at = (i: number): number => (n === 1 ? 0.5 : i / (n - 1));
  if ('log_uniform' in distribution) {
    const [low, high] = distribution.log_uniform;
    return Array.from({ length: n }, (_, i) => Number(Math.exp(Math.log(low) + at(i) * (Math.log(high) - Math.log(low))).toPrecision(12)));
  }
  if ('int_uniform' in distribution) {
    const [low, high] = distribution.int_uniform;
    return [...new Set(Array.from({ length: n }, (_, i) => Math.round(low + at(i) * (high - low))))];
  }
  const [low, high] = distribution.uniform;
  return Array.from({ length: n }, (_, i) => Number((low + at(i) * (high - low)).toPrecision(12)));
}
