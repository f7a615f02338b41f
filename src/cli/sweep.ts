/** `adam-lab sweep <config>` and `adam-lab compare <config>`: many trials of one experiment. */
import type { Command } from 'commander';
import { expandCompare, expandSweep, optimizerVariants, parseGridOption } from '../config/trials.js';
import { readConfigSource } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { isTunedDirectory } from '../runs/sweep-dir.js';
import { runLab, type LabFlags } from './lab.js';
import { collect, debugOption, outOption, setOption } from './options.js';
import { resumeTuned, runTunedWorkloads } from './protocol.js';
import type { Terminal } from './progress.js';

function withLabOptions(command: Command): Command {
  return outOption(debugOption(setOption(command, 'override a config value for every trial (repeatable)')), 'runs root; the folder is <out>/<name>/<kind>-<id>', 'runs')
    .option('-j, --jobs <n>', 'trials at once, one per worker thread (default: the number of cores)')
    .option('--shard <K/N>', 'run only the K-th of N slices of the trials (Slurm array variables are read too)')
    .option('--shards <N>', 'the number of slices, with JOB_COMPLETION_INDEX (Kubernetes Indexed Job)')
    .option('--resume <dir>', 'continue the sweep in this folder (its sweep.json holds the trials; a tuned comparison reruns its recorded config)')
    .option('-n, --dry-run', 'list the trials and their count; run nothing', false)
    .option('-q, --quiet', 'print only the final table', false);
}

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
    .action(async (file: string | undefined, flags: LabFlags & { grid: string[] }) => {
      const grid = flags.grid.map(parseGridOption);
      done(await runLab(file, flags, (source, sets) => expandSweep(source, sets, grid), terminal));
    });
}

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
    .action(async (files: string[], flags: LabFlags & { optimizers?: string; protocol?: string }) => {
      const file: string | undefined = files[0];
      const variants = flags.optimizers === undefined ? null : optimizerVariants(flags.optimizers);
      if (flags.protocol !== undefined && flags.protocol !== 'tuned') throw new UsageError(`--protocol ${flags.protocol}: the protocol is 'tuned'`);
      const tuned = flags.protocol === 'tuned' || (flags.protocol === undefined && file !== undefined && readConfigSource(file).value.protocol !== undefined);
      if (flags.resume !== undefined && (tuned || isTunedDirectory(flags.resume))) {
        done(await resumeTuned(flags.resume, file, flags, terminal));
        return;
      }
      if (tuned) {
        if (file === undefined) throw new UsageError('--protocol tuned needs a config file');
        done(await runTunedWorkloads(files, flags, variants, terminal));
        return;
      }
      if (files.length > 1) throw new UsageError('several configs (workloads) go with --protocol tuned; compare one config at a time otherwise');
      done(await runLab(file, flags, (source, sets) => expandCompare(source, sets, variants), terminal));
    });
}
