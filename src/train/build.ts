/**
 * Building a run from a resolved config: the data (unless given), the config checked against them
 * (config/validate.ts, now with the splits' sizes), the model with its init weights, the
 * optimizer, the schedule and early stopping. Nothing is written here, so a config that fails
 * leaves no run folder behind.
 *
 * An objective (engine/objectives/) is built as a model of one layer over member-index samples
 * (data/member-samples.ts) with the objective's value as the loss, so that everything after this
 * file trains it as it trains a network.
 */
import type { ExperimentConfig, InitConfig } from '../config/schema.js';
import { batchesPerEpoch, batching, plannedSteps, scheduleLength, validateConfig } from '../config/validate.js';
import { memberSamples } from '../data/member-samples.js';
import { planObjective, samplesPerEpoch, type ObjectiveProblem } from '../engine/objectives/problem.js';
import { objectiveValue } from '../engine/objectives/value-loss.js';
import { AllocationError, ConfigError, DataError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, resolveFromConfig } from '../data/registry.js';
import { matchTargets, type TargetMatch } from '../data/targets.js';
import type { LossKind } from '../engine/losses/loss.js';
import { lossKinds } from '../engine/losses/registry.js';
import { chosenShards, SAMPLE_WISE, unshardableLayer, type ShardSetting } from '../engine/batch-shards.js';
import { layerName } from '../engine/layers/registry.js';
import { Model, planModel, type ModelPlan } from '../engine/model.js';
import { SHARDS_VARIABLE } from '../kernels/choice.js';
import { loadModelWeights, readWeightsFile } from '../engine/weights.js';
import { resolveGroups, type ParamGroupConfig, type TensorView } from '../optim/groups.js';
import { createOptimizer } from '../optim/registry.js';
import { createSchedule, lowestRateShare, type Schedule } from '../optim/schedules.js';
import type { Optimizer } from '../optim/transform.js';
import type { InitRecord } from '../runs/manifest.js';
import { EarlyStopping } from './early-stopping.js';
import { SCHEDULE_COLLAPSE, type GroupReport, type TrainWarning } from './events.js';
import { accuracyRule, type AccuracyRule } from './metrics.js';

/** Everything a run trains with, built and checked. */
export interface Training {
  readonly config: ExperimentConfig;
  readonly dataset: Dataset;
  readonly plan: ModelPlan;
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule | null;
  readonly earlyStopping: EarlyStopping | null;
  readonly lossKind: LossKind;
  readonly targets: Extract<TargetMatch, { encoding: unknown }>;
  readonly accuracy: AccuracyRule;
  readonly stepsPerEpoch: number;
  /** Steps the run takes if nothing stops it early. */
  readonly plannedSteps: number;
  readonly warnings: readonly TrainWarning[];
  readonly groups: readonly GroupReport[];
  /** What model.init.from loaded, when the config names one. */
  readonly init: InitRecord | null;
  /** The objective the model stands for, when the config trains on one. */
  readonly objective: ObjectiveProblem | null;
}

export function buildTraining(config: ExperimentConfig, configFile: string, given?: Dataset): Training {
  const problem = config.objective === undefined ? null : planObjective(config.objective);
  const lossKind = config.loss === undefined ? objectiveValue : lossKinds[config.loss];
  const dataset =
    given ??
    (config.data === undefined
      ? memberSamples(samplesPerEpoch(problem!.objective))
      : withinMemory(configFile, ['data'], 'the dataset', () => loadDataset(config.data, configFile, lossKind.targets, config.seed)));
  const sizes = { train: dataset.train.size, validation: dataset.validation?.size ?? null, test: dataset.test?.size ?? null };
  // The loaders refuse empty files by name; a dataset handed over (a program's own) is checked here.
  const empty = (['train', 'validation', 'test'] as const).find((split) => sizes[split] === 0);
  if (empty !== undefined) throw new DataError(configFile, `the ${empty === 'train' ? 'training' : empty} split has no samples: every split needs at least one`);
  // The init file was checked when the config was resolved; the tensors are compared again when loaded below.
  const issues = validateConfig(config, { data: dataset, init: null, sizes });
  if (issues.length > 0) throw new ConfigError(configFile, issues);
  const { batch_size: batchSize, eval_batch_size: evalBatchSize, drop_last: dropLast } = batching(config);
  const stepsPerEpoch = batchesPerEpoch(dataset.train.size, batchSize, dropLast);
  if (stepsPerEpoch === 0) {
    throw new DataError(configFile, `the training set has ${dataset.train.size} samples: no full batch of ${batchSize} with drop_last`);
  }
  const plan = problem?.plan ?? planModel(config.model!.layers, dataset.inputShape);
  const targets = matchTargets(dataset.targets, lossKind.targets, plan.outShape.reduce((a, b) => a * b, 1)) as Training['targets'];
  // Buffers are sized for the largest batch that can occur, and no batch holds more samples than its split.
  const maxBatch = Math.max(Math.min(batchSize, dataset.train.size), Math.min(evalBatchSize, largestEvaluated(dataset)));
  const shards = { ...shardSetting(config, plan, configFile), trainBatch: Math.min(batchSize, dataset.train.size) };
  const model = withinMemory(configFile, ['model', 'layers'], `the model (${plan.parameterCount} parameters, batches of ${maxBatch})`, () => new Model(plan, maxBatch, config.seed, shards));
  const initConfig = config.model?.init;
  const init = initConfig === undefined ? null : loadInit(model, initConfig, resolveFromConfig(configFile, initConfig.from));
  const optimizer = withinMemory(configFile, ['optimizer'], `the optimizer's state for ${plan.parameterCount} parameters`, () => createOptimizer(config.optimizer, model.values, config.train, tensorViews(model)));
  const steps = plannedSteps(config, dataset.train.size);
  const length = scheduleLength(config, dataset.train.size);
  return {
    config,
    dataset,
    plan,
    model,
    optimizer,
    schedule: config.scheduler === undefined ? null : createSchedule(config.scheduler, optimizer.hypers, length),
    earlyStopping: config.train.early_stopping === undefined ? null : new EarlyStopping(config.train.early_stopping),
    lossKind,
    targets,
    accuracy: accuracyRule(dataset.targets, targets.encoding, lossKind.threshold),
    stepsPerEpoch,
    plannedSteps: steps,
    warnings: scheduleWarnings(config, optimizer, length, stepsPerEpoch),
    groups: groupReports(config, tensorViews(model)),
    init,
    objective: problem,
  };
}

