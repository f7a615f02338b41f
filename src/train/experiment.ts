/**
 * runExperiment: one resolved config → one run directory. Loads the data (unless given),
 * builds the model and optimizer, runs the loop, and writes config.yaml, steps.csv,
 * epochs.csv, model.safetensors and manifest.json as DESIGN.md lays them out.
 */
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { formatConfig, withAbsolutePaths } from '../config/format.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, resolveFromConfig } from '../data/registry.js';
import { matchTargets } from '../data/targets.js';
import { lossKinds } from '../engine/losses/index.js';
import { layerName } from '../engine/layers/index.js';
import { Model, planModel, type ModelPlan } from '../engine/model.js';
import { encodeModelWeights, loadModelWeights, readWeightsFile } from '../engine/weights.js';
import { AllocationError, ConfigError, DataError } from '../core/errors.js';
import { createOptimizer } from '../optim/registry.js';
import { createSchedule, type ScheduleConfig } from '../optim/schedules.js';
import { createRunDirectory } from '../runs/layout.js';
import type { Manifest } from '../runs/manifest.js';
import { formatFloat32 } from '../runs/numbers.js';
import { collectProvenance, type Provenance } from '../runs/provenance.js';
import { RunWriter, type EpochRow } from '../runs/run-writer.js';
import type { EpochEvent, RunResult, TrainEvent } from './events.js';
import { batchesPerEpoch, largestEvaluated, trainLoop } from './loop.js';
import { EarlyStopping } from './early-stopping.js';
import { accuracyRule } from './metrics.js';

import { KERNEL } from '../kernels/matmul.js';

export interface ExperimentOptions {
  /** The config's file: relative data and init paths start at its folder. */
  readonly configFile: string;
  /** Runs root; the run goes to <outRoot>/<name>/<run-id>/. */
  readonly outRoot?: string;
  /** Or an exact run directory, which must exist and be empty (used by sweeps). */
  readonly runDir?: string;
  /** A dataset already loaded for this config's data block (shared across trials). */
  readonly dataset?: Dataset;
  readonly provenance?: Provenance;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
}

