/**
 * Atomic file writes: the bytes go to a temporary file beside the target, are flushed to
 * disk, and the temporary file is renamed over the target. A reader (or a resumed sweep)
 * therefore sees the old file or the complete new one, never half of one, whatever
 * happens to the process in between.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { OutputError } from '../errors.js';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  // Unique across machines and containers (where every process may be PID 1): shards on a
  // shared filesystem rewrite the same summary.csv.
  const temporary = `${file}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw outputError(file, error);
  }
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

export function outputError(file: string, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EACCES: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOENT: 'the directory no longer exists',
  };
  return new OutputError(file, `cannot be written: ${(code && reasons[code]) ?? (error as Error).message}`);
}
