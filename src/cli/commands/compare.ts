/**
 * `adam-lab compare <configs...>`: the config's compare: variants (or --optimizers) × seeds,
 * ranked; with --protocol tuned (or a protocol: block) the tuned comparison of cli/protocol.ts.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { readConfigSource } from '../../config/load.js';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { expandCompare, optimizerVariants } from '../../config/trials.js';
import { UsageError } from '../../core/errors.js';
import { isTunedDirectory } from '../../runs/sweep-dir.js';
import { parseFlags } from '../flags.js';
import { labFlags, runLab, withLabOptions } from '../lab.js';
import type { Terminal } from '../progress.js';
import { resumeTuned, runTunedWorkloads } from '../protocol.js';

const compareFlags = labFlags.extend({
  optimizers: z.string().optional(),
  protocol: z
    .string()
    .refine((name) => name === 'tuned', { error: (issue) => `--protocol ${String(issue.input)}: the protocol is 'tuned'` })
    .optional(),
});

export function registerCompare(program: Command, terminal: Terminal, done: (code: number) => void): void {
  withLabOptions(
    program
      .command('compare')
      .description("run the config's compare: variants (named patches of the base config) × seeds, and rank them")
      .argument('[configs...]', 'experiment file (YAML); several workloads with --protocol tuned give a performance profile'),
  )
    .option('--optimizers <list>', "compare these optimizers at their defaults instead, e.g. adam,sgd:0.1,rmsprop (name:lr sets the lr)")
    .option('--protocol <name>', 'tuned: tune every variant on validation data, rerun its best setting over seeds, test significance')
    .addHelpText(
      'after',
      `
Examples:
  $ adam-lab compare configs/compare-optimizers-mnist.yaml
  $ adam-lab compare configs/mnist-mlp-adam.yaml --optimizers sgd:0.1,adam,adamw,rmsprop:0.001 --set seeds=[0,1,2]
  $ adam-lab compare configs/fair-compare-mnist.yaml --protocol tuned`,
    )
    .action(async (files: string[], raw: unknown) => done(await compare(files, parseFlags(compareFlags, raw), terminal)));
}

async function compare(files: string[], flags: z.output<typeof compareFlags>, terminal: Terminal): Promise<number> {
  const file: string | undefined = files[0];
  await loadOptimizerPlugins(flags.optimizerPlugin);
  const variants = flags.optimizers === undefined ? null : optimizerVariants(flags.optimizers);
  const tuned = flags.protocol === 'tuned' || (flags.protocol === undefined && file !== undefined && readConfigSource(file).value.protocol !== undefined);
  if (flags.resume !== undefined && (tuned || isTunedDirectory(flags.resume))) return resumeTuned(flags.resume, file, flags, terminal);
  if (tuned) {
    if (file === undefined) throw new UsageError('--protocol tuned needs a config file');
    return runTunedWorkloads(files, flags, variants, terminal);
  }
  if (files.length > 1) throw new UsageError('several configs (workloads) go with --protocol tuned; compare one config at a time otherwise');
  return runLab(file, flags, (source, sets) => expandCompare(source, sets, variants), terminal);
}
