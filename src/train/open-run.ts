/**
 * Opening a run directory: the folder, config.yaml (the config as it runs, defaults filled in,
 * paths absolute) and a manifest saying `running`. The run's end rewrites the manifest.
 */
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { formatConfig, withAbsolutePaths } from '../config/format.js';
import type { ExperimentConfig } from '../config/schema.js';
import { BLAS_MIN_PRODUCT, kernelChoice } from '../kernels/choice.js';
import { pluginOf } from '../optim/registry.js';
import { createRunDirectory } from '../runs/layout.js';
import type { BlasRecord, InitRecord, Manifest } from '../runs/manifest.js';
import { collectProvenance, type Provenance } from '../runs/provenance.js';
import { DataError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import { processAlive } from '../runs/claims.js';
import { RunWriter, type EpochRow } from '../runs/run-writer.js';

/** Where a run goes and what it records of where it came from. */
export interface RunPlacement {
  /** The config's file: relative data and init paths start at its folder. */
  readonly configFile: string;
  /** Runs root; the run goes to <outRoot>/<name>/<run-id>/. */
  readonly outRoot?: string;
  /** Or an exact run directory, which must exist and be empty (used by sweeps). */
  readonly runDir?: string;
  readonly provenance?: Provenance;
}

export interface OpenRun {
  readonly writer: RunWriter;
  /** The manifest as written at the start; the end's manifest extends it. */
  readonly started: Manifest;
}

export function openRun(config: ExperimentConfig, placement: RunPlacement, parameterCount: number, init: InitRecord | null = null): OpenRun {
  const runDir = placement.runDir ?? createRunDirectory(placement.outRoot ?? 'runs', config.name, new Date());
  const writer = new RunWriter(runDir);
  const started = { ...runningManifest(config, placement, runDir, parameterCount), ...(init === null ? {} : { init }) };
  writeResolvedConfig(writer, config, placement.configFile);
  writer.writeManifest(started);
  return { writer, started };
}

/** A run continued in place from a checkpoint: its files cut back to the checkpoint's rows, its manifest `running` again. */
export interface ReopenedRun extends OpenRun {
  /** The epochs.csv rows the checkpoint counts, which the run goes on from. */
  readonly epochRows: EpochRow[];
}

export function reopenRun(config: ExperimentConfig, placement: RunPlacement & { readonly runDir: string }, parameterCount: number, rows: { steps: number; epochs: number }): ReopenedRun {
  const before = earlierManifest(placement.runDir) ?? runningManifest(config, placement, placement.runDir, parameterCount);
  // Two processes appending to one steps.csv.partial would interleave their rows.
  if (before.status === 'running' && before.host === hostname() && before.pid !== process.pid && processAlive(before.pid)) {
    throw new DataError(join(placement.runDir, 'manifest.json'), `says the run is still running (process ${before.pid} on this host)`, 'stop that process first; its checkpoint is then resumed from');
  }
  const writer = new RunWriter(placement.runDir);
  writer.resumeSteps(rows.steps);
  writer.resumeInternals(config.optimizer.name, rows.steps);
  const epochRows = writer.resumeEpochs(rows.epochs);
  const started: Manifest = {
    ...before,
    status: 'running',
    ended_at: null,
    error: null,
    host: hostname(),
    pid: process.pid,
    resumes: [...(before.resumes ?? []), { from_step: rows.steps, at: new Date().toISOString() }],
  };
  writer.writeManifest(started);
  return { writer, started, epochRows };
}

/** The manifest a run wrote before it stopped, or null when it left none that reads. */
export function earlierManifest(runDir: string): Manifest | null {
  try {
    return JSON.parse(readTextBounded(join(runDir, 'manifest.json'))) as Manifest;
  } catch {
    return null;
  }
}

/**
 * Records a run that failed before it could start (its data or model did not fit) in the run
 * directory it was given, so that a sweep's table shows the trial as failed with the reason.
 */
export function recordFailedRun(config: ExperimentConfig, placement: RunPlacement & { readonly runDir: string }, error: unknown): void {
  const writer = new RunWriter(placement.runDir);
  writeResolvedConfig(writer, config, placement.configFile);
  const message = error instanceof Error ? error.message : String(error);
  writer.writeManifest({ ...runningManifest(config, placement, placement.runDir, null), status: 'failed', ended_at: new Date().toISOString(), error: message });
}

function runningManifest(config: ExperimentConfig, placement: RunPlacement, runDir: string, parameterCount: number | null): Manifest {
  const plugin = pluginOf(config.optimizer.name);
  return {
    name: config.name,
    run_id: basename(runDir),
    status: 'running',
    seed: config.seed,
    config_file: placement.configFile,
    parameter_count: parameterCount,
    kernel: kernelChoice().path,
    ...blasRecord(),
    ...(kernelChoice().shards === 1 ? {} : { batch_shards: kernelChoice().shards }),
    started_at: new Date().toISOString(),
    ended_at: null,
    steps: 0,
    epochs: 0,
    diverged_at_step: null,
    ...(plugin === undefined ? {} : { optimizer_plugin: plugin }),
    error: null,
    provenance: placement.provenance ?? collectProvenance(dirname(placement.configFile)),
    host: hostname(),
    pid: process.pid,
  };
}

/** The manifest's `blas` field, on the blas kernel path only. */
function blasRecord(): { blas: BlasRecord } | Record<string, never> {
  const { blas } = kernelChoice();
  return blas === null ? {} : { blas: { ...blas, min_product: BLAS_MIN_PRODUCT } };
}

/** The run's config.yaml: the config as it ran, so that `adam-lab train <run>/config.yaml` reruns it from anywhere. */
function writeResolvedConfig(writer: RunWriter, config: ExperimentConfig, configFile: string): void {
  writer.writeConfig(formatConfig(withAbsolutePaths(config, configFile), ` resolved by adam-lab from ${configFile}; every default filled in, paths made absolute`));
}
