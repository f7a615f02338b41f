/** `adam-lab schema`: the config's JSON Schema, derived from the zod schema, for editor completion. */
import type { Command } from 'commander';
import { z } from 'zod';
import { configSchema } from '../../config/schema.js';
import { EXIT } from '../exit-codes.js';
import type { Terminal } from '../progress.js';

export function configJsonSchema(): object {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    // The schema's refinement (a config trains on data or on an objective) does not export itself.
    anyOf: [{ required: ['data', 'model'] }, { required: ['objective'] }],
    title: 'adam-lab experiment config',
  };
}

export function registerSchema(program: Command, terminal: Terminal, done: (code: number) => void): void {
  program
    .command('schema')
    .description('print the JSON Schema of experiment configs (for editor completion and validation)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ adam-lab schema > adam-lab.schema.json\n  then start a YAML file with: # yaml-language-server: $schema=./adam-lab.schema.json',
    )
    .action(() => {
      terminal.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      done(EXIT.ok);
    });
}
