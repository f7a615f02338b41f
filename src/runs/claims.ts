/**
 * Claiming trials, so that processes sharing a sweep folder — shards on a shared file system,
 * two sweeps of one config started at once — run each trial once.
 *
 * A claim is a file trials/<id>.claim.<n> created exclusively (O_EXCL), holding the claimant's
 * host and pid; the trial's current claim is the one with the highest n. A claim is stale when
 * its process is gone: on this host, its pid is dead; on any host, its heartbeat (the file's
 * mtime, refreshed every HEARTBEAT_MS while the trial runs) is older than STALE_MS. Taking over a
 * stale claim n means creating claim n + 1, which only one process can do, so there is no race.
 */
import { closeSync, openSync, readdirSync, readFileSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const HEARTBEAT_MS = 30_000;
export const STALE_MS = 10 * 60_000;

interface ClaimRecord {
  readonly host: string;
  readonly pid: number;
}

export type ClaimState = 'free' | 'live' | 'stale';

function claimFiles(trialsDir: string, trialId: string): number[] {
  const prefix = `${trialId}.claim.`;
  return readdirSync(trialsDir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .filter(Number.isInteger);
}

function claimPath(trialsDir: string, trialId: string, attempt: number): string {
  return join(trialsDir, `${trialId}.claim.${attempt}`);
}

/** The state of a trial's current claim, seen from this process. */
export function claimState(trialsDir: string, trialId: string, now = Date.now()): ClaimState {
  const attempts = claimFiles(trialsDir, trialId);
  if (attempts.length === 0) return 'free';
  const file = claimPath(trialsDir, trialId, Math.max(...attempts));
  let record: ClaimRecord;
  let mtime: number;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as ClaimRecord;
    mtime = statSync(file).mtimeMs;
  } catch {
    return 'live'; // being written this instant
  }
  if (record.host === hostname() && record.pid === process.pid) return 'stale'; // an earlier attempt of this very process
  if (record.host === hostname() && !processAlive(record.pid)) return 'stale';
  return now - mtime > STALE_MS ? 'stale' : 'live';
}

/** Claims a trial for this process; returns the claim's file, or null when another live process holds it. */
export function claimTrial(trialsDir: string, trialId: string): string | null {
  if (claimState(trialsDir, trialId) === 'live') return null;
  const attempts = claimFiles(trialsDir, trialId);
  const file = claimPath(trialsDir, trialId, attempts.length === 0 ? 1 : Math.max(...attempts) + 1);
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null; // another process took it first
    throw error;
  }
  writeSync(fd, JSON.stringify({ host: hostname(), pid: process.pid } satisfies ClaimRecord));
  closeSync(fd);
  return file;
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
