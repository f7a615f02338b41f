/**
 * One training run of `optimizers verify` on a worker thread of its own, so that it has its own
 * engine and GEMM thread count (ADAM_LAB_THREADS, read once per thread by kernels/choice.ts):
 * the determinism check trains the same config with 1 and with 2 GEMM threads this way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { requireOptimizerPlugins } from '../config/optimizer-plugins.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { PluginRecord } from '../optim/plugins.js';
import { runExperiment } from '../train/experiment.js';

export interface VerifyRun {
  readonly config: ExperimentConfig;
  readonly configFile: string;
  /** An empty folder for the run. */
  readonly runDir: string;
  readonly plugins: readonly PluginRecord[];
}

/** What the worker posts back: the run's status, or why it could not run. */
export type VerifyRunResult = { readonly status: string; readonly error: null } | { readonly status: null; readonly error: string };

const run = workerData as VerifyRun;
try {
  await requireOptimizerPlugins(run.plugins);
  const result = await runExperiment(run.config, { configFile: run.configFile, runDir: run.runDir });
  parentPort!.postMessage({ status: result.status, error: null } satisfies VerifyRunResult);
} catch (error) {
  parentPort!.postMessage({ status: null, error: error instanceof Error ? error.message : String(error) } satisfies VerifyRunResult);
}
