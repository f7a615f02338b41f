/**
 * Validation of a config beyond its schema, in two explicit phases:
 *
 *   1. checkStatic(config)                what the config alone tells: keys checked against each
 *                                         other (a loss against the model's last layer, a schedule
 *                                         against the optimizer), no file read;
 *   2. checkAgainstFacts(config, facts)   the config against facts about its inputs: the dataset's
 *                                         input shape and targets (a CSV's header), the init file's
 *                                         tensors and, once the data are loaded, the splits' sizes.
 *
 * Facts are read once per base config (readFacts caches them per parsed file and data/init block),
 * so the trials of a sweep do not each re-read CSV headers and init files. `train` runs phase 2
 * again with the loaded dataset's facts, which add the sizes and a CSV's class count.
 */
import type { DatasetDescription } from '../data/dataset.js';
import { describeDataset, resolveFromConfig } from '../data/registry.js';
import { matchTargets } from '../data/targets.js';
import { layerName } from '../engine/layers/registry.js';
import { lossKinds } from '../engine/losses/registry.js';
import { LayerShapeError, ownParameters, parameterNames, planModel, type ModelPlan } from '../engine/model.js';
import { decodeSafetensors, type NamedTensor } from '../engine/safetensors.js';
import { matchState, readWeightsFile, type StateMatch } from '../engine/weights.js';
import { globToRegExp } from '../core/glob.js';
import { formatShape, sizeOf } from '../core/shape.js';
import { unmatchedPatterns, type ParamGroupConfig } from '../optim/groups.js';
import { groupOptimizer, optimizerGroups, optimizerKind } from '../optim/registry.js';
import { oneCyclePhaseEnds } from '../optim/schedules.js';
import type { PathIssue } from './issues.js';
import { planObjective } from '../engine/objectives/problem.js';
import type { DataConfig, ExperimentConfig } from './schema.js';

/** Sizes of the splits as training will see them (after limit and the validation hold-out). */
export interface SplitSizes {
  readonly train: number;
  readonly validation: number | null;
  readonly test: number | null;
}

/** What the config's inputs are, as far as validation needs to know. */
export interface InputFacts {
  readonly data: DatasetDescription;
  /** The tensors of model.init.from, when the config names one. */
  readonly init: { readonly file: string; readonly tensors: readonly NamedTensor[] } | null;
  /** Known once the data are loaded; null before (`validate`, sweep expansion). */
  readonly sizes: SplitSizes | null;
}

/** Every problem both phases find, in one list; the data-free phase first. */
export function validateConfig(config: ExperimentConfig, facts: InputFacts): PathIssue[] {
  return [...checkStatic(config), ...checkAgainstFacts(config, facts)];
}

/** Phase 1: the config's keys against each other. */
export function checkStatic(config: ExperimentConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const layers = config.model?.layers ?? [];
  if (config.loss !== undefined && lossKinds[config.loss].expectsProbabilities && layerName(layers[layers.length - 1]) !== 'sigmoid') {
    issues.push({ path: ['loss'], problem: `${config.loss} reads probabilities: end the model with sigmoid, or use bce_with_logits` });
  }
  issues.push(...checkMomentumCycling(config));
  issues.push(...checkClosureOptimizer(config));
  if (config.expect?.max_update_ratio !== undefined && config.train.internals === undefined) {
    issues.push({ path: ['expect', 'max_update_ratio'], problem: 'bounds the update ratios internals.csv records: add train.internals: {every: K}' });
  }
  issues.push(...checkClaims(config));
  issues.push(...checkVariantExpectations(config), ...checkTrajectoryExpectations(config, ['expect'], config.expect));
  for (const [name, expect] of Object.entries(config.expect?.variants ?? {})) issues.push(...checkTrajectoryExpectations(config, ['expect', 'variants', name], expect));
  return issues;
}

