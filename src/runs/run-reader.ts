/**
 * The run reader: what a finished (or unfinished) run left on disk, read back for reports,
 * checks and baselines. Every folder above runs/ reads run files through here, by column name.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DataError, UnreadableFileError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import { readTrajectory } from './trajectory-reader.js';
import { RUN_FILES } from './layout.js';
import { bucketColumn } from './run-writer.js';
import type { RecordedManifest } from './manifest.js';
import { readTrialManifest, trialDirectory } from './sweep-dir.js';

/** One evaluation row of a trial (epochs.csv). */
export interface EvaluationPoint {
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  readonly valLoss?: number | null;
  readonly valAccuracy?: number | null;
  /** test_loss_bucket_0, 1, … (zipf_classes), frequent first; absent where epochs.csv has none. */
  readonly testBuckets?: readonly (number | null)[];
  /** Seconds since the run started (wall clock). */
  readonly seconds?: number | null;
}

/** One trial: a run directory under the sweep. */
export interface TrialData {
  /** The trial's id (its folder name under trials/). */
  readonly id: string;
  /** The group it belongs to: a compare variant's name, or the grid point's values without the seed. */
  readonly group: string;
  readonly seed: number;
  /** completed | diverged | interrupted | failed | running | missing (not run yet). */
  readonly status: string;
  /** The value of each varied config path (sweep) for this trial. */
  readonly values: Readonly<Record<string, string | number | boolean | null>>;
  /**
   * The batch loss per step, thinned to at most ~500 points for plotting: (step, loss) and, read
   * from a run's steps.csv, the seconds since the run started at that step.
   */
  readonly losses: readonly (readonly [step: number, loss: number, seconds?: number])[];
  /** Optimizer steps in one epoch (the rows of epoch 1 in steps.csv); absent when unknown. Epoch e ends at step e × stepsPerEpoch. */
  readonly stepsPerEpoch?: number;
  readonly evaluations: readonly EvaluationPoint[];
  readonly divergedAtStep: number | null;
  readonly seconds: number | null;
  /** internals.csv, when the run recorded it (train.internals). */
  readonly internals?: TrialInternals | null;
  /** An objective run's trajectory.csv, thinned for plotting; absent for a run on data. */
  readonly path?: TrialPath | null;
}

/** An objective run's path, at most ~MAX_PATH_POINTS points (the start and the end always kept). */
export interface TrialPath {
  readonly steps: readonly number[];
  /** coordinates[i][k]: x_i at steps[k]. */
  readonly coordinates: readonly (readonly number[])[];
}

const MAX_PATH_POINTS = 600;

/** The indices of a series of `length` points that a plot of at most about `max` points keeps: every k-th, and the last. */
export function keptIndices(length: number, max: number): number[] {
  const every = Math.max(1, Math.ceil(length / max));
  return Array.from({ length }, (_, k) => k).filter((k) => k % every === 0 || k === length - 1);
}

function thinnedPath(runDir: string): TrialPath | null {
  const trajectory = readTrajectory(runDir);
  if (trajectory === null) return null;
  const kept = keptIndices(trajectory.steps.length, MAX_PATH_POINTS);
  return { steps: kept.map((k) => trajectory.steps[k]), coordinates: trajectory.coordinates.map((xs) => kept.map((k) => xs[k])) };
}

/** One internals.csv row as plots read it. */
export interface InternalsPoint {
  readonly step: number;
  readonly tensor: string;
  readonly group: string;
  readonly updateRatio: number;
  /** eff_lr_p10, p50, p90; null where the optimizer writes none (SGD). */
  readonly stepSizes: readonly [number, number, number] | null;
}

/** A trial's internals.csv: its rows thinned for plotting, and the largest update ratio of them all. */
export interface TrialInternals {
  /** At most ~500 recorded steps per tensor (the last always kept). */
  readonly points: readonly InternalsPoint[];
  /** The largest update_ratio of any tensor at any recorded step; null when no row was recorded. */
  readonly maxUpdateRatio: number | null;
}