export async function runExperiment(config: ExperimentConfig, options: ExperimentOptions): Promise<RunResult> {
  const emit = options.onEvent ?? (() => {});
  const lossKind = lossKinds[config.loss];
  const dataset = options.dataset ?? withinMemory(options.configFile, ['data'], 'the dataset', () => loadDataset(config.data, options.configFile, lossKind.targets, config.seed));
  const plan = planModel(config.model.layers, dataset.inputShape);
  const match = matchTargets(dataset.targets, lossKind.targets, plan.outShape.reduce((a, b) => a * b, 1));
  if ('problem' in match) {
    throw new ConfigError(options.configFile, [{ path: ['model', 'layers', config.model.layers.length - 1], problem: match.problem }]);
  }
  const { batch_size: batchSize, eval_batch_size: evalBatchSize, drop_last: dropLast } = config.data;
  const stepsPerEpoch = batchesPerEpoch(dataset.train.size, batchSize, dropLast);
  if (stepsPerEpoch === 0) {
    throw new DataError(options.configFile, `the training set has ${dataset.train.size} samples: no full batch of ${batchSize} with drop_last`);
  }
  checkBatchNormBatches(plan, dataset.train.size, batchSize, dropLast, options.configFile);
  // Buffers are sized for the largest batch that can occur, and no batch holds more samples than its split.
  const maxBatch = Math.max(Math.min(batchSize, dataset.train.size), Math.min(evalBatchSize, largestEvaluated(dataset)));
  const model = withinMemory(options.configFile, ['model', 'layers'], `the model (${plan.parameterCount} parameters, batches of ${maxBatch})`, () => new Model(plan, maxBatch, config.seed));
  if (config.model.init !== undefined) {
    const file = resolveFromConfig(options.configFile, config.model.init.from);
    loadModelWeights(model, readWeightsFile(file), file);
  }
  const optimizer = withinMemory(options.configFile, ['optimizer'], `the optimizer's state for ${plan.parameterCount} parameters`, () => createOptimizer(config.optimizer, model.values, config.train));
  const epochs = config.train.epochs ?? null;
  const maxSteps = config.train.max_steps ?? null;
  const plannedSteps = Math.min(epochs === null ? Infinity : epochs * stepsPerEpoch, maxSteps ?? Infinity);
  const schedule = config.scheduler === undefined ? null : createSchedule(checkSchedule(config, options.configFile, plannedSteps), optimizer.hyper, plannedSteps);

  const earlyStopping = config.train.early_stopping === undefined ? null : new EarlyStopping(config.train.early_stopping);
  checkWatchedMetrics(config, options.configFile, dataset);
  const runDir = options.runDir ?? createRunDirectory(options.outRoot ?? 'runs', config.name, new Date());
  const writer = new RunWriter(runDir);
  const started = runningManifest(config, options, runDir, plan.parameterCount);
  writeResolvedConfig(writer, config, options.configFile);
  writer.writeManifest(started);
  emit({
    type: 'start',
    runDir,
    name: config.name,
    seed: config.seed,
    parameterCount: plan.parameterCount,
    kernel: KERNEL,
    trainSize: dataset.train.size,
    testSize: dataset.test?.size ?? null,
    stepsPerEpoch,
    totalSteps: plannedSteps,
    epochs,
  });

  const epochRows: EpochRow[] = [];
  let last: EpochEvent | null = null;
  const began = performance.now();
  try {
    const outcome = await trainLoop(
      {
        model,
        optimizer,
        schedule,
        lossKind,
        dataset,
        encoding: match.encoding,
        targetWidth: match.width,
        accuracy: accuracyRule(dataset.targets, match.encoding, lossKind.threshold),
        seed: config.seed,
        batchSize,
        evalBatchSize,
        shuffle: config.data.shuffle,
        dropLast,
        epochs,
        maxSteps,
        evalEvery: config.train.eval_every ?? null,
        earlyStopping,
      },
      {
        signal: options.signal,
        onSteps: (rows) => writer.appendSteps(rows),
        onProgress: emit,
        onEpoch: (event) => {
          last = event;
          epochRows.push(epochRow(event));
          writer.writeEpochs(epochRows);
          emit(event);
        },
      },
    );
    writer.finishSteps();
    writer.writeEpochs(epochRows);
    writer.writeWeights(encodeModelWeights(model));
    const ended = { ended_at: new Date().toISOString(), steps: outcome.steps, epochs: epochRows.length };
    writer.writeManifest({ ...started, ...ended, status: outcome.status, diverged_at_step: outcome.divergedAtStep, early_stopping: earlyStopping?.record() ?? null });
    const result: RunResult = {
      status: outcome.status,
      runDir,
      steps: outcome.steps,
      divergedAtStep: outcome.divergedAtStep,
      last,
      seconds: (performance.now() - began) / 1000,
    };
    emit({ type: 'end', result });
    return result;
  } catch (error) {
    try {
      writer.writeManifest({ ...started, status: 'failed', ended_at: new Date().toISOString(), error: (error as Error).message });
    } catch {
      // the original error says more than a second failure to write
    }
    throw error;
  }
}

/**
 * Runs `build`, which allocates what a config asks for, and turns an AllocationError (an array
 * that cannot be that large) into a ConfigError at the config path that asked, so that
 * `linear: 1.0e+9` is bad input rather than an internal error. Any other failure, a RangeError
 * from a bug included, passes through as it is.
 */
function withinMemory<T>(configFile: string, path: string[], what: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof AllocationError)) throw error;
    throw new ConfigError(configFile, [{ path, problem: `${what} does not fit in memory (${error.message}); make it smaller` }]);
  }
}

