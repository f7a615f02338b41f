/**
 * A CSV file that grows during a run: written as <file>.partial, header first, appended in
 * chunks, and renamed to <file> when the run ends, so that a file of that name on disk is always
 * complete. steps.csv and internals.csv are written this way.
 */
import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { outputError, writeAll } from './atomic.js';

export class CsvAppender<Row extends Record<string, string>> {
  private fd: number | null = null;
  private readonly partial: string;

  constructor(
    private readonly file: string,
    private readonly columns: readonly string[],
  ) {
    this.partial = `${file}.partial`;
  }

  append(rows: readonly Row[]): void {
    try {
      if (this.fd === null) {
        this.fd = openSync(this.partial, 'w');
        writeAll(this.fd, Buffer.from(`${this.columns.join(',')}\n`, 'utf8'));
      }
      if (rows.length > 0) writeAll(this.fd, Buffer.from(stringify(rows as Row[], { columns: [...this.columns] }), 'utf8'));
    } catch (error) {
      throw outputError(this.partial, error);
    }
  }

  /** Flushes the partial file to disk and renames it into place (a header alone when nothing was appended). */
  finish(): void {
    if (this.fd === null) this.append([]);
    try {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.partial, this.file);
    } catch (error) {
      throw outputError(this.file, error);
    }
  }
}
