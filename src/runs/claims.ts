/**
 * Claiming trials, so that processes sharing a sweep folder — shards on a shared file system,
 * two sweeps of one config started at once — run each trial once.
 *
 * A claim is a file trials/<id>.claim.<n> created exclusively, holding the claimant's
 * host and pid; the trial's current claim is the one with the highest n. A claim is stale when
 * its process is gone: on this host, its pid is dead; on any host, its heartbeat (the file's
 * mtime, refreshed every HEARTBEAT_MS while the trial runs) is older than STALE_MS. Taking over a
 * stale claim n means creating claim n + 1, which only one process can do, so there is no race.
 * A claim file appears with its content or not at all (writeFileExclusive), so a process killed
 * while claiming leaves no empty claim behind; one that cannot be read all the same is judged by
 * its age alone.
 *
 * A claim is released when its trial ends, however it ends (releaseClaim): its heartbeat is set
 * to the epoch, so every process on every host judges it stale at once and the next run (an
 * interrupted trial's rerun, from any host) takes it over as claim n + 1. The file is kept rather
 * than deleted: deleting would restart the numbering at 1 while another process may be judging
 * the old highest claim, and two processes could then each create "the next" claim.
 */
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readTextBounded } from '../core/read-file.js';
import { outputError, writeFileExclusive } from './atomic.js';

export const HEARTBEAT_MS = 30_000;
export const STALE_MS = 10 * 60_000;
/** A claim holds a host name and a pid; anything longer is not one (and is judged by its age). */
const MAX_CLAIM_BYTES = 4096;

interface ClaimRecord {
  readonly host: string;
  readonly pid: number;
}

export type ClaimState = 'free' | 'live' | 'stale';

function claimFiles(trialsDir: string, trialId: string): number[] {
  const prefix = `${trialId}.claim.`;
  let names: string[];
  try {
    names = readdirSync(trialsDir);
  } catch (error) {
    throw outputError(trialsDir, error);
  }
  return names
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .filter(Number.isInteger);
}

function claimPath(trialsDir: string, trialId: string, attempt: number): string {
  return join(trialsDir, `${trialId}.claim.${attempt}`);
}

/** The trial's current claim (attempt 0: none yet) and its state, from one listing of the folder. */
function currentClaim(trialsDir: string, trialId: string, now: number): { attempt: number; state: ClaimState } {
  const attempts = claimFiles(trialsDir, trialId);
  if (attempts.length === 0) return { attempt: 0, state: 'free' };
  const attempt = Math.max(...attempts);
  const file = claimPath(trialsDir, trialId, attempt);
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return { attempt, state: 'live' }; // cannot be judged this instant; the next look will tell
  }
  const aged = now - mtime > STALE_MS ? 'stale' : 'live';
  let record: Partial<ClaimRecord> | null;
  try {
    record = JSON.parse(readTextBounded(file, { maxBytes: MAX_CLAIM_BYTES })) as Partial<ClaimRecord> | null;
  } catch {
    return { attempt, state: aged };
  }
  if (record?.host !== hostname() || typeof record.pid !== 'number') return { attempt, state: aged };
  if (record.pid === process.pid) return { attempt, state: 'stale' }; // an earlier attempt of this very process
  if (!processAlive(record.pid)) return { attempt, state: 'stale' };
  return { attempt, state: aged };
}

/** The state of a trial's current claim, seen from this process. */
export function claimState(trialsDir: string, trialId: string, now = Date.now()): ClaimState {
  return currentClaim(trialsDir, trialId, now).state;
}

/** Claims a trial for this process; returns the claim's file, or null when another live process holds it. */
export function claimTrial(trialsDir: string, trialId: string): string | null {
  const current = currentClaim(trialsDir, trialId, Date.now());
  if (current.state === 'live') return null;
  // Exactly the attempt after the one judged: if another process took that number meanwhile,
  // the exclusive write below fails rather than this process claiming the attempt after theirs.
  const file = claimPath(trialsDir, trialId, current.attempt + 1);
  const record: ClaimRecord = { host: hostname(), pid: process.pid };
  return writeFileExclusive(file, JSON.stringify(record)) ? file : null;
}

/** Refreshes the heartbeat of claims this process holds. */
export function touchClaims(files: Iterable<string>): void {
  const now = new Date();
  for (const file of files) {
    try {
      utimesSync(file, now, now);
    } catch {
      // the folder went away; the trial itself reports that
    }
  }
}

/** Lets go of a claim this process holds: from now on every process judges it stale. */
export function releaseClaim(file: string): void {
  try {
    utimesSync(file, 0, 0);
  } catch {
    // the folder went away; nothing is left to hold
  }
}

/** Whether a process of this host with that id is alive (one we may not signal is). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
