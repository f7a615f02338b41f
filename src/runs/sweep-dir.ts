/**
 * The sweep directory: runs/<name>/<kind>-<id>/ holding
 *   sweep.json          what was expanded: the trials, their groups, seeds and varied values
 *   trials/<trial-id>/  one ordinary run directory per trial (config.yaml, steps.csv, ...)
 *   summary.csv, comparison.csv, comparison.md, plots/, report.html   rebuilt from the trials
 *
 * The id is a hash of the trial ids, so the same sweep lands in the same folder and finds its
 * finished trials. Nothing is appended to a shared file: every trial writes only its own folder,
 * which makes shards on a shared file system safe.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Expansion, Trial } from '../config/trials.js';
import { DataError } from '../errors.js';
import { outputError, writeFileAtomic } from './atomic.js';
import type { Manifest } from './manifest.js';

export interface SweepManifest {
  readonly kind: 'sweep' | 'compare' | 'check';
  readonly name: string;
  readonly id: string;
  /** Absolute: relative data paths in the trial configs are read from its folder. */
  readonly config_file: string;
  readonly axes: readonly string[];
  readonly targets: Readonly<Record<string, number>>;
  /** Every trial with its resolved config, so that `--resume <dir>` needs nothing else. */
  readonly trials: readonly Trial[];
}

export const SWEEP_FILE = 'sweep.json';

export function sweepId(expansion: Expansion): string {
  const ids = expansion.trials.map((t) => t.id).join(',');
  return createHash('sha256').update(`${expansion.kind}:${ids}`).digest('hex').slice(0, 8);
}

export function sweepManifest(expansion: Expansion, configFile: string): SweepManifest {
  return {
    kind: expansion.kind,
    name: expansion.base.name,
    id: sweepId(expansion),
    config_file: resolve(configFile),
    axes: expansion.axes,
    targets: { ...(expansion.base.targets ?? {}) } as Record<string, number>,
    trials: expansion.trials,
  };
}

export function defaultSweepDirectory(root: string, manifest: SweepManifest): string {
  return join(root, manifest.name, `${manifest.kind}-${manifest.id}`);
}

/** Creates the folder and its sweep.json, or checks that an existing one holds the same sweep. */
export function openSweepDirectory(dir: string, manifest: SweepManifest): void {
  const file = join(dir, SWEEP_FILE);
  if (existsSync(file)) {
    const existing = readSweepManifest(dir);
    if (existing.id !== manifest.id) {
      throw new DataError(file, `holds a different sweep (${existing.kind}-${existing.id}) than this config expands to (${manifest.kind}-${manifest.id})`, 'resume with the config that started it, or use another --out');
    }
    return;
  }
  try {
    mkdirSync(join(dir, 'trials'), { recursive: true });
  } catch (error) {
    throw outputError(dir, error);
  }
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readSweepManifest(dir: string): SweepManifest {
  const file = join(dir, SWEEP_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DataError(file, 'not found: this is not a sweep or compare folder', 'point at the folder adam-lab sweep or compare printed (runs/<name>/sweep-<id>)');
  }
  try {
    return JSON.parse(text) as SweepManifest;
  } catch {
    throw new DataError(file, 'is not valid JSON (damaged?)');
  }
}

/** The expansion a sweep folder records, to resume it without its config file. */
export function recordedExpansion(manifest: SweepManifest): Expansion {
  return { kind: manifest.kind, base: manifest.trials[0].config, axes: manifest.axes, trials: manifest.trials };
}

export function trialsDirectory(dir: string): string {
  return join(dir, 'trials');
}

export function trialDirectory(dir: string, trialId: string): string {
  return join(dir, 'trials', trialId);
}

/** What is on disk for a trial: its manifest, or null when it never started (or left no manifest). */
export function readTrialManifest(dir: string, trialId: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(trialDirectory(dir, trialId), 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** Completed and diverged trials are results; the others run (again). */
export function isFinished(manifest: Manifest | null): boolean {
  return manifest?.status === 'completed' || manifest?.status === 'diverged';
}

/** Makes an empty folder for a trial that will (re)run, clearing what an interrupted attempt left. */
export function freshTrialDirectory(dir: string, trialId: string): string {
  const path = trialDirectory(dir, trialId);
  try {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw outputError(path, error);
  }
  return path;
}
