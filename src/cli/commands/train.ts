/** `adam-lab train <config>`: one run from a YAML experiment file. */
import type { Command } from 'commander';
import { z } from 'zod';
import { placedError, readConfigSource, resolveConfig, type DroppedOptions } from '../../config/load.js';
import { droppedNotes } from '../notes.js';
import { ConfigError } from '../../core/errors.js';
import { parseOverride } from '../../config/overrides.js';
import { runExperiment } from '../../train/experiment.js';
import type { RunResult } from '../../train/events.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, quietFlag, setFlag } from '../flags.js';
import { createProgress, percent, progressMode, type Terminal } from '../progress.js';
import { debugOption, outOption, setOption } from '../options.js';
import { abortOnSignals, announceStop } from '../signals.js';

const trainFlags = z.object({ set: setFlag, out: z.string(), quiet: quietFlag });
export type TrainFlags = z.output<typeof trainFlags>;

export function registerTrain(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('train');
  outOption(debugOption(setOption(command)), 'runs root', 'runs')
    .description('train a model from a YAML experiment file; results go to <out>/<name>/<run-id>/')
    .argument('<config>', 'experiment file (YAML)')
    .option('-q, --quiet', 'print only the result', false)
    .addHelpText(
      'after',
      `
Examples:
  $ adam-lab train configs/mnist-mlp-adam.yaml
  $ adam-lab train configs/mnist-mlp-adam.yaml --set optimizer.lr=3e-4 --set optimizer.betas.0=0.95
  $ adam-lab train configs/seed-simple-nn.yaml --out /tmp/runs --quiet`,
    )
    .action(async (file: string, flags: unknown) => done(await train(file, parseFlags(trainFlags, flags), terminal)));
}

export async function train(file: string, flags: TrainFlags, terminal: Terminal): Promise<number> {
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
    const result = await runExperiment(config, { configFile: file, outRoot: flags.out, signal: signals.signal, onEvent: progress.onEvent });
    return summarize(result, terminal);
  } catch (error) {
    throw error instanceof ConfigError ? placedError(source, error.issues, overrides) : error;
  } finally {
    progress.stop();
    signals.dispose();
  }
}

function summarize(result: RunResult, terminal: Terminal): number {
  const out = (line: string): void => {
    terminal.stdout.write(`${line}\n`);
  };
  const last = result.last;
  const metrics: string[] = [];
  if (last !== null) {
    metrics.push(`train_loss ${last.trainLoss.toFixed(4)}`);
    if (last.testLoss !== null) metrics.push(`test_loss ${last.testLoss.toFixed(4)}`);
    if (last.testAccuracy !== null) metrics.push(`test_accuracy ${percent(last.testAccuracy)}`);
  }
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
