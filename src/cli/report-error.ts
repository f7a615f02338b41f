/** The one place where a failure becomes words on stderr and an exit code. */
import { CommanderError } from 'commander';
import { AdamLabError, ConfigError, DataError, OutputError, OutputPathError, UsageError, type ConfigIssue } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { formatPath } from '../config/overrides.js';
import { EXIT } from './exit-codes.js';

export function reportError(error: unknown, debug: boolean, write: (text: string) => void): number {
  // Each line escaped whole: its words may come from a file (printable.ts), even a line break.
  const say = (line: string): void => write(`${printable(line)}\n`);
  const code = describe(error, say);
  if (debug && error instanceof Error && error.stack) error.stack.split('\n').forEach(say);
  return code;
}

function describe(error: unknown, say: (line: string) => void): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) say(formatIssue(error.file, issue));
    if (error.issues.length > 1) say(`${error.issues.length} problems in ${error.file}`);
    return EXIT.badInput;
  }
  if (error instanceof DataError || error instanceof OutputPathError) {
    say(`${error.file}: ${error.problem}`);
    if (error.hint !== undefined) say(`  hint: ${error.hint}`);
    return EXIT.badInput;
  }
  if (error instanceof UsageError) {
    say(`error: ${error.problem}`);
    return EXIT.badInput;
  }
  if (error instanceof OutputError) {
    say(`${error.file}: ${error.problem}`);
    return EXIT.failed;
  }
  if (error instanceof CommanderError) {
    // commander has already printed its message
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (error instanceof AdamLabError) {
    say(`error: ${error.message}`);
    return EXIT.failed;
  }
  say(`internal error: ${error instanceof Error ? error.message : String(error)} (run with --debug for the stack trace)`);
  return EXIT.failed;
}

/**
 * A hint after commander's "too many arguments" when an extra argument looks like an override:
 * Hydra users write `key=value` bare; here it is `--set key=value`.
 */
export function strayOverrideHint(error: unknown, argv: readonly string[]): string | null {
  if (!(error instanceof CommanderError) || error.code !== 'commander.excessArguments') return null;
  const stray = argv.filter((arg, i) => /^[A-Za-z_][\w.-]*=/.test(arg) && argv[i - 1] !== '--set' && argv[i - 1] !== '-s');
  return stray.length === 0 ? null : `hint: a config value is overridden with --set: ${stray.map((arg) => `--set ${arg}`).join(' ')}\n`;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const positioned = issue.line !== undefined;
  const where = positioned ? `${file}:${issue.line}:${issue.column}` : (issue.origin ?? file);
  const text = issue.path.length === 0 ? `${where}: ${issue.problem}` : `${where} ${formatPath(issue.path)}: ${issue.problem}`;
  return positioned && issue.origin !== undefined ? `${text} (${issue.origin})` : text;
}
