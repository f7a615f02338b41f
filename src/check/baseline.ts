/**
 * Baselines: the measured results of a check config, saved (`adam-lab baseline --save`) so
 * that a later `adam-lab check --baseline` fails when convergence got worse — slower, higher
 * loss, lower accuracy — beyond a tolerance, or, with `--exact`, when the per-step trajectory
 * differs in any digit (for refactors that must not change the numerics).
 *
 * The file is JSON: per seed its status, its results and its steps.csv rows (as written, so
 * the comparison is bit for bit), plus optional per-metric tolerances a team may edit.
 */
import { z } from 'zod';
import { readConfigSource, validateSource, type FileKind } from '../config/load.js';
import type { TrialData } from '../runs/run-reader.js';
import { firstReaching, RESULT_METRICS, trialResults } from '../runs/run-reader.js';
import { adamLabVersion } from '../runs/provenance.js';
import { short, type Verdict } from './verdict.js';

/** Baselines hold whole trajectories, so they may be larger than a config (64 MiB). */
const BASELINE_FILE: FileKind = {
  noun: 'a baseline file',
  format: 'a baseline file (JSON, from adam-lab baseline --save)',
  keys: 'format:, version:, seeds:, ...',
  maxBytes: 64 * 1024 * 1024,
};

/** The steps.csv columns an exact comparison checks (seconds aside). */
export const TRAJECTORY_COLUMNS = ['step', 'epoch', 'loss', 'lr', 'grad_norm'] as const;

const tolerance = z.strictObject({ rtol: z.number().min(0).optional(), atol: z.number().min(0).optional() });
export type Tolerance = z.output<typeof tolerance>;

export const baselineSchema = z.strictObject({
  format: z.literal('adam-lab-baseline'),
  version: z.literal(1),
  name: z.string(),
  config_file: z.string(),
  adam_lab: z.string(),
  created_at: z.string(),
  targets: z.record(z.string(), z.number()),
  seeds: z.array(
    z.strictObject({
      seed: z.int().min(0),
      status: z.string(),
      metrics: z.record(z.string(), z.number().nullable()),
      steps: z.array(z.array(z.string()).length(TRAJECTORY_COLUMNS.length)),
    }),
  ).min(1),
  /** Per metric (or "default"): how much worse than the baseline still passes. */
  tolerances: z.record(z.string(), tolerance).optional(),
});
export type Baseline = z.output<typeof baselineSchema>;

/** A trial's measured results: the final metrics and the step of each target. */
export function measuredMetrics(trial: TrialData, targets: Readonly<Record<string, number>>): Record<string, number | null> {
  const metrics: Record<string, number | null> = { ...trialResults(trial) };
  for (const [metric, target] of Object.entries(targets)) metrics[`steps_to_${metric}`] = firstReaching(trial, metric, target)?.step ?? null;
  return metrics;
}

export function makeBaseline(name: string, configFile: string, targets: Readonly<Record<string, number>>, trials: readonly { trial: TrialData; steps: string[][] }[]): Baseline {
  return {
    format: 'adam-lab-baseline',
    version: 1,
    name,
    config_file: configFile,
    adam_lab: adamLabVersion(),
    created_at: new Date().toISOString(),
    targets: { ...targets },
    seeds: trials.map(({ trial, steps }) => ({ seed: trial.seed, status: trial.status, metrics: measuredMetrics(trial, targets), steps })),
  };
}

/** The metrics a baseline measures: the final results, and the steps to each of its targets. */
function baselineMetrics(targets: Readonly<Record<string, number>>): string[] {
  return [...RESULT_METRICS, ...Object.keys(targets).map((m) => `steps_to_${m}`)];
}

/**
 * Tolerances may name only what the baseline measures (or "default"), so that a misspelt key is
 * an error rather than a tolerance silently not applied. The names depend on the file's own
 * targets, hence a second schema made once those are read.
 */
function tolerancesSchema(targets: Readonly<Record<string, number>>): z.ZodType {
  const keys = [...baselineMetrics(targets), 'default'];
  return z.object({ tolerances: z.strictObject(Object.fromEntries(keys.map((k) => [k, tolerance.optional()]))).optional() });
}

export function readBaseline(file: string): Baseline {
  const source = readConfigSource(file, BASELINE_FILE);
  const baseline = validateSource(source, baselineSchema);
  // The key names are checked on the tolerances alone (the file's every step was validated just
  // above); the document is the same, so the problems keep their paths and positions.
  validateSource({ ...source, value: { tolerances: source.value.tolerances } }, tolerancesSchema(baseline.targets));
  return baseline;
}