/** expect.better compares variants of a tuned comparison, by a value the runs record. */
function checkClaims(config: ExperimentConfig): PathIssue[] {
  const claims = config.expect?.better ?? [];
  if (claims.length === 0) return [];
  if (config.compare === undefined || config.protocol === undefined) {
    return [{ path: ['expect', 'better'], problem: 'compares the variants of a tuned comparison: add compare: (the variants) and protocol: (how they are tuned)' }];
  }
  const variants = Object.keys(config.compare);
  const data = config.data;
  const buckets = data?.dataset === 'synthetic' && data.task === 'zipf_classes' ? data.buckets : 0;
  return claims.flatMap((claim, i) => {
    const issues: PathIssue[] = [];
    for (const key of ['variant', 'than'] as const) {
      if (!variants.includes(claim[key])) issues.push({ path: ['expect', 'better', i, key], problem: `is not a compare: variant (${variants.join(', ')})` });
    }
    if (claim.variant === claim.than) issues.push({ path: ['expect', 'better', i, 'than'], problem: 'names the same variant as variant:' });
    const bucket = /^test_loss_bucket_(\d+)$/.exec(claim.metric);
    if (bucket !== null && Number(bucket[1]) >= buckets) {
      const has = buckets === 0 ? 'the dataset has no class buckets (synthetic zipf_classes has)' : `the buckets are 0…${buckets - 1}`;
      issues.push({ path: ['expect', 'better', i, 'metric'], problem: `names a class bucket, but ${has}` });
    }
    return issues;
  });
}

/**
 * L-BFGS evaluates the loss again within a step and moves the weights itself: clipping would touch
 * only its first gradient, so it is refused rather than half applied (torch users do not clip LBFGS).
 */
function checkClosureOptimizer(config: ExperimentConfig): PathIssue[] {
  if (config.optimizer.name !== 'lbfgs') return [];
  return (['clip_grad_norm', 'clip_grad_value'] as const)
    .filter((key) => config.train[key] !== undefined)
    .map((key) => ({ path: ['train', key], problem: 'lbfgs evaluates the loss several times per step and is not clipped: remove it' }));
}

/** expect.variants names variants of the compare: block, which check then runs. */
function checkVariantExpectations(config: ExperimentConfig): PathIssue[] {
  const variants = Object.keys(config.expect?.variants ?? {});
  const compared = Object.keys(config.compare ?? {});
  return variants
    .filter((name) => !compared.includes(name))
    .map((name) => ({
      path: ['expect', 'variants', name],
      atKey: true,
      problem: compared.length === 0 ? 'names a compare variant, but the config has no compare: block' : `is not a variant of compare: (${compared.join(', ')})`,
    }));
}

/** final_coordinate and escape_step read trajectory.csv: the config must train on an objective with that coordinate. */
function checkTrajectoryExpectations(config: ExperimentConfig, at: string[], expect: { final_coordinate?: { index: number }; escape_step?: { coordinate: number } } | undefined): PathIssue[] {
  const asked: [string, number][] = [
    ['final_coordinate', expect?.final_coordinate?.index ?? -1],
    ['escape_step', expect?.escape_step?.coordinate ?? -1],
  ];
  return asked.flatMap(([key, index]): PathIssue[] => {
    if (index < 0) return [];
    if (config.objective === undefined) return [{ path: [...at, key], problem: 'reads the trajectory of an objective run: the config trains on data' }];
    const dimension = config.objective.start.length;
    const field = key === 'final_coordinate' ? 'index' : 'coordinate';
    return index < dimension ? [] : [{ path: [...at, key, field], problem: `is ${index}, but the objective has ${dimension} coordinate(s) (x0…x${dimension - 1})` }];
  });
}

/** Phase 2: the config against what its data and init file are. */
export function checkAgainstFacts(config: ExperimentConfig, facts: InputFacts): PathIssue[] {
  if (config.objective !== undefined) {
    const plan = planObjective(config.objective).plan;
    return [...checkGroupPatterns(config, plan), ...(facts.sizes === null ? [] : checkAgainstSizes(config, plan, facts.sizes))];
  }
  const issues = checkNormalization(config, facts.data);
  let plan: ModelPlan;
  try {
    plan = planModel(config.model.layers, facts.data.inputShape);
  } catch (error) {
    if (!(error instanceof LayerShapeError)) throw error;
    return [...issues, { path: ['model', 'layers', error.index, ...error.at], problem: error.problem }];
  }
  if (facts.data.targets !== null) {
    const match = matchTargets(facts.data.targets, lossKinds[config.loss].targets, sizeOf(plan.outShape));
    if ('problem' in match) issues.push({ path: ['model', 'layers', config.model.layers.length - 1], problem: match.problem });
  }
  issues.push(...checkTokenTable(config, facts.data));
  issues.push(...checkGroupPatterns(config, plan));
  issues.push(...checkTensorShapes(config, plan));
  if (facts.init !== null) issues.push(...checkInitTensors(config, plan, facts.init));
  if (facts.sizes !== null) issues.push(...checkAgainstSizes(config, plan, facts.sizes));
  return issues;
}

