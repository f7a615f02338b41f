/**
 * Atomic file writes: the bytes go to a temporary file beside the target, are flushed to
 * disk, and only then does the temporary file take the target's name. A reader (or a resumed
 * sweep) therefore sees the old file or the complete new one, never half of one, whatever
 * happens to the process in between.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { OutputError } from '../core/errors.js';

/** Writes the file whole, replacing any file of that name. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temporary = writeTemporary(file, data);
  try {
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw outputError(file, error);
  }
}

/**
 * Creates the file whole, only if no file of that name exists: returns false when one does.
 * A hard link fails like O_EXCL when its name is taken, so processes racing for one name on a
 * shared file system see exactly one winner, and the winner's file never appears empty.
 */
export function writeFileExclusive(file: string, data: string | Uint8Array): boolean {
  const temporary = writeTemporary(file, data);
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw outputError(file, error);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Writes and flushes the bytes to a fresh temporary file beside `file`; returns its name. */
function writeTemporary(file: string, data: string | Uint8Array): string {
  // Unique across machines and containers (where every process may be PID 1): shards on a
  // shared filesystem write beside the same files.
  const temporary = `${file}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw outputError(file, error);
  }
  return temporary;
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
    ENOTDIR: 'a part of the path is a file, not a folder',
  };
  return new OutputError(file, `cannot be written: ${(code && reasons[code]) ?? (error as Error).message}`);
}
