/**
 * runExperiment: one resolved config → one run directory, in three steps: build the run
 * (build.ts: data, checks, model, optimizer), open its folder (open-run.ts: config.yaml and a
 * `running` manifest), train (loop.ts) while writing steps.csv and epochs.csv, then write
 * model.safetensors and the final manifest, as DESIGN.md lays the folder out.
 */
import type { Dataset } from '../data/dataset.js';
import { encodeModelWeights } from '../engine/weights.js';
import { kernelChoice } from '../kernels/choice.js';
import { formatFloat32 } from '../runs/numbers.js';
import type { EpochRow } from '../runs/run-writer.js';
import { buildTraining, type Training } from './build.js';
import type { EpochEvent, RunResult, TrainEvent } from './events.js';
import { trainLoop } from './loop.js';
import { openRun, type OpenRun, type RunPlacement } from './open-run.js';

export interface ExperimentOptions extends RunPlacement {
  /** A dataset already loaded for this config's data block (shared across trials). */
  readonly dataset?: Dataset;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
}

export async function runExperiment(config: Training['config'], options: ExperimentOptions): Promise<RunResult> {
  const emit = options.onEvent ?? (() => {});
  const training = buildTraining(config, options.configFile, options.dataset);
  const run = openRun(config, options, training.plan.parameterCount, training.init);
  emit({
    type: 'start',
    runDir: run.writer.dir,
    name: config.name,
    seed: config.seed,
    parameterCount: training.plan.parameterCount,
    kernel: kernelChoice().path,
    trainSize: training.dataset.train.size,
    testSize: training.dataset.test?.size ?? null,
    stepsPerEpoch: training.stepsPerEpoch,
    totalSteps: training.plannedSteps,
    epochs: config.train.epochs ?? null,
    warnings: training.warnings,
    groups: training.groups,
    init: training.init,
  });
  try {
    return await train(training, run, options, emit);
  } catch (error) {
    try {
      run.writer.writeManifest({ ...run.started, status: 'failed', ended_at: new Date().toISOString(), error: (error as Error).message });
    } catch {
      // the original error says more than a second failure to write
    }
    throw error;
  }
}

/** The loop, with every evaluation written to epochs.csv as it comes; then the weights and the final manifest. */
async function train(training: Training, run: OpenRun, options: ExperimentOptions, emit: (event: TrainEvent) => void): Promise<RunResult> {
  const { writer, started } = run;
  const epochRows: EpochRow[] = [];
  let last: EpochEvent | null = null;
  const began = performance.now();
  const outcome = await trainLoop(training, {
    signal: options.signal,
    onSteps: (rows) => writer.appendSteps(rows),
    onInternals: (rows) => writer.appendInternals(training.config.optimizer.name, rows),
    onProgress: emit,
    onEpoch: (event) => {
      last = event;
      epochRows.push(epochRow(event));
      writer.writeEpochs(epochRows);
      emit(event);
    },
  });
  writer.finishSteps();
  writer.finishInternals();
  writer.writeEpochs(epochRows);
  writer.writeWeights(encodeModelWeights(training.model));
  const ended = { ended_at: new Date().toISOString(), steps: outcome.steps, epochs: epochRows.length };
  writer.writeManifest({ ...started, ...ended, status: outcome.status, diverged_at_step: outcome.divergedAtStep, early_stopping: training.earlyStopping?.record() ?? null });
  const result: RunResult = { status: outcome.status, runDir: writer.dir, steps: outcome.steps, divergedAtStep: outcome.divergedAtStep, last, seconds: (performance.now() - began) / 1000 };
  emit({ type: 'end', result });
  return result;
}

function epochRow(e: EpochEvent): EpochRow {
  const f = (x: number | null): string => (x === null ? '' : formatFloat32(x));
  return {
    epoch: String(e.epoch),
    step: String(e.step),
    train_loss: f(e.trainLoss),
    train_accuracy: e.trainAccuracy === null ? '' : String(e.trainAccuracy),
    val_loss: f(e.valLoss),
    val_accuracy: e.valAccuracy === null ? '' : String(e.valAccuracy),
    test_loss: f(e.testLoss),
    test_accuracy: e.testAccuracy === null ? '' : String(e.testAccuracy),
    seconds: e.seconds.toFixed(6),
  };
}