const factCache = new WeakMap<object, Map<string, InputFacts>>();

/**
 * The facts of a config read from disk before any data are loaded: a CSV's header, the init
 * file's tensors. Cached per `owner` (the parsed config file) and per data/init block, since the
 * trials of one file share them.
 */
export function readFacts(config: ExperimentConfig, configFile: string, owner: object): InputFacts {
  if (config.objective !== undefined) return { data: OBJECTIVE_DATA, init: null, sizes: null };
  const key = JSON.stringify([config.data, config.model.init ?? null]);
  const cached = factCache.get(owner) ?? new Map<string, InputFacts>();
  factCache.set(owner, cached);
  const known = cached.get(key);
  if (known !== undefined) return known;
  const initFile = config.model.init === undefined ? null : resolveFromConfig(configFile, config.model.init.from);
  const facts: InputFacts = {
    data: describeDataset(config.data, configFile),
    init: initFile === null ? null : { file: initFile, tensors: decodeSafetensors(readWeightsFile(initFile), initFile) },
    sizes: null,
  };
  cached.set(key, facts);
  return facts;
}

/** What an objective's data are (data/member-samples.ts): a member index per sample, no targets to match. */
const OBJECTIVE_DATA: DatasetDescription = { inputShape: [1], targets: null };

function checkNormalization(config: DataConfig, data: DatasetDescription): PathIssue[] {
  const d = config.data;
  if ((d.dataset !== 'mnist' && d.dataset !== 'fashion-mnist' && d.dataset !== 'cifar10') || d.normalize === undefined) return [];
  const channels = data.inputShape[0];
  if (d.normalize.mean.length === channels) return [];
  return [{ path: ['data', 'normalize', 'mean'], problem: `needs ${channels} value(s), one per channel of ${d.dataset}` }];
}

/**
 * A text's samples are token ids of its vocabulary, the same characters its targets are classes
 * of; an embedding reading them needs a row for each, or training would stop at the first id
 * past its table (torch's IndexError).
 */
function checkTokenTable(config: DataConfig, data: DatasetDescription): PathIssue[] {
  const first = config.model.layers[0];
  if (layerName(first) !== 'embedding' || data.targets?.kind !== 'class' || data.targets.positions === undefined) return [];
  const rows = (first as Readonly<Record<string, { num_embeddings: number }>>).embedding.num_embeddings;
  const vocabulary = data.targets.classes;
  if (rows >= vocabulary) return [];
  return [{ path: ['model', 'layers', 0, 'embedding', 'num_embeddings'], problem: `${rows} rows cannot look up the text's ${vocabulary} characters: needs at least ${vocabulary}` }];
}

/** Every pattern of optimizer.param_groups must select a tensor of the model (a typo would leave a group empty). */
function checkGroupPatterns(config: ExperimentConfig, plan: ModelPlan): PathIssue[] {
  const groups = (config.optimizer.param_groups ?? []) as readonly ParamGroupConfig[];
  const names = parameterNames(plan);
  return unmatchedPatterns(names, groups).map(([group, pattern]) => ({
    path: ['optimizer', 'param_groups', group, 'params', pattern],
    problem: `'${groups[group].params[pattern]}' matches no tensor; the model's tensors are ${names.join(', ')}`,
  }));
}

/**
 * Every tensor left to an optimizer must be one it can step (Muon: 2-D matrices only): a tensor
 * it cannot is named, at the group that gives it (optimizer.name for the default group).
 */
