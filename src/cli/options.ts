/** Options several commands share, worded once. */
import type { Command } from 'commander';

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--set path=value`, repeatable. */
export function setOption(command: Command, help = 'override a config value (repeatable), e.g. optimizer.lr=3e-4'): Command {
  return command.option('-s, --set <path=value>', help, collect, []);
}

/** `--debug`: main() reads it from argv to show stack traces; declared so every command accepts it. */
export function debugOption(command: Command): Command {
  return command.option('--debug', 'print stack traces of errors', false);
}
