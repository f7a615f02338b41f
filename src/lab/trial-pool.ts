/**
 * Running the trials of a sweep or comparison: `jobs` at a time on worker threads (piscina),
 * each an ordinary run directory under the sweep folder. Finished trials (completed or
 * diverged) are never rerun; interrupted, failed and unfinished ones are. A trial is claimed
 * before it runs (claims.ts), so processes sharing the folder never run one twice, and its claim is
 * released when it ends, however it ends. Trials of the slice that another live process holds are
 * waited for once this process's own are done (at most `heldWaitMs`), and taken over if their claim
 * is released or goes stale meanwhile; those still held at the end are counted (`held`), so that
 * a shard is never reported finished while part of it is not. A trial that throws is
 * recorded as failed and the others go on. Files read from disk are loaded once and shared with
 * the workers; as trials finish the summary is rebuilt from the trials' own files (lab/phase.ts does
 * it at most once a second), and every trial's result is on disk the moment it ends, so
 * killing the process at any moment loses at most the trials in flight.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { pluginsUsedBy } from '../config/optimizer-plugins.js';
import type { Expansion, Trial } from '../config/trials.js';
import { loadSource, shareSource, sourceKey, type DataSource } from '../data/registry.js';
import { lossKinds } from '../engine/losses/registry.js';
import { collectProvenance, type Provenance } from '../runs/provenance.js';
import { checkpointFolder } from '../runs/checkpoint-dir.js';
import { claimState, claimTrial, HEARTBEAT_MS, releaseClaim, STALE_MS, touchClaims } from '../runs/claims.js';
import { freshTrialDirectory, isFinished, readTrialManifest, trialDirectory, trialsDirectory } from '../runs/sweep-dir.js';
import type { ProgressEvent, StartEvent, TrainEvent } from '../train/events.js';
import type { TrialOutcome, TrialTask } from './trial-worker.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export type SweepEvent =
  | { readonly type: 'plan'; readonly total: number; readonly inShard: number; readonly done: number; readonly busy: number; readonly toRun: number }
  /** This process's trials are done; `held` trials of the slice are running in another process, waited for at most `waitMs`. */
  | { readonly type: 'waiting'; readonly held: number; readonly waitMs: number }
  | { readonly type: 'trial-start'; readonly trial: Trial; readonly start: StartEvent }
  | { readonly type: 'trial-progress'; readonly trial: Trial; readonly progress: ProgressEvent }
  | { readonly type: 'trial-end'; readonly trial: Trial; readonly outcome: TrialOutcome };

export interface SweepRunOptions {
  readonly jobs: number;
  readonly shard: Shard | null;
  readonly configFile: string;
  readonly signal?: AbortSignal;
  /** How long to wait for trials of the slice another process is running (default HELD_WAIT_MS). */
  readonly heldWaitMs?: number;
  readonly onEvent?: (event: SweepEvent) => void;
  /** Called after every finished trial (lab/phase.ts rewrites summary.csv there). */
  readonly onTrialEnd?: () => void;
}

export interface SweepOutcome {
  readonly ran: number;
  readonly skipped: number;
  readonly busy: number;
  /** Trials of the slice still unfinished at the end because another live process holds them. */
  readonly held: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly interrupted: boolean;
  /** The trials that continued from a checkpoint, and the step each continued after. */
  readonly resumed: readonly { readonly trial: string; readonly fromStep: number }[];
}

/**
 * The default wait for trials held elsewhere: long enough that the claim of a process that had
 * died (or been killed) when the wait began, on any host, has gone stale and is taken over.
 */
export const HELD_WAIT_MS = STALE_MS + HEARTBEAT_MS;
/** How often the held trials' claims and manifests are looked at while waiting. */
const HELD_POLL_MS = 2000;

/** The trials of shard K of N: every N-th trial from the (K−1)-th, in expansion order. */
export function shardTrials(trials: readonly Trial[], shard: Shard | null): Trial[] {
  return shard === null ? [...trials] : trials.filter((t) => t.index % shard.count === shard.index - 1);
}