/** Results measured per trial, the columns of summary.csv and the metrics of comparison.csv. */
export const RESULT_METRICS = ['final_train_loss', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy'] as const;

export type ResultMetric = (typeof RESULT_METRICS)[number];

/** The evaluation metrics a target or a tuning run may name (epochs.csv columns), and the EvaluationPoint field that holds each. */
export const EVALUATION_FIELDS = {
  test_accuracy: 'testAccuracy',
  test_loss: 'testLoss',
  train_loss: 'trainLoss',
  val_loss: 'valLoss',
  val_accuracy: 'valAccuracy',
} as const;

const MAX_PLOT_POINTS = 500;

/** One trial of a sweep folder, with its losses thinned for plotting. */
export function readTrialData(dir: string, id: string, group: string, seed: number, values: TrialData['values']): TrialData {
  const manifest = readTrialManifest(dir, id);
  const base = join(trialDirectory(dir, id));
  const steps = manifest === null ? [] : readRows(join(base, 'steps.csv'), STEP_ROW);
  const losses = keptIndices(steps.length, MAX_PLOT_POINTS).map((i) => [Number(steps[i].step), Number(steps[i].loss), Number(steps[i].seconds)] as const);
  const firstEpoch = steps.filter((r) => r.epoch === steps[0].epoch).length;
  const evaluations = (manifest === null ? [] : readRows(join(base, 'epochs.csv'), EPOCH_ROW)).map(
    (r): EvaluationPoint => ({
      epoch: Number(r.epoch),
      step: Number(r.step),
      trainLoss: numberOrNull(r.train_loss),
      testLoss: numberOrNull(r.test_loss),
      testAccuracy: numberOrNull(r.test_accuracy),
      valLoss: numberOrNull(r.val_loss),
      valAccuracy: numberOrNull(r.val_accuracy),
      ...(r[bucketColumn(0)] === undefined ? {} : { testBuckets: bucketsOf(r) }),
      seconds: numberOrNull(r.seconds),
    }),
  );
  return {
    id,
    group,
    seed,
    status: manifest?.status ?? 'missing',
    values,
    losses,
    ...(firstEpoch > 0 ? { stepsPerEpoch: firstEpoch } : {}),
    evaluations,
    divergedAtStep: manifest?.diverged_at_step ?? null,
    seconds: wallSeconds(manifest),
    internals: manifest === null ? null : readInternals(base),
    path: manifest === null ? null : thinnedPath(base),
  };
}

/** A run's steps.csv rows as written (text), the given columns in the given order; none when the run wrote no steps. */
export function readStepColumns(runDir: string, columns: readonly string[]): string[][] {
  return readRows(join(runDir, 'steps.csv'), STEP_ROW).map((row) => columns.map((column) => row[column]));
}

/** A run folder's internals.csv, or null when the run has none. */
export function readInternals(runDir: string): TrialInternals | null {
  const file = join(runDir, RUN_FILES.internals);
  if (!existsSync(file)) return null;
  const rows = readRows(file, INTERNALS_ROW);
  const steps = [...new Set(rows.map((r) => r.step))];
  const kept = new Set(keptIndices(steps.length, MAX_PLOT_POINTS).map((i) => steps[i]));
  const ratios = rows.map((r) => Number(r.update_ratio));
  const points = rows
    .filter((r) => kept.has(r.step))
    .map(
      (r): InternalsPoint => ({
        step: Number(r.step),
        tensor: r.tensor,
        group: r.group,
        updateRatio: Number(r.update_ratio),
        stepSizes: r.eff_lr_p50 === undefined ? null : [Number(r.eff_lr_p10), Number(r.eff_lr_p50), Number(r.eff_lr_p90)],
      }),
    );
  // A NaN ratio (a tensor whose norm was 0, or a diverging run) exceeds every bound.
  return { points, maxUpdateRatio: ratios.length === 0 ? null : ratios.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))) };
}

/**
 * A run's CSV rows, checked: steps.csv, epochs.csv and internals.csv appear on disk only whole,
 * so one that does not parse, or holds a cell that is not a number, was damaged after the fact
 * and is refused by name rather than read as NaN.
 */
