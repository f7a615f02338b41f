/** What the training loop reports while it runs. The CLI draws progress from these; nothing below src/cli prints. */
import type { Shape } from '../core/shape.js';
import type { LayerSummary } from '../engine/model.js';
import type { InitRecord, RunStatus } from '../runs/manifest.js';

export interface StartEvent {
  readonly type: 'start';
  readonly runDir: string;
  readonly name: string;
  readonly seed: number;
  readonly parameterCount: number;
  /** The model layer by layer (a Keras-style summary) and one sample's input shape. */
  readonly layers: readonly LayerSummary[];
  readonly inputShape: Shape;
  readonly kernel: string;
  readonly trainSize: number;
  readonly testSize: number | null;
  readonly stepsPerEpoch: number;
  /** Steps the run will take if nothing stops it early. */
  readonly totalSteps: number;
  readonly epochs: number | null;
  /** What the run was built with that looks like a mistake, though it may be meant. */
  readonly warnings: readonly TrainWarning[];
  /** The optimizer's parameter groups, when the config has param_groups (the default group last). */
  readonly groups: readonly GroupReport[];
  /** What model.init.from loaded and what was initialised fresh, when the config names a file. */
  readonly init: InitRecord | null;
  /** The step a resumed run continues after, or null for a run from the start. */
  readonly resumedFrom: number | null;
  /** What an objective run minimizes, in words ("rosenbrock, 2 coordinates from (-1.5, 2)"); absent for a run on data. */
  readonly objective?: string;
}

/** A parameter group as the run took it: which tensors, how many parameters, its own options. */
export interface GroupReport {
  /** "param_groups.0", ..., or "default". */
  readonly name: string;
  readonly tensors: readonly string[];
  readonly parameters: number;
  readonly frozen: boolean;
  /** The options the group sets itself (the others are the top-level ones). */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * A per-step schedule that drives the rate below SCHEDULE_COLLAPSE of its start within the first
 * epoch: usually counts meant in epochs (`interval: epoch` says so).
 */
export interface ScheduleCollapse {
  readonly kind: 'schedule-collapse';
  /** Lowest rate over the first epoch, as a share of the rate at step 0. */
  readonly share: number;
  readonly stepsPerEpoch: number;
}

export type TrainWarning = ScheduleCollapse;

export const SCHEDULE_COLLAPSE = 1e-6;

export interface ProgressEvent {
  readonly type: 'progress';
  readonly step: number;
  readonly epoch: number;
  /** Steps done in the current epoch. */
  readonly epochStep: number;
  readonly stepsPerEpoch: number;
  /** Running mean of this epoch's batch losses. */
  readonly loss: number;
  readonly lr: number;
  readonly samples: number;
  readonly seconds: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number | null;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Test loss per class-frequency bucket (zipf_classes), frequent first; null for a bucket without test samples. */
  readonly testBuckets?: readonly (number | null)[];
  readonly seconds: number;
}

export interface RunResult {
  readonly status: RunStatus;
  readonly runDir: string;
  readonly steps: number;
  readonly divergedAtStep: number | null;
  /** The last evaluation, if there was one. */
  readonly last: EpochEvent | null;
  readonly seconds: number;
  /** The step a resumed run continued after (its checkpoint's), or null for a run from the start. */
  readonly resumedFrom: number | null;
}

export interface EndEvent {
  readonly type: 'end';
  readonly result: RunResult;
}

export type TrainEvent = StartEvent | ProgressEvent | EpochEvent | EndEvent;
