/**
 * A run's checkpoint/ folder, replaced as a whole: the new files are written (and flushed) into
 * checkpoint.next/, the old folder steps aside as checkpoint.previous/, the new one takes the
 * name, and the old one is removed. A process killed at any point leaves one whole checkpoint:
 * checkpoint/, or — killed between the two renames — checkpoint.previous/, which reading falls
 * back to. What the files hold is train/checkpoint.ts's business; this module moves bytes.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, UnreadableFileError } from '../core/errors.js';
import { readFileBounded } from '../core/read-file.js';
import { outputError, writeAll } from './atomic.js';

export const CHECKPOINT_DIR = 'checkpoint';
const NEXT = `${CHECKPOINT_DIR}.next`;
const PREVIOUS = `${CHECKPOINT_DIR}.previous`;

/** The files of a checkpoint, by name. */
export type CheckpointFiles = ReadonlyMap<string, string | Uint8Array>;

export function writeCheckpoint(runDir: string, files: CheckpointFiles): void {
  const next = join(runDir, NEXT);
  const current = join(runDir, CHECKPOINT_DIR);
  const previous = join(runDir, PREVIOUS);
  try {
    rmSync(next, { recursive: true, force: true });
    mkdirSync(next);
    for (const [name, data] of files) writeFlushed(join(next, name), data);
    if (existsSync(current)) {
      rmSync(previous, { recursive: true, force: true });
      renameSync(current, previous);
    }
    renameSync(next, current);
    rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    throw outputError(current, error);
  }
}

function writeFlushed(file: string, data: string | Uint8Array): void {
  const fd = openSync(file, 'wx');
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The folder holding the run's last whole checkpoint, or null when it has none. */
export function checkpointFolder(runDir: string): string | null {
  for (const name of [CHECKPOINT_DIR, PREVIOUS]) if (existsSync(join(runDir, name, 'state.json'))) return join(runDir, name);
  return existsSync(join(runDir, CHECKPOINT_DIR)) ? join(runDir, CHECKPOINT_DIR) : null;
}

/** One file of a checkpoint; a missing or unreadable one is a DataError naming it. */
export function readCheckpointFile(folder: string, name: string): Uint8Array {
  const file = join(folder, name);
  try {
    return readFileBounded(file);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw new CheckpointError(file, error.reason === 'missing' ? 'is missing from the checkpoint' : error.problem, RESTART_HINT);
  }
}

export const RESTART_HINT = 'start the run over with adam-lab train --resume <run folder> --restart';

/** Removes every checkpoint folder of a run (a run started over). */
export function removeCheckpoints(runDir: string): void {
  for (const name of [CHECKPOINT_DIR, NEXT, PREVIOUS]) rmSync(join(runDir, name), { recursive: true, force: true });
}