function readRows(file: string, required: RowSchema): Record<string, string>[] {
  let text: string;
  try {
    text = readTextBounded(file);
  } catch (error) {
    if (error instanceof UnreadableFileError && error.reason === 'missing') return []; // a run that never got to write this file
    throw error;
  }
  let rows: unknown[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true }) as unknown[];
  } catch (error) {
    throw new DataError(file, `is damaged: ${(error as Error).message}`, CSV_HINT);
  }
  const parsed = z.array(required).safeParse(rows);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [row, column] = issue.path;
    throw new DataError(file, `is damaged: row ${Number(row) + 1}${column === undefined ? '' : `, ${String(column)}`}: ${issue.message}`, CSV_HINT);
  }
  return parsed.data;
}

const CSV_HINT = "a run's CSV files are written by the run itself; remove the trial folder and resume the sweep to run it again";

/** A cell as numbers.ts writes it: a number, NaN or ±Infinity, or empty where nothing was measured. */
const numberCell = z.string().refine((text) => text === '' || text === 'NaN' || !Number.isNaN(Number(text)), { error: (issue) => `${JSON.stringify(issue.input)} is not a number` });

/** Every column of steps.csv and epochs.csv is numeric, and of internals.csv but the tensor's and group's names; the named ones a reader cannot do without. */
type RowSchema = z.ZodType<Record<string, string>>;
const STEP_ROW: RowSchema = z.object({ step: numberCell, loss: numberCell }).catchall(numberCell);
const EPOCH_ROW: RowSchema = z.object({ epoch: numberCell, step: numberCell }).catchall(numberCell);
const INTERNALS_ROW: RowSchema = z.object({ step: numberCell, tensor: z.string(), group: z.string(), update_ratio: numberCell }).catchall(numberCell);

function bucketsOf(row: Record<string, string>): (number | null)[] {
  const losses: (number | null)[] = [];
  for (let b = 0; row[bucketColumn(b)] !== undefined; b++) losses.push(numberOrNull(row[bucketColumn(b)]));
  return losses;
}

/**
 * A trial's final value of a metric a claim may name: a result metric (final_test_loss, …) or
 * a class bucket's test loss (test_loss_bucket_<b>) at the last evaluation; null where absent.
 */
export function finalMetric(trial: TrialData, metric: string): number | null {
  const bucket = /^test_loss_bucket_(\d+)$/.exec(metric);
  if (bucket !== null) return trial.evaluations.at(-1)?.testBuckets?.[Number(bucket[1])] ?? null;
  return trialResults(trial)[metric as ResultMetric] ?? null;
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined || text === '' ? null : Number(text);
}

function wallSeconds(manifest: RecordedManifest | null): number | null {
  if (manifest?.ended_at == null) return null;
  return (Date.parse(manifest.ended_at) - Date.parse(manifest.started_at)) / 1000;
}

/** Each trial's results; null where the trial did not measure it. */
export function trialResults(trial: TrialData): Record<ResultMetric, number | null> {
  const last = trial.evaluations.at(-1);
  const accuracies = trial.evaluations.map((e) => e.testAccuracy).filter((a): a is number => a !== null);
  return {
    final_train_loss: last?.trainLoss ?? null,
    final_test_loss: last?.testLoss ?? null,
    final_test_accuracy: last?.testAccuracy ?? null,
    best_test_accuracy: accuracies.length === 0 ? null : Math.max(...accuracies),
  };
}

/** The first evaluation that meets a target (accuracy from below, loss from above). */
export function firstReaching(trial: TrialData, metric: string, target: number): EvaluationPoint | null {
  const key = EVALUATION_FIELDS[metric as keyof typeof EVALUATION_FIELDS];
  if (key === undefined) return null;
  const higher = metric.endsWith('accuracy');
  return trial.evaluations.find((e) => e[key] !== null && (higher ? e[key]! >= target : e[key]! <= target)) ?? null;
}
