/** The one place where a failure becomes words on stderr and an exit code. */
import { CommanderError } from 'commander';
import { AdamLabError, ConfigError, DataError, OutputError, OutputPathError, UsageError, type ConfigIssue } from '../core/errors.js';
import { formatPath } from '../config/overrides.js';
import { EXIT } from './exit-codes.js';

export function reportError(error: unknown, debug: boolean, write: (text: string) => void): number {
  const code = describe(error, write);
  if (debug && error instanceof Error && error.stack) write(`${error.stack}\n`);
  return code;
}

function describe(error: unknown, write: (text: string) => void): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) write(`${formatIssue(error.file, issue)}\n`);
    if (error.issues.length > 1) write(`${error.issues.length} problems in ${error.file}\n`);
    return EXIT.badInput;
  }
  if (error instanceof DataError || error instanceof OutputPathError) {
    write(`${error.file}: ${error.problem}\n`);
    if (error.hint !== undefined) write(`  hint: ${error.hint}\n`);
    return EXIT.badInput;
  }
  if (error instanceof UsageError) {
    write(`error: ${error.problem}\n`);
    return EXIT.badInput;
  }
  if (error instanceof OutputError) {
    write(`${error.file}: ${error.problem}\n`);
    return EXIT.failed;
  }
  if (error instanceof CommanderError) {
    // commander has already printed its message
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (error instanceof AdamLabError) {
    write(`error: ${error.message}\n`);
    return EXIT.failed;
  }
  write(`internal error: ${error instanceof Error ? error.message : String(error)} (run with --debug for the stack trace)\n`);
  return EXIT.failed;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const positioned = issue.line !== undefined;
  const where = positioned ? `${file}:${issue.line}:${issue.column}` : (issue.origin ?? file);
  const text = issue.path.length === 0 ? `${where}: ${issue.problem}` : `${where} ${formatPath(issue.path)}: ${issue.problem}`;
  return positioned && issue.origin !== undefined ? `${text} (${issue.origin})` : text;
}
