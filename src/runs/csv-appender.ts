/**
 * A CSV file that grows during a run: written as <file>.partial, header first, appended in
 * chunks, and renamed to <file> when the run ends, so that a file of that name on disk is always
 * complete. steps.csv and internals.csv are written this way.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { CheckpointError, DataError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import { outputError, writeAll, writeFileAtomic } from './atomic.js';

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

  /**
   * Continues the file a run resumed from a checkpoint left — its .partial (killed) or the file
   * itself (interrupted): the header and the rows `keep` returns (lines with their newlines)
   * become the .partial again, which appending goes on from.
   */
  resume(keep: (rows: readonly string[], file: string) => readonly string[]): void {
    const source = existsSync(this.partial) ? this.partial : this.file;
    const { header, rows } = readRows(source);
    writeFileAtomic(this.partial, [header, ...keep(rows, source)].join(''));
    rmSync(this.file, { force: true });
    try {
      this.fd = openSync(this.partial, 'a');
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

/** A run's CSV file as its header line and row lines, each with its newline; a torn last line (a killed append) is left out. */
export function readRows(file: string): { header: string; rows: string[] } {
  let text: string;
  try {
    text = readTextBounded(file, { maxBytes: 1 << 30 });
  } catch (error) {
    if (error instanceof DataError) throw new CheckpointError(file, `cannot be read to resume the run: ${error.problem}`);
    throw error;
  }
  const lines = text.split('\n').slice(0, -1).map((line) => `${line}\n`);
  if (lines.length === 0) throw new CheckpointError(file, 'has no header line to resume the run from');
  return { header: lines[0], rows: lines.slice(1) };
}
