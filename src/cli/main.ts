/**
 * The adam-lab program: one commander command per file (commands/), each parsing its flags with
 * a zod schema (flags.ts) and then calling the library.
 * main() returns the exit code instead of exiting, so tests can run the CLI in-process.
 */
import { Command } from 'commander';
import { adamLabVersion } from '../runs/provenance.js';
import { EXIT } from './exit-codes.js';
import type { Terminal } from './progress.js';
import { reportError, strayOverrideHint } from './report-error.js';
import { registerBaseline } from './commands/baseline.js';
import { registerCheck } from './commands/check.js';
import { registerCompare } from './commands/compare.js';
import { registerLrFind } from './commands/lr-find.js';
import { registerMerge } from './commands/merge.js';
import { registerOptimizers } from './commands/optimizers.js';
import { registerReport } from './commands/report.js';
import { registerSample } from './commands/sample.js';
import { registerSchema } from './commands/schema.js';
import { registerSweep } from './commands/sweep.js';
import { registerTrain } from './commands/train.js';
import { registerValidate } from './commands/validate.js';

export async function main(argv: readonly string[], terminal: Terminal = process): Promise<number> {
  let code: number = EXIT.ok;
  const done = (c: number): void => {
    code = c;
  };
  const program = new Command('adam-lab')
    .description('A laboratory for optimizer experiments on neural networks.')
    .version(adamLabVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => terminal.stdout.write(s),
      writeErr: (s) => terminal.stderr.write(s),
    })
    .showSuggestionAfterError()
    .addHelpText('after', '\nExamples:\n  $ adam-lab train configs/mnist-mlp-adam.yaml\n  $ adam-lab validate configs/mnist-mlp-adam.yaml\n  $ adam-lab schema > adam-lab.schema.json\n  $ adam-lab optimizers adam');
  for (const register of [
    registerTrain,
    registerSweep,
    registerCompare,
    registerCheck,
    registerBaseline,
    registerLrFind,
    registerReport,
    registerMerge,
    registerValidate,
    registerSample,
    registerSchema,
    registerOptimizers,
  ])
    register(program, terminal, done);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => terminal.stdout.write(s), writeErr: (s) => terminal.stderr.write(s) });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (error) {
    const code = reportError(error, argv.includes('--debug'), (text) => terminal.stderr.write(text));
    const hint = strayOverrideHint(error, argv);
    if (hint !== null) terminal.stderr.write(hint);
    return code;
  }
}
