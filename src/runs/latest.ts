/**
 * runs/<name>/latest → the newest run folder of that name, so `runs/<name>/latest/steps.csv` is
 * always the last run's. The link is relative (the runs root can be moved or mounted elsewhere)
 * and replaced atomically: a new link under a temporary name renamed over the old one, so a
 * reader never finds `latest` missing or half made.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { outputError } from './atomic.js';

export const LATEST = 'latest';

/** Points <parent>/latest at `runDir` (a folder directly inside <parent>). */
export function pointLatestAt(runDir: string): void {
  const link = join(dirname(runDir), LATEST);
  const temporary = `${link}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    symlinkSync(basename(runDir), temporary, 'dir');
    renameSync(temporary, link);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw outputError(link, error);
  }
}
