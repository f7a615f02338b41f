/**
 * The sweep directory: runs/<name>/<kind>-<id>/ holding
 *   sweep.json          what was expanded: the trials, their groups, seeds and varied values
 *   trials/<trial-id>/  one ordinary run directory per trial (config.yaml, steps.csv, ...)
 *   summary.csv, comparison.csv, comparison.md, plots/, report.html   rebuilt from the trials
 *
 * The id is a hash of the trial ids, so the same sweep lands in the same folder and finds its
 * finished trials. Nothing is appended to a shared file: every trial writes only its own folder,
 * which makes shards on a shared file system safe.
 *
 * A tuned comparison (compare --protocol tuned) is runs/<name>/tuned-<id>/ holding
 *   tuned.json          how it was started: config file, --set, --optimizers, the protocol
 *   tuning/, rerun/     two sweep folders as above
 *   comparison.csv, comparison.md, plots/lr-sensitivity.svg, report.html   rebuilt from them
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { protocolSchema } from '../config/lab-schema.js';
import { checkRecordedPlugins, pluginRecordSchema, pluginsUsedBy } from '../config/optimizer-plugins.js';
import { configSchema, type ExperimentConfig } from '../config/schema.js';
import type { Expansion } from '../config/trials.js';
import { DataError, OutputError, PluginError, UnreadableFileError } from '../core/errors.js';
import type { PluginRecord } from '../optim/plugins.js';
import { readTextBounded } from '../core/read-file.js';
import { shortId } from '../core/short-id.js';
import { outputError, writeFileAtomic } from './atomic.js';
import { makeDirectories } from './directories.js';
import { recordedManifestSchema, type RecordedManifest } from './manifest.js';

export const SWEEP_FILE = 'sweep.json';

export function sweepId(expansion: Expansion): string {
  const ids = expansion.trials.map((t) => t.id).join(',');
  return shortId(`${expansion.kind}:${ids}`, 8);
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
    optimizer_plugins: pluginsUsedBy(expansion.trials.map((t) => t.config.optimizer.name)),
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
    if (!samePlugins(existing.optimizer_plugins, manifest.optimizer_plugins)) {
      throw new PluginError(file, `was started with other optimizer plugins (${describePlugins(existing.optimizer_plugins)}) than this process has (${describePlugins(manifest.optimizer_plugins)})`, PLUGIN_HINT);
    }
    return;
  }
  makeDirectories(join(dir, 'trials'));
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

const PLUGIN_HINT = 'give the --optimizer-plugin file the sweep was started with, unchanged, or use another --out';

/** Whether two sweep records name the same plugin files' bytes (paths may differ between machines). */
export function samePlugins(a: readonly PluginRecord[], b: readonly PluginRecord[]): boolean {
  const key = (records: readonly PluginRecord[]): string => JSON.stringify(records.map((r) => [r.name, r.sha256]).sort());
  return key(a) === key(b);
}

function describePlugins(records: readonly PluginRecord[]): string {
  return records.length === 0 ? 'none' : records.map((r) => `${r.name} sha256 ${r.sha256.slice(0, 12)}… from ${r.path}`).join(', ');
}

export function readSweepManifest(dir: string): SweepManifest {
  const file = join(dir, SWEEP_FILE);
  const hint = isTunedDirectory(dir)
    ? 'this is a tuned comparison: adam-lab report and compare --resume take it'
    : 'point at the folder adam-lab sweep or compare printed (runs/<name>/sweep-<id>)';
  return checkedSweepManifest(file, readJson(file, new DataError(file, 'not found: this is not a sweep or compare folder', hint)));
}

function readJson(file: string, notFound: DataError): unknown {
  let text: string;
  try {
    text = readTextBounded(file);
  } catch (error) {
    // A FIFO or a device in its place is refused by name; a sweep folder never holds one.
    if (error instanceof UnreadableFileError && error.reason === 'special') throw error;
    throw notFound;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DataError(file, 'is not valid JSON (damaged?)');
  }
}