function runningManifest(config: ExperimentConfig, options: ExperimentOptions, runDir: string, parameterCount: number | null): Manifest {
  return {
    name: config.name,
    run_id: basename(runDir),
    status: 'running',
    seed: config.seed,
    config_file: options.configFile,
    parameter_count: parameterCount,
    kernel: KERNEL,
    started_at: new Date().toISOString(),
    ended_at: null,
    steps: 0,
    epochs: 0,
    diverged_at_step: null,
    error: null,
    provenance: options.provenance ?? collectProvenance(dirname(options.configFile)),
    host: hostname(),
    pid: process.pid,
  };
}

/**
 * Records a run that failed before it could start (its data or model did not fit) in the run
 * directory it was given, so that a sweep's table shows the trial as failed with the reason.
 */
export function recordFailedRun(config: ExperimentConfig, options: ExperimentOptions & { readonly runDir: string }, error: unknown): void {
  const writer = new RunWriter(options.runDir);
  writeResolvedConfig(writer, config, options.configFile);
  const message = error instanceof Error ? error.message : String(error);
  writer.writeManifest({ ...runningManifest(config, options, options.runDir, null), status: 'failed', ended_at: new Date().toISOString(), error: message });
}

/** The run's config.yaml: the config as it ran, so that `adam-lab train <run>/config.yaml` reruns it from anywhere. */
function writeResolvedConfig(writer: RunWriter, config: ExperimentConfig, configFile: string): void {
  writer.writeConfig(formatConfig(withAbsolutePaths(config, configFile), ` resolved by adam-lab from ${configFile}; every default filled in, paths made absolute`));
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

/**
 * Batch norm on one value per channel (batchnorm1d on [C]) cannot normalize a batch of one, as
 * in torch; say so before training rather than fail at the epoch's last batch.
 */
function checkBatchNormBatches(plan: ModelPlan, size: number, batchSize: number, dropLast: boolean, configFile: string): void {
  const single = plan.layers.findIndex((l) => layerName(l.config).startsWith('batchnorm') && l.inShape.length === 1);
  if (single < 0) return;
  const lastBatch = dropLast ? batchSize : size % batchSize || batchSize;
  if (Math.min(batchSize, lastBatch) === 1) {
    throw new ConfigError(configFile, [
      { path: ['data', 'batch_size'], problem: `layer ${single} (batch norm on [${plan.layers[single].inShape.join(', ')}]) would see a batch of one sample (${size} samples in batches of ${batchSize}); set data.drop_last: true or another batch_size` },
    ]);
  }
}

/** one_cycle_lr must last as long as the run. */
function checkSchedule(config: ExperimentConfig, configFile: string, plannedSteps: number): ScheduleConfig {
  const scheduler = config.scheduler!;
  const problem = (key: string, text: string): never => {
    throw new ConfigError(configFile, [{ path: ['scheduler', key], problem: text }]);
  };
  if (scheduler.name === 'one_cycle_lr' && typeof scheduler.total_steps === 'number' && scheduler.total_steps < plannedSteps) {
    problem('total_steps', `is ${scheduler.total_steps}, but the run takes ${plannedSteps} steps (torch's OneCycleLR stops there); leave it out to use the run's length`);
  }
  return scheduler;
}

/** A plateau schedule or early stopping may only watch what the run measures. */
function checkWatchedMetrics(config: ExperimentConfig, configFile: string, dataset: Dataset): void {
  const watched: [string[], string | undefined][] = [
    [['scheduler', 'metric'], config.scheduler?.name === 'reduce_lr_on_plateau' ? String(config.scheduler.metric) : undefined],
    [['train', 'early_stopping', 'metric'], config.train.early_stopping?.metric],
  ];
  for (const [path, metric] of watched) {
    if (metric?.startsWith('test_') && dataset.test === null) {
      throw new ConfigError(configFile, [{ path, problem: `watches ${metric}, but the dataset has no test split` }]);
    }
    if (metric?.startsWith('val_') && dataset.validation === null) {
      throw new ConfigError(configFile, [{ path, problem: `watches ${metric}: hold out validation data with data.validation (e.g. 0.1)` }]);
    }
  }
}
