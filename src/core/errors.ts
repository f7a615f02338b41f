/**
 * Typed failures. Code below src/cli/ throws these and never prints; src/cli/ turns them into
 * one message and an exit code. Each class carries structured fields rather than finished text,
 * so a caller (a test, another program) can inspect what went wrong.
 */

/** Where in a config a problem sits: a YAML position, a --set override, or a sweep value. */
export interface ConfigIssue {
  /** Key path into the config, e.g. ["optimizer", "betas", 0]. */
  readonly path: readonly (string | number)[];
  /** What is wrong, in words ("must be > 0, got -0.01"). */
  readonly problem: string;
  /** 1-based line and column in `file`, when the problem has a place in the file. */
  readonly line?: number;
  readonly column?: number;
  /** The override the value came from (`--set optimizer.lr=-1`), when it did not come from the file. */
  readonly origin?: string;
}

export class AdamLabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The config file cannot be read, parsed or validated. All issues are reported at once. */
export class ConfigError extends AdamLabError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`${file}: ${issues.map((i) => (i.path.length === 0 ? i.problem : `${i.path.join('.')}: ${i.problem}`)).join('; ')}`);
  }
}

/** A dataset (or weights file) is missing, truncated or malformed. */
export class DataError extends AdamLabError {
  constructor(
    readonly file: string,
    readonly problem: string,
    /** How to fix it, when there is something to say. */
    readonly hint?: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/**
 * A run's checkpoint that cannot be resumed from: missing, damaged, another run's, or taken with
 * another config or engine build. A DataError to the CLI (exit 2 naming the file); a sweep starts
 * the trial over instead.
 */
export class CheckpointError extends DataError {}

/**
 * An optimizer plugin (--optimizer-plugin) that cannot be used: the file cannot be loaded, its
 * exports are not a plugin's, its name clashes, or it changed since a run or sweep recorded it.
 * A DataError to the CLI: exit 2, naming the file and what is wrong.
 */
export class PluginError extends DataError {}

/** Why a file could not be read (core/read-file.ts): each reader words it for what it reads. */
export type ReadFailure = 'missing' | 'directory' | 'special' | 'too-large' | 'silent-pipe' | 'unreadable';

/**
 * A file that cannot be read: missing, a directory, a device or socket, longer than its limit, a
 * pipe with nothing written to it, or an I/O error. A DataError (exit 2 naming the file) where no
 * reader words it otherwise; `reason` lets a reader say it in its own terms (a config, a baseline).
 */
export class UnreadableFileError extends DataError {
  constructor(
    file: string,
    readonly reason: ReadFailure,
    problem: string,
    /** The system's error code (ENOENT, EACCES, ...), when one was raised. */
    readonly code?: string,
  ) {
    super(file, problem);
  }
}

/** Bad command-line arguments that commander itself cannot catch (a malformed --set, ...). */
export class UsageError extends AdamLabError {
  constructor(readonly problem: string) {
    super(problem);
  }
}

/** The run directory could not be written (permissions, disk full, ...). */
export class OutputError extends AdamLabError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/**
 * An output path a user named that can never be written as asked: a folder where a file is to be
 * written, a file where a folder is, a path inside what the command reads. Refused before anything
 * runs (exit 2, a wrong argument), unlike an OutputError, which the disk raises while writing.
 */
export class OutputPathError extends AdamLabError {
  constructor(
    readonly file: string,
    readonly problem: string,
    /** How to fix it, when there is something to say. */
    readonly hint?: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/**
 * An array that cannot be allocated: longer than a typed array may be, or more than the memory
 * (the engine's, or the process's) can hold. Thrown where sizes a config chose become arrays;
 * runExperiment turns it into a ConfigError at the config path that asked for them. Not an
 * AdamLabError, since it never reaches src/cli/ as it is; a RangeError, as the failure it
 * stands for is.
 */
export class AllocationError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
