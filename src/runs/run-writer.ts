/**
 * Writes one run directory. Every file is written atomically (atomic.ts); steps.csv grows
 * during the run as steps.csv.partial, appended in chunks, and is renamed to steps.csv when
 * the run ends, so a steps.csv on disk is always complete.
 */
import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { outputError, writeAll, writeFileAtomic } from './atomic.js';
import { RUN_FILES } from './layout.js';
import type { Manifest } from './manifest.js';

export const STEP_COLUMNS = ['step', 'epoch', 'loss', 'lr', 'grad_norm', 'seconds'] as const;
export const EPOCH_COLUMNS = ['epoch', 'step', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'seconds'] as const;

export type StepRow = Record<(typeof STEP_COLUMNS)[number], string>;
export type EpochRow = Record<(typeof EPOCH_COLUMNS)[number], string>;

export class RunWriter {
  private stepsFd: number | null = null;
  private readonly partialSteps: string;

  constructor(readonly dir: string) {
    this.partialSteps = join(dir, `${RUN_FILES.steps}.partial`);
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
    writeFileAtomic(this.path('epochs'), stringify(rows as EpochRow[], { header: true, columns: [...EPOCH_COLUMNS] }));
  }

  appendSteps(rows: readonly StepRow[]): void {
    try {
      if (this.stepsFd === null) {
        this.stepsFd = openSync(this.partialSteps, 'w');
        writeAll(this.stepsFd, Buffer.from(`${STEP_COLUMNS.join(',')}\n`, 'utf8'));
      }
      if (rows.length > 0) writeAll(this.stepsFd, Buffer.from(stringify(rows as StepRow[], { columns: [...STEP_COLUMNS] }), 'utf8'));
    } catch (error) {
      throw outputError(this.partialSteps, error);
    }
  }

  /** Flushes steps.csv.partial to disk and renames it to steps.csv. */
  finishSteps(): void {
    if (this.stepsFd === null) this.appendSteps([]);
    try {
      fsyncSync(this.stepsFd!);
      closeSync(this.stepsFd!);
      this.stepsFd = null;
      renameSync(this.partialSteps, this.path('steps'));
    } catch (error) {
      throw outputError(this.path('steps'), error);
    }
  }
}