/**
 * The batch shards a step cuts its batch into (ADAM_LAB_SHARDS, kernels/choice.ts) and the threads
 * that run them; more than one is refused at the first layer that cannot run on a shard (one that
 * mixes the batch's samples or draws randomness), or for an objective, which has no batch to cut.
 */
function shardSetting(config: ExperimentConfig, plan: ModelPlan, configFile: string): ShardSetting {
  const setting = chosenShards();
  const index = setting.count === 1 ? null : unshardableLayer(plan);
  if (index === null) return setting;
  const shards = setting.count;
  const fix = `unset ${SHARDS_VARIABLE} or set it to 1`;
  if (config.objective !== undefined) throw new ConfigError(configFile, [{ path: ['objective'], problem: `${SHARDS_VARIABLE}=${shards} cuts each batch into shards, and an objective has no batch to cut: ${fix}` }]);
  const problem = `${layerName(plan.layers[index].config)} cannot run on shards of a batch (${SHARDS_VARIABLE}=${shards}): only layers that take every sample on its own and draw no randomness can (${SAMPLE_WISE.join(', ')}, without tie_weight); ${fix}`;
  throw new ConfigError(configFile, [{ path: ['model', 'layers', index], problem }]);
}

/** Loads model.init.from into the model; what was loaded and what kept its fresh init, for the start and the manifest. */
function loadInit(model: Model, options: InitConfig, file: string): InitRecord {
  const { loaded, fresh, ignored } = loadModelWeights(model, readWeightsFile(file), file, options);
  return { from: file, strict: options.strict ?? true, loaded, fresh, ignored };
}

/** What each parameter group took, for the run's start (nothing when the config has no param_groups). */
function groupReports(config: ExperimentConfig, tensors: readonly TensorView[]): GroupReport[] {
  const { param_groups: groups = [], ...topLevel } = config.optimizer as ExperimentConfig['optimizer'] & { param_groups?: ParamGroupConfig[] };
  if (groups.length === 0) return [];
  return resolveGroups(tensors, topLevel, groups).map((g) => {
    const { params: _params, frozen: _frozen, ...own } = g.index === null ? {} : groups[g.index];
    return {
      name: groupName(g.index),
      tensors: g.tensors.map((t) => t.name),
      parameters: g.tensors.reduce((sum, t) => sum + t.length, 0),
      frozen: g.frozen,
      options: own,
    };
  });
}

/** A group's name as the run prints it and internals.csv records it: "param_groups.0", ..., or "default". */
export function groupName(index: number | null): string {
  return index === null ? 'default' : `param_groups.${index}`;
}

/** A per-step schedule that collapses the rate within the first epoch (see ScheduleCollapse). */
function scheduleWarnings(config: ExperimentConfig, optimizer: Optimizer, length: number, stepsPerEpoch: number): TrainWarning[] {
  if (config.scheduler === undefined || config.scheduler.interval === 'epoch') return [];
  const share = lowestRateShare(config.scheduler, optimizer.hyper, length, Math.min(stepsPerEpoch, length));
  return share < SCHEDULE_COLLAPSE ? [{ kind: 'schedule-collapse', share, stepsPerEpoch }] : [];
}

/** The model's parameter tensors as the optimizer sees them: names, shapes and places in the flat vectors. */
export function tensorViews(model: Model): TensorView[] {
  return model.parameters.map((p) => ({ name: p.fullName, shape: p.shape, offset: p.value.byteOffset / 4 - model.values.byteOffset / 4, length: p.value.length }));
}

/** Samples in the larger of the splits evaluated (test and validation), 0 when there is neither. */
export function largestEvaluated(dataset: Dataset): number {
  return Math.max(dataset.test?.size ?? 0, dataset.validation?.size ?? 0);
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
