/**
 * `adam-lab train <config>`: one run from a YAML experiment file; `adam-lab train --resume <run>`
 * continues a run from its checkpoint, in its folder, with its config.yaml (`--restart`: from step 1).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { checkRecordedPlugins, loadOptimizerPlugins, pluginRecordSchema } from '../../config/optimizer-plugins.js';
import { placedError, readConfigSource, resolveConfig, type DroppedOptions } from '../../config/load.js';
import { droppedNotes } from '../notes.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import { removeCheckpoints } from '../../runs/checkpoint-dir.js';
import { removeRunFiles, RUN_FILES } from '../../runs/layout.js';
import { parseOverride } from '../../config/overrides.js';
import { runExperiment } from '../../train/experiment.js';
import { earlierManifest } from '../../train/open-run.js';
import type { RunResult } from '../../train/events.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, pluginFlag, quietFlag, setFlag } from '../flags.js';
import { createProgress, percent, progressMode, type Terminal } from '../progress.js';
import { debugOption, outOption, pluginOption, setOption } from '../options.js';
import { fitLine, screenOf } from '../screen.js';
import { abortOnSignals, announceStop } from '../signals.js';

const trainFlags = z.object({ set: setFlag, out: z.string(), quiet: quietFlag, resume: z.string().optional(), restart: z.boolean(), optimizerPlugin: pluginFlag });
export type TrainFlags = z.output<typeof trainFlags>;

export function registerTrain(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('train');
  outOption(debugOption(pluginOption(setOption(command))), 'runs root', 'runs')
    .description('train a model from a YAML experiment file; results go to <out>/<name>/<run-id>/')
    .argument('[config]', 'experiment file (YAML)')
    .option('--resume <run>', 'continue this run folder from its checkpoint (train.checkpoint_every), with its config.yaml')
    .option('--restart', 'with --resume: start that run over from step 1 in its folder (its checkpoint is damaged or unwanted)', false)
    .option('-q, --quiet', 'print only the result', false)
    .addHelpText(
      'after',
      `
Examples:
  $ adam-lab train configs/mnist-mlp-adam.yaml
  $ adam-lab train configs/mnist-mlp-adam.yaml --set optimizer.lr=3e-4 --set optimizer.betas.0=0.95
  $ adam-lab train configs/seed-simple-nn.yaml --out /tmp/runs --quiet
  $ adam-lab train --resume runs/mnist-mlp-adam/20260101-120000
  $ adam-lab train exp.yaml --optimizer-plugin examples/plugins/sign-momentum.mjs --set optimizer.name=sign_momentum`,
    )
    .action(async (file: string | undefined, flags: unknown) => done(await train(file, parseFlags(trainFlags, flags), terminal)));
}

export async function train(given: string | undefined, flags: TrainFlags, terminal: Terminal): Promise<number> {
  const file = configOf(given, flags);
  const runDir = flags.resume === undefined ? undefined : resolve(flags.resume);
  await loadOptimizerPlugins(flags.optimizerPlugin);
  if (runDir !== undefined) checkRunPlugin(runDir);
  const overrides = flags.set.map((s) => parseOverride(s));
  // The source is kept to place the problems found only once the data are loaded (a model's
  // output against the dataset's classes), which come with a key path alone.
  const source = readConfigSource(file);
  const dropped: DroppedOptions[] = [];
  const config = resolveConfig(source, overrides, dropped);
  for (const line of droppedNotes(dropped)) terminal.stderr.write(`${line}\n`);
  const progress = createProgress(progressMode(flags.quiet, terminal, process.env), terminal);
  const announce = announceStop(terminal.stderr, 'the current step');
  const signals = abortOnSignals((signal) => {
    progress.stop();
    announce(signal);
  });
  try {
    // Started over: the run's own files go, its config.yaml (read above) is written again.
    if (runDir !== undefined && flags.restart) {
      removeRunFiles(runDir);
      removeCheckpoints(runDir);
    }
    const placement = runDir === undefined ? { outRoot: flags.out } : { runDir, resume: !flags.restart };
    const result = await runExperiment(config, { configFile: file, ...placement, signal: signals.signal, onEvent: progress.onEvent });
    return summarize(result, terminal);
  } catch (error) {
    throw error instanceof ConfigError ? placedError(source, error.issues, overrides) : error;
  } finally {
    progress.stop();
    signals.dispose();
  }
}

/** A run continued with its plugin's optimizer needs that plugin file again, with the same bytes. */
function checkRunPlugin(runDir: string): void {
  // A run without a manifest that reads is refused by its checkpoint, in the checkpoint's words.
  const record = pluginRecordSchema.safeParse(earlierManifest(runDir)?.optimizer_plugin);
  if (record.success) checkRecordedPlugins(join(runDir, RUN_FILES.manifest), [record.data], 'resume with the plugin file the run started with, or --restart');
}

/** The config a run trains with: the file given, or the config.yaml of the run folder --resume names. */
function configOf(given: string | undefined, flags: TrainFlags): string {
  if (flags.resume === undefined) {
    if (flags.restart) throw new UsageError('--restart goes with --resume <run folder>: it starts that run over');
    if (given === undefined) throw new UsageError("missing required argument 'config' (or --resume <run folder>)");
    return given;
  }
  if (given !== undefined) throw new UsageError(`--resume continues ${flags.resume} with its own config.yaml: give no config file (use --set to change nothing but train.checkpoint_every)`);
  const config = join(flags.resume, 'config.yaml');
  if (!existsSync(flags.resume) || !statSync(flags.resume).isDirectory() || !existsSync(config)) {
    throw new UsageError(`--resume ${flags.resume}: not a run folder (it has no config.yaml); give the folder adam-lab train printed ("results in ...")`);
  }
  return config;
}

function summarize(result: RunResult, terminal: Terminal): number {
  const width = screenOf(terminal.stdout, process.env).width;
  const out = (line: string): void => {
    for (const row of fitLine(line, width)) terminal.stdout.write(`${row}\n`);
  };
  const last = result.last;
  const metrics: string[] = [];
  if (last !== null) {
    metrics.push(`train_loss ${last.trainLoss.toFixed(4)}`);
    if (last.testLoss !== null) metrics.push(`test_loss ${last.testLoss.toFixed(4)}`);
    if (last.testAccuracy !== null) metrics.push(`test_accuracy ${percent(last.testAccuracy)}`);
  }
  if (result.resumedFrom !== null) out(`resumed from the checkpoint at step ${result.resumedFrom}`);
  switch (result.status) {
    case 'completed':
      out(`completed ${result.steps} steps in ${result.seconds.toFixed(1)}s${metrics.length > 0 ? `: ${metrics.join(', ')}` : ''}`);
      out(`results in ${result.runDir}`);
      return EXIT.ok;
    case 'diverged':
      terminal.stderr.write(`diverged: the loss at step ${result.divergedAtStep} is not finite (NaN or Inf); try a smaller learning rate\n`);
      out(`results in ${result.runDir}`);
      return EXIT.failed;
    default:
      terminal.stderr.write(`interrupted after step ${result.steps}\n`);
      out(`results so far in ${result.runDir}`);
      return EXIT.interrupted;
  }
}
