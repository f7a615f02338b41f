/**
 * What `sweep` and `compare` share: plan the lab (lab/sweep.ts), run its one phase with progress,
 * and print the comparison. Exit 0 when every trial has a result (completed or diverged: a
 * diverging learning rate is a finding in a sweep), 1 when a trial failed, 130 when interrupted.
 */
import { availableParallelism } from 'node:os';
import type { Expansion } from '../config/trials.js';
import { UsageError } from '../core/errors.js';
import type { PhaseEvent } from '../lab/phase.js';
import { runPhase } from '../lab/phase.js';
import { planLab, type Expand } from '../lab/sweep.js';
import { shardTrials, type SweepOutcome } from '../lab/trial-pool.js';
import { comparisonTable } from '../report/summary.js';
import { EXIT } from './exit-codes.js';
import { progressMode, type Terminal } from './progress.js';
import { resolveShard, type ChosenShard } from './shard.js';
import { abortOnSignals, announceStop } from './signals.js';
import { createSweepProgress } from './sweep-progress.js';
import { alignedTable } from './table.js';

export interface LabFlags {
  readonly set: string[];
  readonly out: string;
  readonly jobs?: string;
  readonly shard?: string;
  readonly shards?: string;
  readonly resume?: string;
  readonly dryRun: boolean;
  readonly quiet: boolean;
}

export async function runLab(file: string | undefined, flags: LabFlags, expand: Expand, terminal: Terminal): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const shard = resolveShard(flags.shard, flags.shards, process.env);
  const { expansion, dir, configFile } = planLab(file, flags, expand);
  if (flags.dryRun) {
    listTrials(expansion, shard, dir, terminal);
    return EXIT.ok;
  }
  const signals = abortOnSignals(announceStop(terminal.stderr, "the running trials' current steps"));
  const view = phaseView(shard, flags.quiet, signals.signal, terminal);
  try {
    const phase = await runPhase(expansion, dir, configFile, { jobs, shard, signal: signals.signal, onEvent: view.onEvent });
    terminal.stdout.write(`\n${alignedTable(comparisonTable(phase.data, 25))}\n\nresults in ${dir}\n`);
    return phaseExitCode(phase.outcome, terminal);
  } finally {
    view.dispose();
    signals.dispose();
  }
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

/** 130 when interrupted, 1 when a trial failed, else 0 (a diverged trial is a result). */
export function phaseExitCode(outcome: SweepOutcome, terminal: Terminal): number {
  if (outcome.interrupted) {
    terminal.stderr.write(`interrupted: ${outcome.ran} trial(s) ran; run the same command again to finish\n`);
    return EXIT.interrupted;
  }
  if ((outcome.statuses.failed ?? 0) > 0) {
    terminal.stderr.write(`${outcome.statuses.failed} trial(s) failed; their errors are in their manifest.json and above\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

export function parseJobs(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${text}: expected a positive integer`);
  return jobs;
}
