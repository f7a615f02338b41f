/** `adam-lab sweep <config>`: every trial of the config's sweep: block, in parallel, resumably. */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { expandSweep, parseGridOption } from '../../config/trials.js';
import { parseFlags } from '../flags.js';
import { labFlags, runLab, withLabOptions } from '../lab.js';
import { collect } from '../options.js';
import type { Terminal } from '../progress.js';

const sweepFlags = labFlags.extend({ grid: z.array(z.string()) });

export function registerSweep(program: Command, terminal: Terminal, done: (code: number) => void): void {
  withLabOptions(
    program
      .command('sweep')
      .description("run every trial of the config's sweep: block (grid and/or random) × seeds, in parallel, resumably")
      .argument('[config]', 'experiment file (YAML) with a sweep: block'),
  )
    .option('-g, --grid <path=v1,v2,...>', 'add or replace a grid axis (repeatable)', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  $ adam-lab sweep configs/sweep-adam-beta-eta.yaml
  $ adam-lab sweep exp.yaml --grid optimizer.lr=1e-4,1e-3,1e-2 --grid optimizer.betas.0=0.8,0.9 --dry-run
  $ adam-lab sweep exp.yaml --shard 2/4          # the second of four slices (e.g. one machine of four)
  $ adam-lab sweep --resume runs/exp/sweep-1a2b3c4d`,
    )
    .action(async (file: string | undefined, raw: unknown) => {
      const flags = parseFlags(sweepFlags, raw);
      await loadOptimizerPlugins(flags.optimizerPlugin);
      const grid = flags.grid.map(parseGridOption);
      done(await runLab(file, flags, (source, sets) => expandSweep(source, sets, grid), terminal));
    });
}
