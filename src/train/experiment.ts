/**
 * runExperiment: one resolved config → one run directory, in three steps: build the run
 * (build.ts: data, checks, model, optimizer), open its folder (open-run.ts: config.yaml and a
 * `running` manifest), train (loop.ts) while writing steps.csv and epochs.csv, then write
 * model.safetensors and the final manifest, as DESIGN.md lays the folder out. With `resume`, the
 * second step is instead: put the run folder's checkpoint back (checkpoint.ts) and cut its files
 * back to it; with train.checkpoint_every(_seconds), the loop writes checkpoint/ as it goes.
 */
import { summarizeModel } from '../engine/model.js';
import type { Dataset } from '../data/dataset.js';
import { encodeModelWeights } from '../engine/weights.js';
import { kernelChoice } from '../kernels/choice.js';
import { formatFloat32, formatSeconds } from '../runs/numbers.js';
import { writeCheckpoint } from '../runs/checkpoint-dir.js';
import { bucketColumn, type EpochRow } from '../runs/run-writer.js';
import { RUN_FILES } from '../runs/layout.js';
import { readVocabulary, sameVocabulary, writeVocabulary } from '../runs/vocabulary.js';
import { DataError } from '../core/errors.js';
import { join } from 'node:path';
import { buildTraining, type Training } from './build.js';
import { checkpointFiles, readCheckpoint, restoreCheckpoint, type LoopPosition } from './checkpoint.js';
import { evaluationPoint } from './evaluation-point.js';
import type { EpochEvent, RunResult, TrainEvent } from './events.js';
import { trainLoop, type Checkpointer } from './loop.js';
import { openRun, reopenRun, type OpenRun, type RunPlacement } from './open-run.js';
import { trajectoryColumns } from './trajectory.js';

export interface ExperimentOptions extends RunPlacement {
  /** A dataset already loaded for this config's data block (shared across trials). */
  readonly dataset?: Dataset;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
  /** Continue the run in `runDir` from its checkpoint (refused, as a DataError, when it does not fit this config and build). */
  readonly resume?: boolean;
}

/** A run folder opened for training: new, or reopened at a checkpoint's position with the evaluations before it. */
interface Opened {
  readonly run: OpenRun;
  readonly from: LoopPosition | null;
  readonly epochRows: EpochRow[];
}

export async function runExperiment(config: Training['config'], options: ExperimentOptions): Promise<RunResult> {
  const emit = options.onEvent ?? (() => {});
  // Before anything is made: a library ADAM_LAB_BLAS names that does not work stops here (kernels/blas.ts).
  kernelChoice();
  const training = buildTraining(config, options.configFile, options.dataset);
  const opened = options.resume === true ? resumeRun(training, options) : { run: openRun(config, options, training.plan.parameterCount, training.init), from: null, epochRows: [] };
  const { run } = opened;
  keepVocabulary(training, run.writer.dir, options.resume === true);
  emit({
    type: 'start',
    runDir: run.writer.dir,
    name: config.name,
    seed: config.seed,
    parameterCount: training.plan.parameterCount,
    layers: summarizeModel(training.plan),
    inputShape: training.plan.inputShape,
    kernel: kernelChoice().path,
    trainSize: training.dataset.train.size,
    testSize: training.dataset.test?.size ?? null,
    stepsPerEpoch: training.stepsPerEpoch,
    totalSteps: training.plannedSteps,
    epochs: config.train.epochs ?? null,
    warnings: training.warnings,
    groups: training.groups,
    init: training.init,
    resumedFrom: opened.from?.step ?? null,
    ...(config.objective === undefined ? {} : { objective: objectiveLine(config.objective) }),
  });
  try {
    return await train(training, opened, options, emit);
  } catch (error) {
    try {
      run.writer.writeManifest({ ...run.started, status: 'failed', ended_at: new Date().toISOString(), error: (error as Error).message });
    } catch {
      // the original error says more than a second failure to write
    }
    throw error;
  }
}

/**
 * A text run writes its vocabulary beside its weights; a resumed one must read its text into the
 * same ids, or its weights would mean other characters.
 */
function keepVocabulary(training: Training, runDir: string, resumed: boolean): void {
  const { vocabulary } = training.dataset;
  if (vocabulary === undefined) return;
  if (!resumed) return writeVocabulary(runDir, vocabulary);
  if (!sameVocabulary(readVocabulary(runDir), vocabulary)) {
    throw new DataError(join(runDir, RUN_FILES.vocabulary), 'differs from the vocabulary of the text the config reads now', 'resume with the text the run was started on');
  }
}

/** The checkpoint of the run in `options.runDir`, put back into `training`; the folder cut back to it. */
function resumeRun(training: Training, options: ExperimentOptions): Opened {
  const runDir = options.runDir;
  if (runDir === undefined) throw new RangeError('resume needs the run folder (runDir)');
  const { folder, state } = readCheckpoint(runDir, training.config, options.configFile);
  const from = restoreCheckpoint(training, folder, state);
  const run = reopenRun(training.config, { ...options, runDir }, training.plan.parameterCount, state.rows);
  if (training.objective !== null) run.writer.resumeTrajectory(trajectoryColumns(training.objective), state.rows.steps);
  return { run, from, epochRows: run.epochRows };
}

/** Writes checkpoint/ every checkpoint_every steps and every checkpoint_every_seconds; undefined when neither is set. */
function checkpointer(training: Training, run: OpenRun, configFile: string, epochRows: readonly EpochRow[]): Checkpointer | undefined {
  const { checkpoint_every: every, checkpoint_every_seconds: seconds } = training.config.train;
  if (every === undefined && seconds === undefined) return undefined;
  let last = performance.now();
  return {
    due: (step) => (every !== undefined && step % every === 0) || (seconds !== undefined && performance.now() - last >= seconds * 1000),
    save(position) {
      writeCheckpoint(run.writer.dir, checkpointFiles(training, run.writer.dir, configFile, position, epochRows.length));
      last = performance.now();
    },
  };
}

