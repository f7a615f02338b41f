/**
 * Merging shards: copies of one sweep folder from several machines gathered into one folder.
 * Every finished trial is copied once (the first copy found wins); trials already finished in
 * the merged folder are kept.
 */
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../core/errors.js';
import { outputError } from './atomic.js';
import { isFinished, openSweepDirectory, readSweepManifest, readTrialManifest, trialDirectory } from './sweep-dir.js';

/** Copies every finished trial of the shard folders into `out`; returns how many were copied. */
export function mergeShards(dirs: readonly string[], out: string): number {
  const manifests = dirs.map((d) => ({ dir: d, manifest: readSweepManifest(d) }));
  const first = manifests[0].manifest;
  for (const { dir, manifest } of manifests) {
    if (manifest.id !== first.id) throw new UsageError(`${dir} holds ${manifest.kind}-${manifest.id}, not ${first.kind}-${first.id}: only shards of one sweep merge`);
  }
  openSweepDirectory(out, first);
  let copied = 0;
  for (const trial of first.trials) {
    if (isFinished(readTrialManifest(out, trial.id))) continue;
    const source = manifests.find(({ dir }) => isFinished(readTrialManifest(dir, trial.id)));
    if (source === undefined || !existsSync(trialDirectory(source.dir, trial.id))) continue;
    copyTrial(trialDirectory(source.dir, trial.id), trialDirectory(out, trial.id));
    copied++;
  }
  return copied;
}

/**
 * Copies a trial folder beside its place and renames it into place, so that a merge killed midway
 * never leaves a folder whose manifest says finished while its other files are missing (the next
 * merge would skip it as done).
 */
function copyTrial(from: string, to: string): void {
  const temporary = `${to}.tmp-${hostname()}-${process.pid}`;
  try {
    rmSync(temporary, { recursive: true, force: true });
    cpSync(from, temporary, { recursive: true });
    rmSync(to, { recursive: true, force: true });
    renameSync(temporary, to);
  } catch (error) {
    throw outputError(to, error);
  }
}
