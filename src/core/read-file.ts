/**
 * Reading a file that a user or a run folder names, such that no read blocks forever or grows
 * without bound. Every such read goes through here: configs, baselines, data files, init weights,
 * sweep.json, tuned.json, manifests, claims and the CSV files of runs.
 *
 *   regular file                  read to its end, at most `maxBytes`
 *   pipe (a FIFO, bash's `<(...)`) read only where the policy allows it, without blocking: polled,
 *                                 and given up after PIPE_SILENCE_MS without a byte (a FIFO that no
 *                                 one writes to); at most `maxBytes` (`<(yes)` never ends)
 *   directory, device, socket     refused without reading (/dev/zero never ends, a tty waits for a
 *                                 person, a socket cannot be opened)
 *
 * The file is opened with O_NONBLOCK, since open(2) of a FIFO otherwise waits for a writer, which
 * may never come. It is stat'ed before it is opened (opening a device may act on it) and again once
 * open (the path may have been replaced in between).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { UnreadableFileError } from './errors.js';

export interface ReadPolicy {
  /** The longest file read; a longer one is refused. Counted while reading: a pipe has no size. */
  readonly maxBytes?: number;
  /** Whether a pipe is read (files a user may hand over as `<(...)`, such as a config), or refused. */
  readonly pipes?: boolean;
  /** Read into a SharedArrayBuffer, for data handed to worker threads as they are. */
  readonly shared?: boolean;
}

/** How long a pipe may stay silent before it is given up: long enough for `<(curl ...)` to begin. */
export const PIPE_SILENCE_MS = 5000;
const POLL_MS = 10;
const PIPE_CHUNK = 1 << 16;

/** The bytes of `file`, or an UnreadableFileError saying why not. */
export function readFileBounded(file: string, policy: ReadPolicy = {}): Uint8Array {
  refuseUnlessReadable(file, statOf(file, () => statSync(file)), policy);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw systemFailure(file, error);
  }
  try {
    const stats = statOf(file, () => fstatSync(fd));
    refuseUnlessReadable(file, stats, policy);
    return readOpen(fd, file, stats, policy);
  } finally {
    closeSync(fd);
  }
}

/** readFileBounded, decoded as UTF-8. */
export function readTextBounded(file: string, policy: ReadPolicy = {}): string {
  const bytes = readFileBounded(file, { ...policy, shared: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function statOf(file: string, stat: () => Stats): Stats {
  try {
    return stat();
  } catch (error) {
    throw systemFailure(file, error);
  }
}

function refuseUnlessReadable(file: string, stats: Stats, policy: ReadPolicy): void {
  if (stats.isDirectory()) throw new UnreadableFileError(file, 'directory', 'is a directory, expected a file');
  if (stats.isFile() || (stats.isFIFO() && policy.pipes === true)) {
    if (stats.isFile() && stats.size > (policy.maxBytes ?? Infinity)) throw tooLarge(file, policy);
    return;
  }
  throw new UnreadableFileError(file, 'special', `is ${specialKind(stats)}, not a regular file`);
}

/** What a path that is neither a file nor a folder is, in words ("a pipe", "a socket", ...). */
export function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

/**
 * Reads to the end, one byte past the limit at most. A regular file's buffer is its size plus the
 * byte that finds its end, so it is read without a copy unless it grew meanwhile; a pipe's grows.
 */
function readOpen(fd: number, file: string, stats: Stats, policy: ReadPolicy): Uint8Array {
  const limit = policy.maxBytes ?? Infinity;
  const pipe = stats.isFIFO();
  let buffer = allocate(Math.min(limit + 1, pipe ? PIPE_CHUNK : stats.size + 1), policy.shared === true);
  let length = 0;
  let heardAt = performance.now();
  for (;;) {
    if (length === buffer.length) {
      if (length > limit) break;
      buffer = grown(buffer, length, Math.min(limit + 1, Math.max(2 * length, PIPE_CHUNK)), policy.shared === true);
    }
    const read = readSome(fd, file, buffer, length);
    // Nothing yet (EAGAIN), or a FIFO that reads as empty because no writer has opened it so far.
    if (read === null || (pipe && read === 0 && length === 0)) {
      if (performance.now() - heardAt > PIPE_SILENCE_MS) {
        throw new UnreadableFileError(file, 'silent-pipe', `is a pipe and nothing was written to it for ${PIPE_SILENCE_MS / 1000} s (a FIFO without a writer?)`);
      }
      sleep(POLL_MS);
      continue;
    }
    if (read === 0) break;
    length += read;
    heardAt = performance.now();
  }
  if (length > limit) throw tooLarge(file, policy);
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/** Bytes read into buffer[at...], or null when a pipe has none to give yet. */
function readSome(fd: number, file: string, buffer: Uint8Array, at: number): number | null {
  try {
    return readSync(fd, buffer, at, buffer.length - at, null);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return null;
    throw systemFailure(file, error);
  }
}

function allocate(length: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

function grown(buffer: Uint8Array, length: number, capacity: number, shared: boolean): Uint8Array {
  const next = allocate(capacity, shared);
  next.set(buffer.subarray(0, length));
  return next;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Waits without spinning; readers are synchronous, so no event loop turn is given up. */
function sleep(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

function tooLarge(file: string, policy: ReadPolicy): UnreadableFileError {
  return new UnreadableFileError(file, 'too-large', `is larger than ${policy.maxBytes} bytes`);
}

function systemFailure(file: string, error: unknown): UnreadableFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UnreadableFileError(file, 'missing', 'file not found', code);
  if (code === 'EISDIR') return new UnreadableFileError(file, 'directory', 'is a directory, expected a file', code);
  // open(2) of a socket fails with ENXIO; a path stat'ed as a regular file may have been swapped for one.
  if (code === 'ENXIO') return new UnreadableFileError(file, 'special', 'is a socket or a device without a driver, not a regular file', code);
  return new UnreadableFileError(file, 'unreadable', `cannot be read (${code ?? (error as Error).message})`, code);
}
