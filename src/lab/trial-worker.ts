/**
 * A sweep trial in a worker thread (piscina runs this module's default export). The dataset
 * arrives as shared memory; progress goes back over a MessagePort, which also carries the
 * request to stop ('abort'): the trial then finishes its step and writes everything, exactly
 * as `adam-lab train` does on Ctrl-C. A trial whose folder holds a checkpoint continues from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { requireOptimizerPlugins } from '../config/optimizer-plugins.js';
import type { ExperimentConfig } from '../config/schema.js';
import { CheckpointError } from '../core/errors.js';
import { assembleDataset, reviveSource, type DataSource } from '../data/registry.js';
import type { PluginRecord } from '../optim/plugins.js';
import type { Provenance } from '../runs/provenance.js';
import { freshTrialDirectory } from '../runs/sweep-dir.js';
import type { RunResult } from '../train/events.js';
import { runExperiment } from '../train/experiment.js';
import { recordFailedRun } from '../train/open-run.js';

export interface TrialTask {
  readonly config: ExperimentConfig;
  readonly configFile: string;
  readonly runDir: string;
  readonly provenance: Provenance;
  /** Files the trial reads, loaded once by the main thread; null for synthetic data. */
  readonly source: DataSource | null;
  readonly port: MessagePort;
  /** The trial's folder holds a checkpoint of an interrupted attempt: continue from it. */
  readonly resume: boolean;
  /** The sweep's folder and the trial's id, to start the trial over when its checkpoint is refused. */
  readonly sweepDir: string;
  readonly trialId: string;
  /** The --optimizer-plugin files the trial's optimizer needs: the worker loads them (bytes checked) before it runs. */
  readonly plugins: readonly PluginRecord[];
}

export type TrialOutcome = Omit<RunResult, 'status'> & {
  readonly status: RunResult['status'] | 'failed';
  readonly error: string | null;
  /** Why the trial's checkpoint was not resumed from (it then ran from the start), or null. */
  readonly resumeRefused: string | null;
};

export default async function runTrial(task: TrialTask): Promise<TrialOutcome> {
  const { config, port } = task;
  const controller = new AbortController();
  port.on('message', (message) => {
    if (message === 'abort') controller.abort();
  });
  const began = performance.now();
  try {
    await requireOptimizerPlugins(task.plugins);
    const dataset =
      task.source === null || config.data === undefined || config.data.dataset === 'synthetic' || config.data.dataset === 'text' ? undefined : assembleDataset(reviveSource(task.source), config.data, config.seed);
    const run = (resume: boolean): Promise<RunResult> =>
      runExperiment(config, {
        configFile: task.configFile,
        runDir: task.runDir,
        dataset,
        provenance: task.provenance,
        signal: controller.signal,
        onEvent: (event) => port.postMessage(event),
        resume,
      });
    if (!task.resume) return { ...(await run(false)), error: null, resumeRefused: null };
    try {
      return { ...(await run(true)), error: null, resumeRefused: null };
    } catch (error) {
      // A checkpoint another build wrote, or a damaged one, costs the trial its progress, not its result.
      if (!(error instanceof CheckpointError)) throw error;
      freshTrialDirectory(task.sweepDir, task.trialId);
      return { ...(await run(false)), error: null, resumeRefused: error.message };
    }
  } catch (error) {
    try {
      if (!existsSync(join(task.runDir, 'manifest.json'))) recordFailedRun(config, task, error);
    } catch {
      // The folder cannot be written either (the disk is full, the folder is gone). Report the
      // trial as failed all the same: an error escaping a worker reaches the main thread as a
      // plain Error, which the CLI could only call an internal error.
    }
    return {
      status: 'failed',
      runDir: task.runDir,
      steps: 0,
      divergedAtStep: null,
      last: null,
      seconds: (performance.now() - began) / 1000,
      resumedFrom: null,
      error: error instanceof Error ? error.message : String(error),
      resumeRefused: null,
    };
  } finally {
    port.close();
  }
}
