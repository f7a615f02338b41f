/**
 * What `sweep` and `compare` share: plan the lab (lab/sweep.ts), run its one phase with progress,
 * and print the comparison. Exit 0 when every trial has a result (completed or diverged: a
 * diverging learning rate is a finding in a sweep), 1 when a trial failed or trials of the slice
 * are still running in another process after the wait, 130 when interrupted.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Expansion } from '../config/trials.js';
import type { PhaseEvent } from '../lab/phase.js';
import { runPhase } from '../lab/phase.js';
import { planLab, type Expand } from '../lab/sweep.js';
import { HELD_WAIT_MS, shardTrials, type SweepOutcome } from '../lab/trial-pool.js';
import type { ReportData } from '../report/report-data.js';
import { comparisonTable, targetOf } from '../report/summary.js';
import { kernelChoice } from '../kernels/choice.js';
import { EXIT } from './exit-codes.js';
import { heldWaitFlag, jobsFlag, pluginFlag, quietFlag, setFlag } from './flags.js';
import { debugOption, outOption, pluginOption, setOption } from './options.js';
import { progressMode, type Terminal } from './progress.js';
import { resolveShard, type ChosenShard } from './shard.js';
import { abortOnSignals, announceStop } from './signals.js';
import { createSweepProgress, lastKeyNames } from './sweep-progress.js';
import { screenOf, type Screen } from './screen.js';
import { alignedTable, tableForScreen } from './table.js';

/** The options `sweep` and `compare` share, and their schema. */
export function withLabOptions(command: Command): Command {
  return outOption(debugOption(pluginOption(setOption(command, 'override a config value for every trial (repeatable)'))), 'runs root; the folder is <out>/<name>/<kind>-<id>', 'runs')
    .option('-j, --jobs <n>', 'trials at once, one per worker thread (default: the number of cores)')
    .option('--shard <K/N>', 'run only the K-th of N slices of the trials (Slurm array variables are read too)')
    .option('--shards <N>', 'the number of slices, with JOB_COMPLETION_INDEX (Kubernetes Indexed Job)')
    .option('--wait-held <seconds>', `wait at most this long for trials of the slice that another process is running, taking them over if it lets go (default ${HELD_WAIT_MS / 1000})`)
    .option('--resume <dir>', 'continue the sweep in this folder (its sweep.json holds the trials; a tuned comparison reruns its recorded config)')
    .option('-n, --dry-run', 'list the trials and their count; run nothing', false)
    .option('-q, --quiet', 'print only the final table', false);
}

export const labFlags = z.object({
  set: setFlag,
  out: z.string(),
  jobs: jobsFlag.optional(),
  shard: z.string().optional(),
  shards: z.string().optional(),
  waitHeld: heldWaitFlag.optional(),
  resume: z.string().optional(),
  dryRun: z.boolean(),
  quiet: quietFlag,
  optimizerPlugin: pluginFlag,
});
export type LabFlags = z.output<typeof labFlags>;

export async function runLab(file: string | undefined, flags: LabFlags, expand: Expand, terminal: Terminal): Promise<number> {
  // A library ADAM_LAB_BLAS names that does not work is bad input for the whole lab (exit 2),
  // found here once rather than as every trial's failure in its worker (kernels/blas.ts).
  kernelChoice();
  const jobs = trialsAtOnce(flags.jobs);
  const shard = resolveShard(flags.shard, flags.shards, process.env);
  const { expansion, dir, configFile } = planLab(file, flags, expand);
  if (flags.dryRun) {
    listTrials(expansion, shard, dir, terminal);
    return EXIT.ok;
  }
  const signals = abortOnSignals(announceStop(terminal.stderr, "the running trials' current steps"));
  const view = phaseView(shard, flags.quiet, signals.signal, terminal);
  try {
    const phase = await runPhase(expansion, dir, configFile, { jobs, shard, signal: signals.signal, heldWaitMs: heldWaitMs(flags), onEvent: view.onEvent });
    terminal.stdout.write(`
${finalTable(phase.data, screenOf(terminal.stdout, process.env))}

results in ${dir}
`);
    return phaseExitCode(phase.outcome, terminal);
  } finally {
    view.dispose();
    signals.dispose();
  }
}

