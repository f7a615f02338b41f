/**
 * Writes one run directory. Every file is written atomically (atomic.ts); steps.csv and
 * internals.csv grow during the run as <file>.partial (csv-appender.ts) and are renamed into
 * place when the run ends, so a steps.csv on disk is always complete.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { stepSizeColumns } from '../optim/internals.js';
import type { OptimizerName } from '../optim/registry.js';
import { CheckpointError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';
import { RESTART_HINT } from './checkpoint-dir.js';
import { CsvAppender, readRows } from './csv-appender.js';
import { RUN_FILES } from './layout.js';
import type { Manifest } from './manifest.js';

export const STEP_COLUMNS = ['step', 'epoch', 'loss', 'lr', 'grad_norm', 'seconds'] as const;
export const EPOCH_COLUMNS = ['epoch', 'step', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'seconds'] as const;

/**
 * epochs.csv's columns for a dataset whose classes are grouped by frequency (zipf_classes):
 * test_loss_bucket_0 (the frequent classes) … test_loss_bucket_<n−1> (the rare ones), after
 * EPOCH_COLUMNS so that every reader of those finds them where they were.
 */
export const bucketColumn = (bucket: number): string => `test_loss_bucket_${bucket}`;
const BUCKET_COLUMN = /^test_loss_bucket_(\d+)$/;

/**
 * internals.csv (DESIGN.md, optimizer internals): one row per trainable tensor at every
 * train.internals.every-th step; then the optimizer's own columns (optim/internals.ts).
 */
export const INTERNALS_COLUMNS = ['step', 'tensor', 'group', 'param_norm', 'grad_norm', 'update_norm', 'update_ratio'] as const;

/** The columns of a run's internals.csv: fixed for the whole file by the optimizer. */
export function internalsColumns(optimizer: OptimizerName): string[] {
  return [...INTERNALS_COLUMNS, ...stepSizeColumns(optimizer)];
}

/** A text run's epochs.csv goes on with the losses in bits per character (loss / ln 2). */
export const BITS_PER_CHARACTER_COLUMNS = ['train_bpc', 'val_bpc', 'test_bpc'] as const;

export type StepRow = Record<(typeof STEP_COLUMNS)[number], string>;
/** The base columns, then train_bpc... for a text run and test_loss_bucket_<b> where the dataset groups its classes. */
export type EpochRow = Record<(typeof EPOCH_COLUMNS)[number], string> & Partial<Record<(typeof BITS_PER_CHARACTER_COLUMNS)[number], string>> & Record<string, string>;
/** The base columns, and eff_lr_p10... where the optimizer writes them. */
export type InternalsRow = Record<(typeof INTERNALS_COLUMNS)[number], string> & Record<string, string>;

export class RunWriter {
  private readonly steps: CsvAppender<StepRow>;
  private internals: CsvAppender<InternalsRow> | null = null;
  private trajectory: CsvAppender<Record<string, string>> | null = null;

  constructor(readonly dir: string) {
    this.steps = new CsvAppender(this.path('steps'), STEP_COLUMNS);
  }

  path(file: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[file]);
  }

  writeConfig(yamlText: string): void {
    writeFileAtomic(this.path('config'), yamlText);
  }

  writeManifest(manifest: Manifest): void {
    writeFileAtomic(this.path('manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
  }

  writeWeights(bytes: Uint8Array): void {
    writeFileAtomic(this.path('weights'), bytes);
  }

  writeEpochs(rows: readonly EpochRow[]): void {
    const bits = rows.length > 0 && rows[0].train_bpc !== undefined;
    const buckets = Object.keys(rows[0] ?? {}).filter((column) => BUCKET_COLUMN.test(column));
    writeFileAtomic(this.path('epochs'), stringify(rows as EpochRow[], { header: true, columns: [...EPOCH_COLUMNS, ...(bits ? BITS_PER_CHARACTER_COLUMNS : []), ...buckets] }));
  }

  appendSteps(rows: readonly StepRow[]): void {
    this.steps.append(rows);
  }

  /**
   * Continues the steps of a run resumed from a checkpoint taken after step `rows`: whichever of
   * steps.csv.partial (killed) and steps.csv (interrupted) it left, cut to its first `rows` rows,
   * becomes steps.csv.partial again, which the resumed steps are appended to.
   */
  resumeSteps(rows: number): void {
    this.steps.resume((lines, file) => {
      if (lines.length < rows) throw new CheckpointError(file, `has ${lines.length} rows, the checkpoint counts ${rows}`, RESTART_HINT);
      return lines.slice(0, rows);
    });
  }

  /** internals.csv cut back to the rows of steps up to `step` (when the run recorded any), appended to from there. */
  resumeInternals(optimizer: OptimizerName, step: number): void {
    if (!existsSync(`${this.path('internals')}.partial`) && !existsSync(this.path('internals'))) return;
    this.internals = new CsvAppender(this.path('internals'), internalsColumns(optimizer));
    this.internals.resume((lines) => lines.filter((line) => Number(line.slice(0, line.indexOf(','))) <= step));
  }

  /** epochs.csv cut to its first `rows` rows (the evaluations a checkpoint counts), which are returned. */
  resumeEpochs(rows: number): EpochRow[] {
    const file = this.path('epochs');
    const read = rows === 0 && !existsSync(file) ? null : readRows(file);
    if (read !== null && read.rows.length < rows) throw new CheckpointError(file, `has ${read.rows.length} rows, the checkpoint counts ${rows}`, RESTART_HINT);
    const kept = read === null ? [] : (parse([read.header, ...read.rows.slice(0, rows)].join(''), { columns: true }) as EpochRow[]);
    this.writeEpochs(kept);
    return kept;
  }

  /** Flushes steps.csv.partial to disk and renames it to steps.csv. */
  finishSteps(): void {
    this.steps.finish();
  }

  /** Appends rows to internals.csv(.partial), whose columns `optimizer` sets (internalsColumns). */
  appendInternals(optimizer: OptimizerName, rows: readonly InternalsRow[]): void {
    this.internals ??= new CsvAppender(this.path('internals'), internalsColumns(optimizer));
    this.internals.append(rows);
  }

  /** Renames internals.csv.partial to internals.csv, when the run records internals. */
  finishInternals(): void {
    this.internals?.finish();
  }

  /** Appends rows to trajectory.csv(.partial) of an objective run, with `columns` (step, x0, …, loss[, regret]). */
  appendTrajectory(columns: readonly string[], rows: readonly Record<string, string>[]): void {
    this.trajectory ??= new CsvAppender(this.path('trajectory'), columns);
    this.trajectory.append(rows);
  }

  /** trajectory.csv cut back to the points up to step `step`, appended to from there. */
  resumeTrajectory(columns: readonly string[], step: number): void {
    this.trajectory = new CsvAppender(this.path('trajectory'), columns);
    this.trajectory.resume((lines) => lines.filter((line) => Number(line.slice(0, line.indexOf(','))) <= step));
  }

  /** Renames trajectory.csv.partial to trajectory.csv, for an objective run. */
  finishTrajectory(): void {
    this.trajectory?.finish();
  }
}