/**
 * What sweep.json must hold before anything acts on it. A trial id becomes a folder name that is
 * emptied and written, so it must be what trialId() makes (12 hex digits): a damaged or forged
 * file can then never name a folder outside trials/ (`--resume`, `report` and `merge` read it).
 */
const sweepFileSchema = z.object({
  kind: z.enum(['sweep', 'compare', 'check']),
  name: z.string(),
  id: z.string(),
  /** Absolute: relative data paths in the trial configs are read from its folder. */
  config_file: z.string(),
  axes: z.array(z.string()).readonly(),
  targets: z.record(z.string(), z.number()),
  /** Every trial with its resolved config, so that `--resume <dir>` needs nothing else. */
  trials: z
    .array(
      z.object({
        id: z.string().regex(/^[0-9a-f]{12}$/, 'is not a trial id (12 hex digits)'),
        index: z.int().min(0),
        group: z.string(),
        seed: z.int().min(0),
        values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
        // Checked against the experiment schema when the sweep was expanded; sweep.json is
        // adam-lab's own record of that config, so only its shape is checked again here.
        config: z.record(z.string(), z.unknown()).transform((config) => config as ExperimentConfig),
      }),
    )
    .min(1)
    .superRefine((trials, context) => {
      // Two entries of one id would run in one folder at once, each clearing the other's files.
      const first = new Map<string, number>();
      trials.forEach((trial, i) => {
        const earlier = first.get(trial.id);
        if (earlier === undefined) first.set(trial.id, i);
        else context.addIssue({ code: 'custom', path: [i, 'id'], message: `repeats the id of trials.${earlier}: each trial is listed once` });
      });
    })
    .readonly(),
  /** The --optimizer-plugin files whose optimizers the trials use (none in folders of older adam-labs). */
  optimizer_plugins: z.array(pluginRecordSchema).default([]),
});

export type SweepManifest = Readonly<z.output<typeof sweepFileSchema>>;

const SWEEP_HINT = 'sweep.json is written by adam-lab sweep and compare; start the sweep again from its config';

function checkedSweepManifest(file: string, value: unknown): SweepManifest {
  return checked(file, sweepFileSchema, value, SWEEP_HINT);
}

/** The value as the schema reads it, or a DataError naming the file and the first problem (at `at` and below, in the file). */
function checked<T>(file: string, schema: z.ZodType<T>, value: unknown, hint: string, at: readonly (string | number)[] = []): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(file, `is damaged: ${[...at, ...issue.path].join('.') || 'the top level'}: ${issue.message}`, hint);
  }
  return parsed.data;
}

/** The expansion a sweep folder records, to resume it without its config file. */
export function recordedExpansion(manifest: SweepManifest): Expansion {
  return { kind: manifest.kind, base: manifest.trials[0].config, axes: manifest.axes, trials: manifest.trials };
}

/**
 * The folder's record, its trial configs checked against the config schema, for running them
 * again; returned as it is (trained as recorded: the schema's output would fill in this
 * version's defaults). A report reads none of the configs, so readSweepManifest leaves them be.
 */
export function withCheckedTrialConfigs(dir: string, manifest: SweepManifest): SweepManifest {
  const file = join(dir, SWEEP_FILE);
  // Before the configs: a plugin's optimizer is not a config's until its plugin is given.
  checkRecordedPlugins(file, manifest.optimizer_plugins, PLUGIN_HINT);
  manifest.trials.forEach((trial, i) => checked(file, configSchema, trial.config, SWEEP_HINT, ['trials', i, 'config']));
  return manifest;
}

export const TUNED_FILE = 'tuned.json';