/**
 * The comparison on the terminal, fitted to its width: grid points named by their keys' last
 * names when that names them all apart, the ranking metric and the targets kept longest, the
 * best row bold. comparison.md keeps every column.
 */
function finalTable(data: ReportData, screen: Screen): string {
  const table = comparisonTable(data, 25);
  const names = table.slice(1).map((row) => lastKeyNames(row[1]));
  const compact = screen.width !== null && new Set(names).size === names.length ? [table[0], ...table.slice(1).map((row, i) => [row[0], names[i], ...row.slice(2)])] : table;
  const targets = table[0].filter((name) => targetOf(name) !== null);
  return tableForScreen(compact, screen, {
    titleColumns: 2,
    givenUpLast: [data.rankBy.metric, 'seeds', ...targets, 'final_test_accuracy', 'final_train_loss', 'final_test_loss', 'failed', 'diverged'],
    highlight: table[1]?.[0] === '1' ? 0 : null,
  });
}

/** What --dry-run prints: the trials (this shard's) and where they would run. */
export function listTrials(expansion: Expansion, shard: ChosenShard | null, dir: string, terminal: Terminal): void {
  const listed = shardTrials(expansion.trials, shard);
  terminal.stdout.write(`${listed.length} trials${shard === null ? '' : ` in shard ${shard.index}/${shard.count} (of ${expansion.trials.length})`} → ${dir}\n`);
  const header = ['#', 'trial', expansion.kind === 'compare' ? 'variant' : 'group', 'seed'];
  terminal.stdout.write(`${alignedTable([header, ...listed.map((t) => [String(t.index + 1), t.id, t.group, String(t.seed)])])}\n`);
}

export interface PhaseView {
  onEvent(event: PhaseEvent): void;
  /** Stops the progress display and lets go of the signal. */
  dispose(): void;
}

/** The phases' words: each phase's folder (and shard) and, while its trials run, their progress. */
export function phaseView(shard: ChosenShard | null, quiet: boolean, signal: AbortSignal, terminal: Terminal): PhaseView {
  let progress: ReturnType<typeof createSweepProgress> | null = null;
  const stop = (): void => progress?.stop();
  signal.addEventListener('abort', stop);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'phase-start':
          stop();
          progress = createSweepProgress(progressMode(quiet, terminal, process.env), terminal);
          terminal.stdout.write(`${event.kind} ${event.dir}\n`);
          if (shard !== null) terminal.stdout.write(`shard ${shard.index}/${shard.count} (from ${shard.source})\n`);
          break;
        case 'phase-end':
          stop();
          break;
        default:
          progress?.onEvent(event);
      }
    },
    dispose() {
      signal.removeEventListener('abort', stop);
      stop();
    },
  };
}

/** 130 when interrupted, 1 when a trial failed or is still held elsewhere, else 0 (a diverged trial is a result). */
export function phaseExitCode(outcome: SweepOutcome, terminal: Terminal): number {
  if (outcome.resumed.length > 0) {
    const which = outcome.resumed.map((r) => `${r.trial} from step ${r.fromStep}`).join(', ');
    terminal.stdout.write(`resumed ${outcome.resumed.length} trial(s) from their checkpoints: ${which}\n`);
  }
  if (outcome.interrupted) {
    terminal.stderr.write(`interrupted: ${outcome.ran} trial(s) ran; run the same command again to finish\n`);
    return EXIT.interrupted;
  }
  if ((outcome.statuses.failed ?? 0) > 0) {
    terminal.stderr.write(`${outcome.statuses.failed} trial(s) failed; their errors are in their manifest.json and above\n`);
    return EXIT.failed;
  }
  if (outcome.held > 0) {
    terminal.stderr.write(`${outcome.held} trial(s) of this slice are still running in another process; run the same command again once it has ended\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** --wait-held in milliseconds (undefined: the default). */
export function heldWaitMs(flags: LabFlags): number | undefined {
  return flags.waitHeld === undefined ? undefined : flags.waitHeld * 1000;
}

/** --jobs, or one trial per core. */
export function trialsAtOnce(jobs: number | undefined): number {
  return jobs ?? availableParallelism();
}