/** The loop, with every evaluation written to epochs.csv as it comes; then the weights and the final manifest. */
async function train(training: Training, opened: Opened, options: ExperimentOptions, emit: (event: TrainEvent) => void): Promise<RunResult> {
  const { writer, started } = opened.run;
  const epochRows: EpochRow[] = [...opened.epochRows];
  let last: EpochEvent | null = epochRows.length === 0 ? null : epochEvent(epochRows[epochRows.length - 1]);
  const began = performance.now();
  const outcome = await trainLoop(training, {
    checkpointer: checkpointer(training, opened.run, options.configFile, epochRows),
    signal: options.signal,
    onSteps: (rows) => writer.appendSteps(rows),
    onInternals: (rows) => writer.appendInternals(training.config.optimizer.name, rows),
    onTrajectory: (rows) => writer.appendTrajectory(trajectoryColumns(training.objective!), rows),
    onProgress: emit,
    onEpoch: (event) => {
      last = event;
      epochRows.push(epochRow(event, training.dataset.vocabulary !== undefined));
      writer.writeEpochs(epochRows);
      emit(event);
    },
  }, opened.from ?? undefined);
  writer.finishSteps();
  writer.finishInternals();
  writer.finishTrajectory();
  writer.writeEpochs(epochRows);
  writer.writeWeights(evaluationPoint(training)(() => encodeModelWeights(training.model)));
  const ended = { ended_at: new Date().toISOString(), steps: outcome.steps, epochs: epochRows.length };
  const evaluations = functionEvaluations(training);
  writer.writeManifest({
    ...started,
    ...ended,
    status: outcome.status,
    diverged_at_step: outcome.divergedAtStep,
    early_stopping: training.earlyStopping?.record() ?? null,
    ...(evaluations === undefined ? {} : { function_evaluations: evaluations }),
  });
  const result: RunResult = {
    status: outcome.status,
    runDir: writer.dir,
    steps: outcome.steps,
    divergedAtStep: outcome.divergedAtStep,
    last,
    seconds: (performance.now() - began) / 1000,
    resumedFrom: opened.from?.step ?? null,
  };
  emit({ type: 'end', result });
  return result;
}

/** The closure evaluations an optimizer that counts them (L-BFGS's func_evals, one segment) made over the run. */
function functionEvaluations(training: Training): number | undefined {
  return training.optimizer.segmentScalars()[0]?.get('func_evals')?.[0];
}

/** An objective in words for the run's start: "rosenbrock, 2 coordinates from (-1.5, 2), domain [-1, 1], gradient noise 0.1". */
function objectiveLine(o: NonNullable<Training['config']['objective']>): string {
  const domain = o.domain === undefined ? '' : `, domain ${JSON.stringify(o.domain).replaceAll(',', ', ')}`;
  return `${o.name}, ${o.start.length} coordinate${o.start.length > 1 ? 's' : ''} from (${o.start.join(', ')})${domain}${o.noise > 0 ? `, gradient noise ${o.noise}` : ''}`;
}

/** An evaluation as its epochs.csv row; a text run's (`bits`) adds its losses in bits per character. */
function epochRow(e: EpochEvent, bits: boolean): EpochRow {
  const f = (x: number | null): string => (x === null ? '' : formatFloat32(x));
  const b = (nats: number | null): string => f(nats === null ? null : Math.fround(nats / Math.LN2));
  return {
    ...(bits ? { train_bpc: b(e.trainLoss), val_bpc: b(e.valLoss), test_bpc: b(e.testLoss) } : {}),
    epoch: String(e.epoch),
    step: String(e.step),
    train_loss: f(e.trainLoss),
    train_accuracy: e.trainAccuracy === null ? '' : String(e.trainAccuracy),
    val_loss: f(e.valLoss),
    val_accuracy: e.valAccuracy === null ? '' : String(e.valAccuracy),
    test_loss: f(e.testLoss),
    test_accuracy: e.testAccuracy === null ? '' : String(e.testAccuracy),
    seconds: formatSeconds(e.seconds),
    ...Object.fromEntries((e.testBuckets ?? []).map((loss, b) => [bucketColumn(b), f(loss)])),
  };
}

/** test_loss_bucket_0, 1, … of a row, in order, as far as they go. */
function bucketLosses(row: EpochRow, n: (x: string) => number | null): (number | null)[] {
  const losses: (number | null)[] = [];
  for (let b = 0; row[bucketColumn(b)] !== undefined; b++) losses.push(n(row[bucketColumn(b)]));
  return losses;
}

/** An epochs.csv row read back as the evaluation it records (a resumed run's last one so far). */
function epochEvent(row: EpochRow): EpochEvent {
  const n = (x: string): number | null => (x === '' ? null : Number(x));
  return {
    type: 'epoch',
    epoch: Number(row.epoch),
    step: Number(row.step),
    trainLoss: Number(row.train_loss),
    trainAccuracy: n(row.train_accuracy),
    valLoss: n(row.val_loss),
    valAccuracy: n(row.val_accuracy),
    testLoss: n(row.test_loss),
    testAccuracy: n(row.test_accuracy),
    ...(row[bucketColumn(0)] === undefined ? {} : { testBuckets: bucketLosses(row, n) }),
    seconds: Number(row.seconds),
  };
}
