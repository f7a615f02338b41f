/** `adam-lab validate <config>`: check a config and print it resolved, every default filled in. */
import type { Command } from 'commander';
import { formatConfig } from '../config/format.js';
import { loadConfig } from '../config/load.js';
import { parseOverride } from '../config/overrides.js';
import { EXIT } from './exit-codes.js';
import { debugOption, setOption } from './options.js';
import type { Terminal } from './progress.js';

export function registerValidate(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('validate');
  debugOption(setOption(command))
    .description("check a config (keys, values, model shapes against the dataset's input shape and classes) and print it resolved; the data files themselves are read by train")
    .argument('<config>', 'experiment file (YAML)')
    .addHelpText('after', '\nExamples:\n  $ adam-lab validate configs/mnist-mlp-adam.yaml\n  $ adam-lab validate exp.yaml --set optimizer.name=sgd')
    .action((file: string, flags: { set: string[] }) => {
      const config = loadConfig(file, flags.set.map((s) => parseOverride(s)));
      terminal.stdout.write(formatConfig(config, ` ${file}: valid; resolved with every default filled in`));
      done(EXIT.ok);
    });
}
