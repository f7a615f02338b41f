/** Reading data files with errors that name the file and say how to fix the problem. */
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError, UnreadableFileError } from '../core/errors.js';
import { readFileBounded } from '../core/read-file.js';

/**
 * Reads `file`, or `file.gz` (gunzipped) when only the compressed one is there, since the
 * MNIST-style archives are usually downloaded as .gz. A plain file is read straight into a
 * SharedArrayBuffer: a sweep hands the bytes to its worker threads as they are (Split.shared),
 * instead of holding a second copy of the dataset at its peak.
 */
export function readDataFile(file: string, hint: string): Uint8Array {
  const plain = tryRead(file, true);
  if (plain !== null) return plain;
  const compressed = tryRead(`${file}.gz`, false);
  if (compressed === null) throw new DataError(file, 'file not found (nor a .gz of it)', hint);
  try {
    return gunzipSync(compressed);
  } catch (error) {
    throw new DataError(`${file}.gz`, `not a valid gzip file (${(error as Error).message})`, hint);
  }
}

/**
 * Fails as readDataFile would when neither `file` nor `file.gz` is there, without reading it:
 * `validate` checks every dataset's files exist, as it reads a CSV's header.
 */
export function requireDataFile(file: string, hint: string): void {
  if (!existsSync(file) && !existsSync(`${file}.gz`)) throw new DataError(file, 'file not found (nor a .gz of it)', hint);
}

function tryRead(file: string, shared: boolean): Uint8Array | null {
  try {
    return readFileBounded(file, { shared });
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    switch (error.reason) {
      case 'missing':
        return null;
      case 'directory':
        throw new DataError(file, 'is a directory, expected a file');
      case 'special':
        // A device or a pipe (/dev/zero, /dev/stdin) would be read without end or without a size: data lives in files.
        throw new DataError(file, 'is not a regular file (a device, pipe or socket); point the config at a data file');
      default:
        throw new DataError(file, error.problem);
    }
  }
}
