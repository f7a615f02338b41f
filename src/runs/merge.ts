/**
 * Merging shards: copies of one sweep folder from several machines gathered into one folder.
 * Every finished trial is copied once (the first copy found wins); trials already finished in
 * the merged folder are kept.
 */
import { cpSync, existsSync, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UnreadableFileError, UsageError } from '../core/errors.js';
import { specialKind } from '../core/read-file.js';
import { outputError } from './atomic.js';
import { prepareOutputDirectory } from './output-path.js';
import { isFinished, openSweepDirectory, samePlugins, readSweepManifest, readTrialManifest, trialDirectory } from './sweep-dir.js';

/** Copies every finished trial of the shard folders into `out`; returns how many were copied. */
export function mergeShards(dirs: readonly string[], out: string): number {
  const manifests = dirs.map((d) => ({ dir: d, manifest: readSweepManifest(d) }));
  const first = manifests[0].manifest;
  for (const { dir, manifest } of manifests) {
    if (manifest.id !== first.id) throw new UsageError(`${dir} holds ${manifest.kind}-${manifest.id}, not ${first.kind}-${first.id}: only shards of one sweep merge`);
    if (!samePlugins(manifest.optimizer_plugins, first.optimizer_plugins)) throw new UsageError(`${dir} ran with other optimizer plugin files than ${manifests[0].dir} (sha256 differs): only shards of one sweep, run with the same plugins, merge`);
  }
  // Merging into a shard (or below one) would change it while it is read, and copy it into itself.
  prepareOutputDirectory(out, { inputs: dirs });
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
  refuseSpecialFiles(from);
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

/**
 * A trial folder holds files and folders that adam-lab wrote (links are copied as links); a pipe,
 * socket or device in one is not a result and cannot be copied, so it is refused by name before
 * anything of the trial is.
 */
function refuseSpecialFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    if (stats.isDirectory()) refuseSpecialFiles(path);
    else if (!stats.isFile() && !stats.isSymbolicLink()) {
      throw new UnreadableFileError(path, 'special', `is ${specialKind(stats)}, not a regular file: a trial folder holds only the files a run writes; remove it and merge again`);
    }
  }
}
