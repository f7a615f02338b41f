/** Reading data files with errors that name the file and say how to fix the problem. */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

/**
 * Reads `file`, or `file.gz` (gunzipped) when only the compressed one is there, since the
 * MNIST-style archives are usually downloaded as .gz.
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
  try {
    // A device or a pipe (/dev/zero, /dev/stdin) would be read without end: data lives in files.
    const stats = statSync(file);
    if (!stats.isFile() && !stats.isDirectory()) throw new DataError(file, 'is not a regular file (a device, pipe or socket); point the config at a data file');
    return readFileSync(file);
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new DataError(file, 'is a directory, expected a file');
    throw new DataError(file, `cannot be read (${code ?? (error as Error).message})`);
  }
}
