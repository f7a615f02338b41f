/**
 * Paths a user names for a command to write (`baseline --save`, `check --junit`, `merge --out`),
 * checked before anything runs: a path that can never be written then fails at once, with nothing
 * trained, instead of after the training whose results it was to hold. Missing parent folders are
 * created, as `mkdir -p` would (`--save baselines/x.json` in a fresh clone).
 *
 * A path that is wrong as an argument (a folder given for a file, a file below a file, a path that
 * is or lies inside something the command reads) is an OutputPathError (exit 2); a folder the disk
 * refuses (permissions, a read-only file system) is the OutputError that writing would raise.
 */
import { accessSync, constants, existsSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OutputPathError } from '../core/errors.js';
import { specialKind } from '../core/read-file.js';
import { outputError } from './atomic.js';
import { makeDirectories } from './directories.js';

export interface OutputPlace {
  /** What the command reads (its config, baseline, source folders): the output is none of them, nor inside one. */
  readonly inputs?: readonly string[];
}

/** A file written whole: not a folder nor a special file, its folder made and writable. */
export function prepareOutputFile(file: string, place: OutputPlace = {}): void {
  refuseInputs(file, place.inputs ?? []);
  const stats = statOrNull(file);
  if (stats?.isDirectory()) throw new OutputPathError(file, 'is a directory, not a file: name the file to write');
  if (stats !== null && !stats.isFile()) throw new OutputPathError(file, `is ${specialKind(stats)}: name a regular file to write`);
  prepareFolder(file, dirname(file));
}

/** A folder written into: not a file, made (with its parents) and writable. */
export function prepareOutputDirectory(dir: string, place: OutputPlace = {}): void {
  refuseInputs(dir, place.inputs ?? []);
  const stats = statOrNull(dir);
  if (stats !== null && !stats.isDirectory()) throw new OutputPathError(dir, 'is not a directory');
  prepareFolder(dir, dir);
}

function prepareFolder(output: string, folder: string): void {
  const blocking = existingAncestor(folder);
  if (!statSync(blocking).isDirectory()) throw new OutputPathError(output, `cannot be written: ${blocking} is a file, not a folder`);
  makeDirectories(folder);
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw outputError(output, error);
  }
}

/** Writing to an input, or inside one, would change what the command reads (merge into one of its shards). */
function refuseInputs(output: string, inputs: readonly string[]): void {
  const target = canonical(output);
  for (const input of inputs) {
    const source = canonical(input);
    if (target === source) throw new OutputPathError(output, 'is an input of this command: write the output elsewhere');
    if (isInside(target, source)) throw new OutputPathError(output, `is inside ${input}, an input of this command: write the output elsewhere`);
  }
}

/**
 * The path with symbolic links resolved as far as it exists, so that two spellings of one place
 * (`a/../b`, a link to b) compare equal; the part not yet created is kept as written.
 */
function canonical(path: string): string {
  const absolute = resolve(path);
  const existing = existingAncestor(absolute);
  return join(realpathSync(existing), relative(existing, absolute));
}

/** The path itself or its nearest ancestor that exists (the root, or `.`, at last), spelt as given. */
function existingAncestor(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

function isInside(path: string, folder: string): boolean {
  const rest = relative(folder, path);
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
}

/** What the path is, following links (a dangling one is replaced like a missing file). */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
