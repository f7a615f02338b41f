/** Reading data files with errors that name the file and say how to fix the problem. */
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../core/errors.js';

/**
 * Reads `file`, or `file.gz` (gunzipped) when only the compressed one is there, since the
 * MNIST-style archives are usually downloaded as .gz. A plain file is read straight into a
 * SharedArrayBuffer: a sweep hands the bytes to its worker threads as they are (Split.shared),
 * instead of holding a second copy of the dataset at its peak.
 */
export function readDataFile(file: string, hint: string): Uint8Array {
  const plain = tryRead(file);
  if (plain !== null) return plain;
  const compressed = tryRead(`${file}.gz`);
  if (compressed === null) throw new DataError(file, 'file not found (nor a .gz of it)', hint);
  try {
    return gunzipSync(compressed);
  } catch (error) {
    throw new DataError(`${file}.gz`, `not a valid gzip file (${(error as Error).message})`, hint);
  }
}

function tryRead(file: string): Uint8Array | null {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(file, error);
  }
  if (stats.isDirectory()) throw new DataError(file, 'is a directory, expected a file');
  // A device or a pipe (/dev/zero, /dev/stdin) would be read without end: data lives in files.
  if (!stats.isFile()) throw new DataError(file, 'is not a regular file (a device, pipe or socket); point the config at a data file');
  try {
    return readShared(file, stats.size);
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): DataError {
  return new DataError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
}

/** The first `size` bytes of `file` (fewer if it shrank meanwhile), in shared memory. */
function readShared(file: string, size: number): Uint8Array {
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  const fd = openSync(file, 'r');
  try {
    let filled = 0;
    while (filled < size) {
      const read = readSync(fd, bytes, filled, size - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
