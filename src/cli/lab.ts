/**
 * What `sweep` and `compare` share: expand the config (or read the expansion of a folder being
 * resumed), open the sweep folder, run the trials on worker threads, rebuild the tables and
 * report, and print the comparison. Exit 0 when every trial has a result (completed or
 * diverged: a diverging learning rate is a finding in a sweep), 1 when a trial failed, 130 when
 * interrupted.
 */
import { availableParallelism } from 'node:os';
import { readConfigSource, type ConfigSource } from '../config/load.js';
import { parseOverride, type Override } from '../config/overrides.js';
import type { Expansion } from '../config/trials.js';
import { UsageError } from '../core/errors.js';
import { comparisonTable } from '../report/summary.js';
import { writeReport, writeTables, type WrittenReport } from '../report/write.js';
import { asOutputFault, defaultSweepDirectory, openSweepDirectory, readSweepManifest, recordedExpansion, sweepManifest } from '../runs/sweep-dir.js';
import { runSweep, shardTrials, type SweepOutcome } from '../lab/trial-pool.js';
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

export type Expand = (source: ConfigSource, sets: readonly Override[]) => Expansion;

export async function runLab(file: string | undefined, flags: LabFlags, expand: Expand, terminal: Terminal): Promise<number> {
  const out = (line: string): void => {
    terminal.stdout.write(`${line}\n`);
  };
  const jobs = parseJobs(flags.jobs);
  const shard = resolveShard(flags.shard, flags.shards, process.env);
  let expansion: Expansion;
  let dir: string;
  let configFile: string;
  if (flags.resume !== undefined) {
    const recorded = readSweepManifest(flags.resume);
    expansion = file === undefined ? recordedExpansion(recorded) : expand(readConfigSource(file), flags.set.map((s) => parseOverride(s)));
    dir = flags.resume;
    configFile = recorded.config_file;
  } else {
    if (file === undefined) throw new UsageError('give a config file, or --resume <sweep folder>');
    expansion = expand(readConfigSource(file), flags.set.map((s) => parseOverride(s)));
    configFile = file;
    dir = defaultSweepDirectory(flags.out, sweepManifest(expansion, file));
  }
  if (flags.dryRun) {
    listTrials(expansion, shard, dir, terminal);
    return EXIT.ok;
  }
  const signals = abortOnSignals(announceStop(terminal.stderr, "the running trials' current steps"));
  try {
    const phase = await runPhase(expansion, dir, configFile, { jobs, shard, quiet: flags.quiet, signal: signals.signal }, terminal);
    out('');
    out(alignedTable(comparisonTable(phase.data, 25)));
    out(`\nresults in ${dir}`);
    return phaseExitCode(phase.outcome, terminal);
  } finally {
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

export interface PhaseOptions {
  readonly jobs: number;
  readonly shard: ChosenShard | null;
  readonly quiet: boolean;
  readonly signal: AbortSignal;
}

/** Opens the folder, runs the trials (this shard's) with progress, and writes the report. */
export async function runPhase(expansion: Expansion, dir: string, configFile: string, options: PhaseOptions, terminal: Terminal): Promise<{ outcome: SweepOutcome } & WrittenReport> {
  openSweepDirectory(dir, sweepManifest(expansion, configFile));
  const progress = createSweepProgress(progressMode(options.quiet, terminal, process.env), terminal);
  options.signal.addEventListener('abort', progress.stop);
  try {
    terminal.stdout.write(`${expansion.kind} ${dir}\n`);
    if (options.shard !== null) terminal.stdout.write(`shard ${options.shard.index}/${options.shard.count} (from ${options.shard.source})\n`);
    const outcome = await runSweep(expansion, dir, {
      jobs: options.jobs,
      shard: options.shard,
      configFile,
      signal: options.signal,
      onEvent: progress.onEvent,
      onTrialEnd: atMostEverySecond(() => writeTables(dir)),
    });
    progress.stop();
    return { outcome, ...(await writeReport(dir)) };
  } catch (error) {
    throw asOutputFault(dir, error);
  } finally {
    options.signal.removeEventListener('abort', progress.stop);
    progress.stop();
  }
}

/**
 * `write`, unless it last ran less than a second ago. The tables are rebuilt from every trial's
 * files (about 20 ms for 20 trials), on the thread that shares the cores with the trials: after
 * each of twenty 0.2 s trials that took 0.4 s of a 2-core sweep. They are rebuilt once more at
 * the end (writeReport), and a resumed sweep rebuilds them, so a kill loses no trial's result.
 */
function atMostEverySecond(write: () => void): () => void {
  let last = -Infinity;
  return () => {
    if (performance.now() - last < 1000) return;
    write();
    last = performance.now();
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