function checkTensorShapes(config: ExperimentConfig, plan: ModelPlan): PathIssue[] {
  const tensors = plan.layers.flatMap((planned, layer) => ownParameters(planned).map((p) => ({ name: `${layer}.${p.name}`, shape: p.shape, offset: 0, length: 0 })));
  return optimizerGroups(config.optimizer, tensors).flatMap((group) => {
    if (group.frozen) return [];
    const name = groupOptimizer(config.optimizer, group);
    const path = group.index === null ? ['optimizer', 'name'] : ['optimizer', 'param_groups', group.index, 'optimizer'];
    return group.tensors.flatMap((t): PathIssue[] => {
      const problem = optimizerKind(name).tensorProblem(t.shape);
      return problem === null ? [] : [{ path, problem: `${name} cannot step ${t.name} ${formatShape(t.shape)}: ${problem}` }];
    });
  });
}

/**
 * model.init.from against the model: with strict (the default) it must hold exactly the model's
 * parameters and buffers, with their shapes; with strict: false the tensors it has must have the
 * model's shapes. Every pattern of model.init.exclude must select a tensor of the file (a typo
 * would load what was meant to be left out).
 */
function checkInitTensors(config: DataConfig, plan: ModelPlan, init: NonNullable<InputFacts['init']>): PathIssue[] {
  const names = init.tensors.map((t) => t.name);
  const unmatched = (config.model.init?.exclude ?? []).flatMap((pattern, i): PathIssue[] =>
    names.some((n) => globToRegExp(pattern).test(n)) ? [] : [{ path: ['model', 'init', 'exclude', i], problem: `'${pattern}' matches no tensor of ${init.file}, which holds ${names.join(', ')}` }],
  );
  return [
    ...unmatched,
    ...matchState(plan, init.tensors, config.model.init).problems.map((m) => ({
      path: m.layer === null ? ['model', 'init', 'from'] : ['model', 'layers', m.layer],
      problem: `${m.problem} (model.init.from: ${init.file})`,
    })),
  ];
}

/**
 * What model.init.from will load and what it leaves fresh, for a config that phase 2 accepted
 * (null without an init file); `validate` prints it, the run's start reports it again.
 */
export function initMatch(config: ExperimentConfig, facts: InputFacts): (StateMatch & { readonly file: string }) | null {
  if (facts.init === null || config.objective !== undefined) return null;
  return { file: facts.init.file, ...matchState(planModel(config.model.layers, facts.data.inputShape), facts.init.tensors, config.model.init) };
}

/** one_cycle_lr cycles momentum or β1 (torch's rule); Adagrad and Adadelta have neither. */
function checkMomentumCycling(config: ExperimentConfig): PathIssue[] {
  const scheduler = config.scheduler;
  if (scheduler?.name !== 'one_cycle_lr' || scheduler.cycle_momentum !== true) return [];
  const { name, ...options } = config.optimizer;
  const { hyper } = optimizerKind(name).create(options);
  if (hyper.momentum !== undefined || hyper.beta1 !== undefined) return [];
  return [{ path: ['scheduler', 'cycle_momentum'], problem: `${name} has no momentum or β1 to cycle; set cycle_momentum: false` }];
}

/** How an objective batches: one sample per step, in order. */
const ONE_AT_A_TIME = Object.freeze({ batch_size: 1, drop_last: false, shuffle: false, eval_batch_size: 1 });

/** How a config batches its training samples: as its data block says, or for an objective one sample per step, in order. */
export function batching(config: ExperimentConfig): { readonly batch_size: number; readonly drop_last: boolean; readonly shuffle: boolean; readonly eval_batch_size: number } {
  return config.data ?? ONE_AT_A_TIME;
}

