/**
 * One phase of a lab: a sweep folder whose trials (this shard's) run on the worker pool, with its
 * tables rebuilt as trials finish and its report written at the end. A plain sweep or comparison
 * is one phase; a tuned comparison is two (tuning, then the reruns).
 */
import type { Expansion } from '../config/trials.js';
import { writeReport, writeTables, type WrittenReport } from '../report/write.js';
import { asOutputFault, openSweepDirectory, sweepManifest } from '../runs/sweep-dir.js';
import { runSweep, type Shard, type SweepEvent, type SweepOutcome } from './trial-pool.js';

/** What a phase tells while it runs: where it starts, its trials' events, and that its trials are done (the report follows). */
export type PhaseEvent =
  | { readonly type: 'phase-start'; readonly kind: Expansion['kind']; readonly dir: string }
  | SweepEvent
  | { readonly type: 'phase-end' };

export interface PhaseOptions {
  readonly jobs: number;
  readonly shard: Shard | null;
  readonly signal: AbortSignal;
  /** How long to wait for trials of the slice another process is running (default: trial-pool.ts). */
  readonly heldWaitMs?: number;
  readonly onEvent: (event: PhaseEvent) => void;
}

export type PhaseResult = { readonly outcome: SweepOutcome } & WrittenReport;

/** Opens the folder, runs the trials (this shard's), and writes the report. */
export async function runPhase(expansion: Expansion, dir: string, configFile: string, options: PhaseOptions): Promise<PhaseResult> {
  openSweepDirectory(dir, sweepManifest(expansion, configFile));
  try {
    options.onEvent({ type: 'phase-start', kind: expansion.kind, dir });
    const outcome = await runSweep(expansion, dir, {
      jobs: options.jobs,
      shard: options.shard,
      configFile,
      signal: options.signal,
      heldWaitMs: options.heldWaitMs,
      onEvent: options.onEvent,
      onTrialEnd: atMostEverySecond(() => writeTables(dir)),
    });
    options.onEvent({ type: 'phase-end' });
    return { outcome, ...(await writeReport(dir)) };
  } catch (error) {
    throw asOutputFault(dir, error);
  }
}

/** A phase that was interrupted, had a trial fail or left trials held by another process: the lab goes no further. */
export function phaseStopped(outcome: SweepOutcome): boolean {
  return outcome.interrupted || (outcome.statuses.failed ?? 0) > 0 || outcome.held > 0;
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