const tunedFileSchema = z.object({
  kind: z.literal('tuned'),
  name: z.string(),
  id: z.string(),
  /** Absolute. The reruns are expanded from the config once tuning has chosen, so resuming needs it. */
  config_file: z.string(),
  /** The --set overrides, as given. */
  sets: z.array(z.string()),
  /** The --optimizers variants, or null for the config's compare: block. */
  variants: z.record(z.string(), z.record(z.string(), z.unknown())).nullable(),
  protocol: protocolSchema,
  targets: z.record(z.string(), z.number()),
});

export type TunedManifest = Readonly<z.output<typeof tunedFileSchema>>;

/** A tuned comparison's folder: it has tuned.json, or (made before tuned.json was written) a tuning/ sweep. */
export function isTunedDirectory(dir: string): boolean {
  return existsSync(join(dir, TUNED_FILE)) || existsSync(join(dir, 'tuning', SWEEP_FILE));
}

/** Writes tuned.json unless the folder has it (every shard writes the same). */
export function openTunedDirectory(dir: string, manifest: TunedManifest): void {
  const file = join(dir, TUNED_FILE);
  if (existsSync(file)) return;
  makeDirectories(dir);
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readTunedManifest(dir: string): TunedManifest {
  const file = join(dir, TUNED_FILE);
  const notFound = existsSync(join(dir, 'tuning', SWEEP_FILE))
    ? new DataError(file, 'not found: this tuned comparison was started by an older adam-lab, which did not record how', 'run its compare --protocol tuned command once more (finished trials are skipped); the folder then reopens by itself')
    : new DataError(file, 'not found: this is not a tuned comparison folder', 'point at the folder compare --protocol tuned printed (runs/<name>/tuned-<id>)');
  return checked(file, tunedFileSchema, readJson(file, notFound), 'tuned.json is written by compare --protocol tuned; run that command again');
}

export function trialsDirectory(dir: string): string {
  return join(dir, 'trials');
}

export function trialDirectory(dir: string, trialId: string): string {
  return join(dir, 'trials', trialId);
}

/**
 * What is on disk for a trial: its manifest, or null when it never started (or left no manifest).
 * A manifest is written whole (atomically), so one that does not parse or lacks what is read from
 * it was damaged after the fact: refused by name rather than taken for a trial to run again.
 */
export function readTrialManifest(dir: string, trialId: string): RecordedManifest | null {
  const file = join(trialDirectory(dir, trialId), 'manifest.json');
  let text: string;
  try {
    text = readTextBounded(file);
  } catch (error) {
    if (error instanceof UnreadableFileError && error.reason === 'special') throw error; // a FIFO or a device in its place
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataError(file, 'is not valid JSON (damaged?)', MANIFEST_HINT);
  }
  return checked(file, recordedManifestSchema, value, MANIFEST_HINT);
}

const MANIFEST_HINT = 'manifest.json is written by the run itself; remove the trial folder and resume the sweep to run it again';

/** Completed and diverged trials are results; the others run (again). */
export function isFinished(manifest: RecordedManifest | null): boolean {
  return manifest?.status === 'completed' || manifest?.status === 'diverged';
}

/** Makes an empty folder for a trial that will (re)run, clearing what an interrupted attempt left. */
export function freshTrialDirectory(dir: string, trialId: string): string {
  const path = trialDirectory(dir, trialId);
  try {
    rmSync(path, { recursive: true, force: true });
    // Not recursive: a sweep folder removed while it runs must fail here, not be half rebuilt.
    mkdirSync(path);
  } catch (error) {
    throw outputError(path, error);
  }
  return path;
}

/**
 * An error met while working in a sweep folder this process opened. With its sweep.json gone,
 * the folder was removed under the process: an output fault (exit 1), not the wrong folder a user
 * pointed at, which is what "sweep.json not found" means when `report` or `--resume` reads it.
 */
export function asOutputFault(dir: string, error: unknown): unknown {
  return error instanceof DataError && !existsSync(join(dir, SWEEP_FILE)) ? new OutputError(dir, 'cannot be written: the directory no longer exists') : error;
}