/** Steps in one epoch over `size` samples. */
export function batchesPerEpoch(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Steps the run takes if nothing stops it early. */
export function plannedSteps(config: ExperimentConfig, trainSize: number): number {
  const stepsPerEpoch = batchesPerEpoch(trainSize, batching(config).batch_size, batching(config).drop_last);
  return Math.min(config.train.epochs === undefined ? Infinity : config.train.epochs * stepsPerEpoch, config.train.max_steps ?? Infinity);
}

/**
 * The run's planned length in its schedule's interval: steps, or with `interval: epoch` the
 * epochs it starts (a max_steps that ends inside an epoch counts that epoch).
 */
export function scheduleLength(config: ExperimentConfig, trainSize: number): number {
  const steps = plannedSteps(config, trainSize);
  if (config.scheduler?.interval !== 'epoch') return steps;
  return Math.ceil(steps / batchesPerEpoch(trainSize, batching(config).batch_size, batching(config).drop_last));
}

/** What only the splits' sizes can tell: batches of one for batch norm, a schedule's length, watched splits. */
function checkAgainstSizes(config: ExperimentConfig, plan: ModelPlan, sizes: SplitSizes): PathIssue[] {
  return [...checkBatchNormBatches(config, plan, sizes.train), ...checkScheduleLength(config, scheduleLength(config, sizes.train)), ...checkWatchedMetrics(config, sizes)];
}

/**
 * Batch norm on one value per channel (batchnorm1d on [C]) cannot normalize a batch of one, as
 * in torch; say so before training rather than fail at the epoch's last batch.
 */
function checkBatchNormBatches(config: ExperimentConfig, plan: ModelPlan, size: number): PathIssue[] {
  const single = plan.layers.findIndex((l) => layerName(l.config).startsWith('batchnorm') && l.inShape.length === 1);
  if (single < 0) return [];
  const { batch_size: batchSize, drop_last: dropLast } = batching(config);
  const lastBatch = dropLast ? batchSize : size % batchSize || batchSize;
  if (Math.min(batchSize, lastBatch) !== 1) return [];
  return [
    {
      path: ['data', 'batch_size'],
      problem: `layer ${single} (batch norm on [${plan.layers[single].inShape.join(', ')}]) would see a batch of one sample (${size} samples in batches of ${batchSize}); set data.drop_last: true or another batch_size`,
    },
  ];
}

/** one_cycle_lr must last as long as the run, and each of its phases at least a step. */
function checkScheduleLength(config: ExperimentConfig, length: number): PathIssue[] {
  const scheduler = config.scheduler;
  if (scheduler?.name !== 'one_cycle_lr') return [];
  const unit = scheduler.interval === 'epoch' ? 'epochs' : 'steps';
  if (typeof scheduler.total_steps === 'number' && scheduler.total_steps < length) {
    return [{ path: ['scheduler', 'total_steps'], problem: `is ${scheduler.total_steps}, but the run takes ${length} ${unit} (torch's OneCycleLR stops there); leave it out to use the run's length` }];
  }
  // The scheduler block was parsed by one_cycle_lr's schema before this check: its defaults are filled in.
  const cycle = scheduler as unknown as Parameters<typeof oneCyclePhaseEnds>[0];
  const ends = oneCyclePhaseEnds(cycle, length);
  const empty = ends.findIndex((end, i) => end - (i === 0 ? 0 : ends[i - 1]) <= 0);
  if (empty < 0) return [];
  const total = cycle.total_steps ?? length;
  return [{ path: ['scheduler', 'pct_start'], problem: `is ${cycle.pct_start}, which leaves phase ${empty + 1} of a ${total}-${unit === 'epochs' ? 'epoch' : 'step'} cycle with no ${unit} (torch's OneCycleLR divides by its length); make the run longer or choose another pct_start` }];
}

/** A plateau schedule or early stopping may only watch what the run measures. */
function checkWatchedMetrics(config: ExperimentConfig, sizes: SplitSizes): PathIssue[] {
  const watched: [string[], string | undefined][] = [
    [['scheduler', 'metric'], config.scheduler?.name === 'reduce_lr_on_plateau' ? String(config.scheduler.metric) : undefined],
    [['train', 'early_stopping', 'metric'], config.train.early_stopping?.metric],
  ];
  const issues: PathIssue[] = [];
  for (const [path, metric] of watched) {
    if (metric?.startsWith('test_') && sizes.test === null) issues.push({ path, problem: `watches ${metric}, but the dataset has no test split` });
    if (metric?.startsWith('test_') && sizes.test !== null && config.train.evaluate_test === false) {
      issues.push({ path, problem: `watches ${metric}, but train.evaluate_test is false (the tuned protocol's tuning trials never evaluate on the test set): watch a val_ metric` });
    }
    if (metric?.startsWith('val_') && sizes.validation === null) issues.push({ path, problem: `watches ${metric}: hold out validation data with data.validation (e.g. 0.1)` });
  }
  return issues;
}
