/** manifest.json: what a run was, where it came from and how it ended. */
import { z } from 'zod';
import type { PluginRecord } from '../optim/plugins.js';
import type { Provenance } from './provenance.js';

/** Where early stopping stopped a run and where its watched metric was best. */
export interface EarlyStopRecord {
  readonly metric: string;
  readonly stopped_at_step: number | null;
  readonly best_value: number | null;
  readonly best_epoch: number | null;
  readonly best_step: number | null;
}

/**
 * What model.init.from gave the run (state names, in the model's order): the tensors loaded, the
 * model's tensors left to their fresh init, and the file's tensors not loaded.
 */
export interface InitRecord {
  /** The weights file, absolute. */
  readonly from: string;
  readonly strict: boolean;
  readonly loaded: readonly string[];
  readonly fresh: readonly string[];
  readonly ignored: readonly string[];
}

/** The CBLAS library of a run on the blas kernel path (kernels/blas.ts). */
export interface BlasRecord {
  readonly library: string;
  readonly config: string | null;
  readonly core: string | null;
  readonly threads: number | null;
  /** Products of fewer multiply-adds ran on the WebAssembly kernel. */
  readonly min_product: number;
}

export const RUN_STATUSES = ['running', 'completed', 'diverged', 'interrupted', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface Manifest {
  readonly name: string;
  readonly run_id: string;
  readonly status: RunStatus;
  readonly seed: number;
  readonly config_file: string;
  /** Null when the run failed before its model was built. */
  readonly parameter_count: number | null;
  /** Which matmul path trained the model. */
  readonly kernel: string;
  /** On the blas path: the library, its build and core type, its threads, and the smallest product sent to it. */
  readonly blas?: BlasRecord;
  /** Shards each batch was cut into (ADAM_LAB_SHARDS), when more than one: they decide the gradient's bits as the kernel does. */
  readonly batch_shards?: number;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly steps: number;
  readonly epochs: number;
  /** Step whose loss was NaN or infinite, when status is 'diverged'. */
  readonly diverged_at_step: number | null;
  /** What model.init.from loaded and what was initialised fresh (when the config names a file). */
  readonly init?: InitRecord | null;
  /** Where early stopping stopped the run and where the watched metric was best (when configured). */
  readonly early_stopping?: EarlyStopRecord | null;
  /** L-BFGS: loss and gradient evaluations over the run, its steps' closure calls (torch's state['func_evals']). */
  readonly function_evaluations?: number;
  /** Each time the run was resumed from its checkpoint: the step it continued after, and when. */
  readonly resumes?: readonly { readonly from_step: number; readonly at: string }[];
  /** The --optimizer-plugin file of the run's optimizer, when it is a plugin's. */
  readonly optimizer_plugin?: PluginRecord;
  /** The error message, when status is 'failed'. */
  readonly error: string | null;
  readonly provenance: Provenance;
  /** The machine and process that ran it (a sweep skips trials a live process is still running). */
  readonly host: string;
  readonly pid: number;
}

/**
 * What a manifest read back from disk must hold before a sweep, a report or a merge acts on it:
 * the fields they read, checked; the others (written by the same writer) kept as they are. A
 * status that is not one of RUN_STATUSES would otherwise be taken for an unfinished trial and run
 * again, or reach a report as something other than text.
 */
export const recordedManifestSchema = z.looseObject({
  status: z.enum(RUN_STATUSES),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  diverged_at_step: z.int().min(0).nullable(),
});

export type RecordedManifest = z.output<typeof recordedManifestSchema>;