export async function runSweep(expansion: Expansion, dir: string, options: SweepRunOptions): Promise<SweepOutcome> {
  const emit = options.onEvent ?? (() => {});
  const mine = shardTrials(expansion.trials, options.shard);
  const trialsDir = trialsDirectory(dir);
  const done = mine.filter((t) => isFinished(readTrialManifest(dir, t.id)));
  const busy = mine.filter((t) => !done.includes(t) && claimState(trialsDir, t.id) === 'live');
  const todo = mine.filter((t) => !done.includes(t) && !busy.includes(t));
  emit({ type: 'plan', total: expansion.trials.length, inShard: mine.length, done: done.length, busy: busy.length, toRun: todo.length });
  if (todo.length === 0 && busy.length === 0) return { ran: 0, skipped: done.length, busy: 0, held: 0, statuses: {}, interrupted: false, resumed: [] };

  const jobs = Math.max(1, Math.min(options.jobs, todo.length + busy.length));
  // Started first: the workers load their modules while this thread reads the data files.
  const pool = new Piscina({ filename: compiledWorker('trial-worker'), minThreads: jobs, maxThreads: jobs, idleTimeout: 1000 });
  let run: PoolRun;
  try {
    const provenance = collectProvenance(dirname(options.configFile));
    // the held trials' data too: they are run here if their claim is let go while this process waits
    const sources = loadSharedSources([...todo, ...busy], options.configFile);
    run = { pool, dir, options, emit, provenance, sources, claims: new Set(), stops: new Set(), held: new Set(busy), ran: 0, lost: 0, statuses: {}, resumed: [] };
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  const stopAll = (): void => run.stops.forEach((stop) => stop());
  options.signal?.addEventListener('abort', stopAll);
  const heartbeat = setInterval(() => touchClaims(run.claims), HEARTBEAT_MS);
  // A fault (a file that cannot be written) stops the sweep, but the trials in flight are asked
  // to stop as on Ctrl-C and awaited: ending their threads mid-write would leave torn files.
  const faults: unknown[] = [];
  const stopped = (): boolean => options.signal?.aborted === true || faults.length > 0;
  const runAll = async (queue: readonly Trial[]): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length && !stopped()) {
        try {
          await runOne(run, queue[next++]);
        } catch (error) {
          faults.push(error);
          stopAll();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  };
  try {
    await runAll(todo);
    await awaitHeld(run, runAll, stopped, options.heldWaitMs ?? HELD_WAIT_MS);
  } finally {
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', stopAll);
    await pool.destroy();
  }
  if (faults.length > 0) throw faults[0];
  return { ran: run.ran, skipped: done.length, busy: busy.length + run.lost, held: run.held.size, statuses: run.statuses, interrupted: options.signal?.aborted === true, resumed: run.resumed };
}

/**
 * Waits (at most waitMs) for the trials another process holds to finish, running here those whose
 * claim is released or goes stale meanwhile; run.held keeps the ones still unfinished at the end.
 */
async function awaitHeld(run: PoolRun, runAll: (queue: readonly Trial[]) => Promise<void>, stopped: () => boolean, waitMs: number): Promise<void> {
  const trialsDir = trialsDirectory(run.dir);
  const deadline = performance.now() + waitMs;
  let told = -1;
  for (;;) {
    for (const trial of run.held) if (isFinished(readTrialManifest(run.dir, trial.id))) run.held.delete(trial);
    if (run.held.size === 0 || stopped()) return;
    const free = [...run.held].filter((t) => claimState(trialsDir, t.id) !== 'live');
    if (free.length > 0) {
      for (const trial of free) run.held.delete(trial); // runOne puts back any that another process claims first
      await runAll(free);
      continue;
    }
    const left = deadline - performance.now();
    if (left <= 0) return;
    if (told !== run.held.size) {
      told = run.held.size;
      run.emit({ type: 'waiting', held: told, waitMs: Math.round(left) });
    }
    try {
      await sleep(Math.min(HELD_POLL_MS, left), undefined, { signal: run.options.signal });
    } catch {
      return; // aborted: the sweep is interrupted
    }
  }
}

/** A sweep while its trials run on the pool: what they share, and the tally so far. */
interface PoolRun {
  readonly pool: Piscina;
  readonly dir: string;
  readonly options: SweepRunOptions;
  readonly emit: (event: SweepEvent) => void;
  readonly provenance: Provenance;
  readonly sources: Map<string, DataSource>;
  /** The claim files of the trials in flight, kept fresh by the heartbeat. */
  readonly claims: Set<string>;
  /** How to ask each trial in flight to stop. */
  readonly stops: Set<() => void>;
  /** Unfinished trials of the slice that another live process holds. */
  readonly held: Set<Trial>;
  ran: number;
  /** Trials another process claimed (or finished) since the plan was made. */
  lost: number;
  readonly statuses: Record<string, number>;
  readonly resumed: { trial: string; fromStep: number }[];
}

/** Claims a trial and runs it on a worker thread, its events relayed as the sweep's. */
async function runOne(run: PoolRun, trial: Trial): Promise<void> {
  const { dir, options, emit } = run;
  const claim = claimTrial(trialsDirectory(dir), trial.id);
  if (claim === null) {
    run.lost++;
    run.held.add(trial);
    return;
  }
  if (isFinished(readTrialManifest(dir, trial.id))) {
    run.lost++;
    releaseClaim(claim);
    return;
  }
  run.claims.add(claim);
  const { port1, port2 } = new MessageChannel();
  const stop = (): void => port1.postMessage('abort');
  run.stops.add(stop);
  port1.on('message', (event: TrainEvent) => {
    if (event.type === 'start') emit({ type: 'trial-start', trial, start: event });
    else if (event.type === 'progress') emit({ type: 'trial-progress', trial, progress: event });
  });
  // An interrupted attempt that left a checkpoint is continued in its folder; any other starts over in an emptied one.
  const resume = checkpointFolder(trialDirectory(dir, trial.id)) !== null;
  const task: TrialTask = {
    config: trial.config,
    configFile: options.configFile,
    runDir: resume ? trialDirectory(dir, trial.id) : freshTrialDirectory(dir, trial.id),
    resume,
    sweepDir: dir,
    trialId: trial.id,
    provenance: run.provenance,
    source: run.sources.get(trial.id) ?? null,
    port: port2,
    plugins: pluginsUsedBy([trial.config.optimizer.name]),
  };
  try {
    const outcome = (await run.pool.run(task, { transferList: [port2] as never })) as TrialOutcome;
    run.ran++;
    run.statuses[outcome.status] = (run.statuses[outcome.status] ?? 0) + 1;
    if (outcome.resumedFrom !== null) run.resumed.push({ trial: trial.id, fromStep: outcome.resumedFrom });
    emit({ type: 'trial-end', trial, outcome });
    options.onTrialEnd?.();
  } finally {
    run.stops.delete(stop);
    run.claims.delete(claim);
    releaseClaim(claim);
    port1.close();
  }
}

/** Each distinct set of data files the trials read, loaded once into shared memory. */
function loadSharedSources(trials: readonly Trial[], configFile: string): Map<string, DataSource> {
  const byKey = new Map<string, DataSource>();
  const byTrial = new Map<string, DataSource>();
  for (const trial of trials) {
    const { data, loss } = trial.config;
    // Synthetic data is drawn per seed, a text read by each worker (sourceKey); an objective has none.
    if (data === undefined || data.dataset === 'synthetic' || data.dataset === 'text') continue;
    const targetKind = lossKinds[loss].targets;
    const key = sourceKey(data, configFile, targetKind)!;
    let source = byKey.get(key);
    if (source === undefined) {
      source = shareSource(loadSource(data, configFile, targetKind));
      byKey.set(key, source);
    }
    byTrial.set(trial.id, source);
  }
  return byTrial;
}

/**
 * The compiled module of a worker in this folder (`name`, e.g. trial-worker). Tests run this file
 * from src/ (TypeScript), but a worker thread needs JavaScript, so it always runs the build in
 * dist/ (npm test builds first).
 */
export function compiledWorker(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const compiled = here.endsWith('.ts') ? fileURLToPath(new URL(`../../dist/src/lab/${name}.js`, import.meta.url)) : fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(compiled)) throw new Error(`the compiled ${name.replace('-', ' ')} is missing (${compiled}): run npm run build`);
  return compiled;
}