/** Lower is better for losses and steps, higher for accuracies. */
function higherIsBetter(metric: string): boolean {
  return metric.endsWith('accuracy') && !metric.startsWith('steps_to_');
}

/**
 * The tolerance of each kind of metric when neither the command line nor the baseline file sets
 * one. An accuracy is bounded in [0, 1], so a relative tolerance means little: 5 % of 0.9 lets
 * 4.5 points go; one point is the drop a reader of the results would notice. A loss has no
 * natural scale, so it is held relatively. The steps to a target are counted at evaluations only,
 * so one evaluation later on one seed already moves the mean by several percent; a tenth more
 * steps is a slowdown rather than that grain.
 */
export const DEFAULT_TOLERANCES = {
  accuracy: { rtol: 0, atol: 0.01 },
  loss: { rtol: 0.05, atol: 0 },
  steps: { rtol: 0.1, atol: 0 },
} as const satisfies Record<string, Required<Tolerance>>;

export function defaultTolerance(metric: string): Required<Tolerance> {
  if (metric.startsWith('steps_to_')) return DEFAULT_TOLERANCES.steps;
  return metric.endsWith('accuracy') ? DEFAULT_TOLERANCES.accuracy : DEFAULT_TOLERANCES.loss;
}

/**
 * One verdict per metric the baseline measured: the mean over seeds must not be worse than the
 * baseline's mean by more than atol + rtol·|baseline|. The tolerance is the command line's for
 * every metric (`given`; an unset field is 0) or else the metric's default, under the file's
 * `default` and then its own entry, field by field.
 */
export function compareMetrics(baseline: Baseline, trials: readonly TrialData[], given: Tolerance | null): Verdict[] {
  const metricNames = baselineMetrics(baseline.targets);
  const current = trials.map((t) => measuredMetrics(t, baseline.targets));
  return metricNames.flatMap((metric): Verdict[] => {
    const before = mean(baseline.seeds.map((s) => s.metrics[metric] ?? null));
    if (before === null) return [];
    const values = current.map((m) => m[metric] ?? null);
    const now = mean(values);
    const fallback = given === null ? defaultTolerance(metric) : { rtol: 0, atol: 0, ...given };
    const { rtol, atol } = { ...fallback, ...baseline.tolerances?.default, ...baseline.tolerances?.[metric] };
    const slack = atol + rtol * Math.abs(before);
    const higher = higherIsBetter(metric);
    const limit = higher ? before - slack : before + slack;
    const bound = `${higher ? '≥' : '≤'} ${short(limit)} (baseline ${short(before)}, rtol ${rtol}, atol ${atol})`;
    if (now === null || values.some((v) => v === null)) {
      return [{ expectation: `baseline ${metric}`, bound, measured: `missing for ${values.filter((v) => v === null).length} seed(s)`, pass: false, values }];
    }
    return [{ expectation: `baseline ${metric}`, bound, measured: `${short(now)} (mean of ${values.length})`, pass: higher ? now >= limit : now <= limit, values }];
  });
}

/** Seed by seed, the steps.csv rows must equal the baseline's to the last digit. */
export function compareTrajectories(baseline: Baseline, current: readonly { seed: number; steps: string[][] }[]): Verdict[] {
  return baseline.seeds.map((recorded): Verdict => {
    const name = `exact trajectory, seed ${recorded.seed}`;
    const bound = `${recorded.steps.length} steps identical`;
    const run = current.find((c) => c.seed === recorded.seed);
    if (run === undefined) return { expectation: name, bound, measured: 'seed not run', pass: false, values: [] };
    const length = Math.max(run.steps.length, recorded.steps.length);
    for (let i = 0; i < length; i++) {
      const [a, b] = [recorded.steps[i], run.steps[i]];
      if (a === undefined || b === undefined) return { expectation: name, bound, measured: `${run.steps.length} steps`, pass: false, values: [] };
      const column = a.findIndex((cell, c) => cell !== b[c]);
      if (column >= 0) {
        const what = TRAJECTORY_COLUMNS[column];
        return { expectation: name, bound, measured: `step ${a[0]} differs in ${what}: ${b[column]} (baseline ${a[column]})`, pass: false, values: [] };
      }
    }
    return { expectation: name, bound, measured: 'identical', pass: true, values: [] };
  });
}

function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}
