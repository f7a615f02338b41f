/** Options several commands share, worded once. */
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--set path=value`, repeatable. */
export function setOption(command: Command, help = 'override a config value (repeatable), e.g. optimizer.lr=3e-4'): Command {
  return command.option('-s, --set <path=value>', help, collect, []);
}

/**
 * `--optimizer-plugin <file>`, repeatable: an ES module with an optimizer of one's own (optim/plugins.ts).
 * A flag only, never a config key, so that a YAML file can never run code.
 */
export function pluginOption(command: Command): Command {
  return command.option('--optimizer-plugin <file>', 'load an optimizer of your own from this ES module (repeatable); see examples/plugins/', collect, []);
}

/** `--debug`: main() reads it from argv to show stack traces; declared so every command accepts it. */
export function debugOption(command: Command): Command {
  return command.option('--debug', 'print stack traces of errors', false);
}

/**
 * `-o, --out <dir>`: the runs root (or, for merge, the merged folder). A path that exists but
 * is not a folder is a wrong argument (exit 2), said before anything runs.
 */
export function outOption(command: Command, help: string, defaultValue?: string): Command {
  const folder = (value: string): string => {
    if (existsSync(value) && !statSync(value).isDirectory()) throw new InvalidArgumentError(`${value} is not a directory`);
    return value;
  };
  return defaultValue === undefined ? command.requiredOption('-o, --out <dir>', help, folder) : command.option('-o, --out <dir>', help, folder, defaultValue);
}
