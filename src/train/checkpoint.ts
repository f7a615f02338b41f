/**
 * What a checkpoint holds, and putting it back (DESIGN.md "Checkpoints"). checkpoint/ holds
 *   model.safetensors      the weights and buffers, as model.safetensors
 *   optimizer.safetensors  the optimizer state per tensor, named <tensor>.<torch state name>
 *                          ("0.weight.exp_avg", "2.bias.momentum_buffer")
 *   optimizer.json         torch's optimizer.state_dict() with the tensors replaced by those names
 *                          {"state": {"0": {"step": 40, "exp_avg": "0.weight.exp_avg", ...}},
 *                           "param_groups": [{"lr": ..., "betas": [...], ..., "params": [0, 1]}]},
 *                          and adam-lab's step count and per-segment scalars (flags, NAdam's μ-product)
 *   state.json             the loop's position, the RNG streams, the data order, the schedule's
 *                          and early stopping's counters, the rows of steps.csv and epochs.csv it
 *                          matches, and what it was taken with (run, config, engine build)
 * Everything that decides the rest of the run is here, so that a resumed run writes the bytes
 * the uninterrupted run writes. Every file found wrong is a CheckpointError naming it.
 */
import { basename, join } from 'node:path';
import { z } from 'zod';
import { withAbsolutePaths } from '../config/format.js';
import { pluginRecordSchema } from '../config/optimizer-plugins.js';
import type { ExperimentConfig } from '../config/schema.js';
import { CheckpointError, DataError } from '../core/errors.js';
import { formatShape } from '../core/shape.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../engine/safetensors.js';
import { encodeModelWeights, loadModelWeights } from '../engine/weights.js';
import { kernelChoice, SHARDS_VARIABLE } from '../kernels/choice.js';
import type { ResolvedGroup } from '../optim/groups.js';
import { optimizerGroups, pluginOf } from '../optim/registry.js';
import { checkpointFolder, readCheckpointFile, RESTART_HINT, type CheckpointFiles } from '../runs/checkpoint-dir.js';
import { adamLabVersion } from '../runs/provenance.js';
import { tensorViews, type Training } from './build.js';

/** Where the loop stands after a step: what it needs to take the next one as if it never stopped. */
export interface LoopPosition {
  readonly step: number;
  readonly epoch: number;
  readonly epoch_step: number;
  readonly samples: number;
  readonly last_evaluated: number;
  readonly tally: { readonly loss_sum: number; readonly seen: number; readonly correct: number };
  /** The shuffle stream before this epoch's shuffle: the data order is that shuffle, made again. */
  readonly shuffle_at_epoch_start: readonly number[];
  readonly seconds: number;
  /** An objective run's regret so far (trajectory.ts), absent for other runs. */
  readonly regret_sum?: number;
}

const words = z.array(z.int().min(0).max(0xffffffff)).length(4);
const count = z.int().min(0);

const stateSchema = z.object({
  format: z.literal(1),
  run_id: z.string(),
  /** `blas`: the library and core type on the blas kernel path, whose bits are theirs (absent before it existed); `batch_shards`: ADAM_LAB_SHARDS when more than one. */
  engine: z.object({ adam_lab: z.string(), kernel: z.string(), blas: z.string().nullable().optional(), batch_shards: z.int().positive().optional() }),
  config: z.record(z.string(), z.unknown()),
  rows: z.object({ steps: count, epochs: count }),
  position: z.object({
    step: count,
    epoch: z.int().min(1),
    epoch_step: count,
    samples: count,
    last_evaluated: count,
    // correct is fractional for text: correct positions ÷ positions per sample (TrainStep.correct).
    tally: z.object({ loss_sum: z.number(), seen: count, correct: z.number().min(0) }),
    shuffle_at_epoch_start: words,
    seconds: z.number().min(0),
    regret_sum: z.number().optional(),
  }),
  rng: z.object({ dropout: words, augment: words.nullable() }),
  schedule: z.object({ best: z.number().nullable(), bad_evaluations: count, cooldown_left: count, lrs: z.array(z.number()) }).nullable(),
  early_stopping: z.object({ best: z.number().nullable(), best_epoch: count.nullable(), best_step: count.nullable(), waited: count }).nullable(),
  /** The --optimizer-plugin file whose optimizer took the steps (absent for a built-in). */
  optimizer_plugin: pluginRecordSchema.optional(),
});

export type CheckpointState = z.output<typeof stateSchema>;

/**
 * A scalar of optimizer state as JSON holds it. JSON has no NaN or ±∞ (JSON.stringify writes
 * null), and a scalar may be one — L-BFGS's prev_loss before its first iteration — so those are
 * written as the names JavaScript gives them ("NaN", "Infinity", "-Infinity") and read back.
 */
const finiteOrNamed = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number)]);

function scalarAsJson(value: number): z.input<typeof finiteOrNamed> {
  return Number.isFinite(value) ? value : (String(value) as 'NaN' | 'Infinity' | '-Infinity');
}

const optimizerSchema = z.object({
  /** Optimizer steps taken (torch keeps it per tensor, in `state`; a stateless SGD has none there). */
  step: count,
  state: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number()]))),
  param_groups: z.array(z.record(z.string(), z.unknown())),
  segment_scalars: z.array(z.record(z.string(), finiteOrNamed)),
});

/** The checkpoint's files for the loop at `position`, with `epochRows` rows in epochs.csv. */
export function checkpointFiles(training: Training, runDir: string, configFile: string, position: LoopPosition, epochRows: number): CheckpointFiles {
  const { model, schedule, earlyStopping, dataset } = training;
  const plateau = schedule?.snapshot?.();
  const state: CheckpointState = {
    format: 1,
    run_id: basename(runDir),
    engine: engineBuild(),
    config: comparableConfig(training.config, configFile),
    rows: { steps: position.step, epochs: epochRows },
    position: { ...position, shuffle_at_epoch_start: [...position.shuffle_at_epoch_start], tally: { ...position.tally } },
    rng: { dropout: model.dropoutRng.state(), augment: dataset.train.augmentation?.rng.state() ?? null },
    schedule: plateau === undefined ? null : { ...plateau, lrs: [...plateau.lrs] },
    early_stopping: earlyStopping?.snapshot() ?? null,
    ...pluginEntry(training.config),
  };
  const { tensors, json } = optimizerState(training);
  return new Map<string, string | Uint8Array>([
    ['model.safetensors', encodeModelWeights(model)],
    ['optimizer.safetensors', encodeSafetensors(tensors, { format: 'pt' })],
    ['optimizer.json', `${JSON.stringify(json, null, 1)}\n`],
    // Written last: its presence marks a checkpoint folder as one (checkpointFolder).
    ['state.json', `${JSON.stringify(state, null, 1)}\n`],
  ]);
}

/** The optimizer's state per tensor under torch's names, and torch's state_dict layout around it. */
function optimizerState(training: Training): { tensors: NamedTensor[]; json: z.input<typeof optimizerSchema> } {
  const { optimizer } = training;
  const views = tensorViews(training.model);
  const tensors: NamedTensor[] = [];
  const state: Record<string, Record<string, string | number>> = {};
  // torch numbers the parameters through the groups in order, the default group last.
  const groups = resolvedGroups(training);
  let index = 0;
  const paramGroups = groups.map((group, g) => {
    const params: number[] = [];
    for (const tensor of group.tensors) {
      const view = views.find((v) => v.name === tensor.name)!;
      const entries: Record<string, string | number> = {};
      const shapes = optimizer.tensorStateShapes(view);
      for (const [name, values] of optimizer.tensorState(view)) {
        tensors.push({ name: `${view.name}.${name}`, shape: shapes.get(name)!, data: values });
        entries[name] = `${view.name}.${name}`;
      }
      if (Object.keys(entries).length > 0) state[String(index)] = { step: optimizer.step, ...entries };
      params.push(index++);
    }
    return { ...torchOptions(group.options, optimizer.hypers[g]), params };
  });
  const segmentScalars = optimizer.segmentScalars().map((scalars) => Object.fromEntries([...scalars].map(([name, value]) => [name, scalarAsJson(value[0])])));
  return { tensors, json: { step: optimizer.step, state, param_groups: paramGroups, segment_scalars: segmentScalars } };
}

function resolvedGroups(training: Training): ResolvedGroup[] {
  return optimizerGroups(training.config.optimizer, tensorViews(training.model));
}

/** A group's options as torch names them, with the values a schedule has moved (lr, momentum, β1). */
function torchOptions(options: Readonly<Record<string, unknown>>, hyper: Training['optimizer']['hyper']): Record<string, unknown> {
  const torch: Record<string, unknown> = { ...options, lr: hyper.lr };
  if (hyper.momentum !== undefined) torch.momentum = hyper.momentum;
  if (hyper.beta1 !== undefined && Array.isArray(options.betas)) torch.betas = [hyper.beta1, ...(options.betas as number[]).slice(1)];
  return torch;
}

/** The plugin whose optimizer takes the steps, as state.json records it (nothing for a built-in). */
function pluginEntry(config: ExperimentConfig): Pick<CheckpointState, 'optimizer_plugin'> {
  const plugin = pluginOf(config.optimizer.name);
  return plugin === undefined ? {} : { optimizer_plugin: plugin };
}

/**
 * What decides the bits of a run besides its config: adam-lab's version, the kernel path, on
 * the blas path the library's build, core type and threads (OpenBLAS cuts a product differently
 * for another thread count: bench/NOTES.md), and the batch shards, which cut the gradient's sums
 * (engine/batch-shards.ts) (read once: package.json is a file).
 */
let thisBuild: CheckpointState['engine'] | null = null;
function engineBuild(): CheckpointState['engine'] {
  const { path, blas, shards } = kernelChoice();
  thisBuild ??= {
    adam_lab: adamLabVersion(),
    kernel: path,
    ...(blas === null ? {} : { blas: `${blas.config ?? blas.library}, core ${blas.core ?? 'unknown'}, ${blas.threads ?? 'its own'} threads` }),
    ...(shards === 1 ? {} : { batch_shards: shards }),
  };
  return thisBuild;
}

/** The config as a checkpoint records it: paths absolute, and as plain JSON. */
function comparableConfig(config: ExperimentConfig, configFile: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(withAbsolutePaths(config, configFile))) as Record<string, unknown>;
}

/** How often to checkpoint changes nothing a run computes, so a resume may change it. */
const FREE_TO_CHANGE = new Set(['train.checkpoint_every', 'train.checkpoint_every_seconds']);

/**
 * Reads the checkpoint of `runDir` and checks that it belongs to this run, config and engine
 * build; a checkpoint that does not is refused, saying what differs.
 */
export function readCheckpoint(runDir: string, config: ExperimentConfig, configFile: string): { folder: string; state: CheckpointState } {
  const folder = checkpointFolder(runDir);
  if (folder === null) throw new CheckpointError(join(runDir, 'checkpoint'), 'not found: the run wrote no checkpoint (set train.checkpoint_every)', RESTART_HINT);
  const file = join(folder, 'state.json');
  const state = parsedJson(file, readCheckpointFile(folder, 'state.json'), stateSchema);
  if (state.run_id !== basename(runDir)) throw new CheckpointError(file, `belongs to run ${state.run_id}, not to ${basename(runDir)}`, RESTART_HINT);
  const engine = engineBuild();
  const engineDiffers = (['adam_lab', 'kernel', 'blas', 'batch_shards'] as const).filter((key) => (state.engine[key] ?? null) !== (engine[key] ?? null)).map((key) => `${key} ${state.engine[key] ?? 'none'} there, ${engine[key] ?? 'none'} here`);
  if (engineDiffers.length > 0) {
    const library = state.engine.blas === undefined || state.engine.blas === null ? '' : ' with that library, core type and threads (ADAM_LAB_BLAS, OPENBLAS_CORETYPE, ADAM_LAB_THREADS)';
    const shards = (state.engine.batch_shards ?? 1) === (engine.batch_shards ?? 1) ? '' : ` ${SHARDS_VARIABLE}=${state.engine.batch_shards ?? 1}`;
    throw new CheckpointError(file, `was taken by another engine build (${engineDiffers.join('; ')}): the rest of the run would not be the bits an uninterrupted run writes`, `resume with the same build (ADAM_LAB_KERNEL=${state.engine.kernel}${library}${shards}), or ${RESTART_HINT}`);
  }
  const plugin = pluginOf(config.optimizer.name);
  if (state.optimizer_plugin !== undefined && plugin !== undefined && state.optimizer_plugin.sha256 !== plugin.sha256) {
    throw new CheckpointError(file, `was taken with another version of the optimizer plugin '${plugin.name}' (sha256 ${state.optimizer_plugin.sha256} there, ${plugin.sha256} here, from ${plugin.path}): the rest of the run would not be the steps it took`, `resume with the plugin file it ran with, or ${RESTART_HINT}`);
  }
  const differences = differingPaths(state.config, comparableConfig(config, configFile)).filter((d) => !FREE_TO_CHANGE.has(d.path));
  if (differences.length > 0) {
    const listed = differences.slice(0, 5).map((d) => `${d.path} is ${d.there} there, ${d.here} here`);
    throw new CheckpointError(file, `was taken with another config: ${listed.join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`, `resume without --set, or ${RESTART_HINT}`);
  }
  return { folder, state };
}

/** Puts a checkpoint's state into a freshly built run; returns where its loop stands. */
export function restoreCheckpoint(training: Training, folder: string, state: CheckpointState): LoopPosition {
  const { model, optimizer, schedule, earlyStopping, dataset } = training;
  const file = (name: string): string => join(folder, name);
  asCheckpointError(() => {
    loadModelWeights(model, readCheckpointFile(folder, 'model.safetensors'), file('model.safetensors'));
    restoreOptimizer(training, folder);
  });
  const broken = (problem: string): CheckpointError => new CheckpointError(file('state.json'), problem, RESTART_HINT);
  model.dropoutRng.restore(state.rng.dropout);
  const augmentation = dataset.train.augmentation;
  if ((augmentation === null) !== (state.rng.augment === null)) throw broken('does not match the run: augmentation on in one, off in the other');
  if (augmentation !== null) augmentation.rng.restore(state.rng.augment!);
  if ((schedule?.snapshot === undefined) !== (state.schedule === null)) throw broken("does not match the run's schedule");
  if (state.schedule !== null) restoreOrFail(() => schedule!.restore!(state.schedule!), broken);
  if ((earlyStopping === null) !== (state.early_stopping === null)) throw broken('does not match the run: early stopping on in one, off in the other');
  if (state.early_stopping !== null) earlyStopping!.restore(state.early_stopping);
  const { position } = state;
  if (position.step !== state.rows.steps || position.step !== optimizer.step || position.epoch_step > training.stepsPerEpoch || position.step > training.plannedSteps) {
    throw broken(`holds an impossible position (step ${position.step}, epoch ${position.epoch}, step ${position.epoch_step} of the epoch)`);
  }
  return position;
}

/** The engine's own refusals of a file (safetensors, weights) as the checkpoint's. */
function asCheckpointError(restore: () => void): void {
  try {
    restore();
  } catch (error) {
    if (error instanceof DataError && !(error instanceof CheckpointError)) throw new CheckpointError(error.file, error.problem, RESTART_HINT);
    throw error;
  }
}

function restoreOrFail(restore: () => void, broken: (problem: string) => CheckpointError): void {
  try {
    restore();
  } catch (error) {
    throw broken((error as Error).message);
  }
}

/** Writes optimizer.safetensors and optimizer.json back into the optimizer's state, checking every name and shape. */
function restoreOptimizer(training: Training, folder: string): void {
  const { optimizer } = training;
  const tensorsFile = join(folder, 'optimizer.safetensors');
  const jsonFile = join(folder, 'optimizer.json');
  const tensors = new Map(decodeSafetensors(readCheckpointFile(folder, 'optimizer.safetensors'), tensorsFile).map((t) => [t.name, t]));
  const json = parsedJson(jsonFile, readCheckpointFile(folder, 'optimizer.json'), optimizerSchema);
  const mismatch = (file: string, problem: string): CheckpointError => new CheckpointError(file, `does not match the run: ${problem}`, RESTART_HINT);
  // Scalars first: a state may be named only once its flag says a step has used it (momentum_buffer).
  const scalars = optimizer.segmentScalars();
  if (json.segment_scalars.length !== scalars.length) throw mismatch(jsonFile, `${json.segment_scalars.length} segments, the optimizer has ${scalars.length}`);
  scalars.forEach((segment, i) => {
    for (const [name, value] of segment) {
      const saved = json.segment_scalars[i][name];
      if (saved === undefined) throw mismatch(jsonFile, `segment ${i} has no "${name}"`);
      value[0] = saved;
    }
  });
  const expected = new Set<string>();
  for (const view of tensorViews(training.model)) {
    const shapes = optimizer.tensorStateShapes(view);
    for (const [name, values] of optimizer.tensorState(view)) {
      const key = `${view.name}.${name}`;
      const saved = tensors.get(key);
      if (saved === undefined) throw mismatch(tensorsFile, `no "${key}"`);
      const shape = shapes.get(name)!;
      if (formatShape(saved.shape) !== formatShape(shape) || saved.dtype === 'I64') throw mismatch(tensorsFile, `"${key}" has shape ${formatShape(saved.shape)}, ${shape === view.shape ? "the model's tensor" : "the optimizer's state"} ${formatShape(shape)}`);
      values.set(saved.data);
      expected.add(key);
    }
  }
  const extra = [...tensors.keys()].find((key) => !expected.has(key));
  if (extra !== undefined) throw mismatch(tensorsFile, `"${extra}" is not a state of this optimizer`);
  if (json.param_groups.length !== optimizer.hypers.length) throw mismatch(jsonFile, `${json.param_groups.length} param_groups, the optimizer has ${optimizer.hypers.length}`);
  json.param_groups.forEach((group, g) => {
    const hyper = optimizer.hypers[g];
    if (typeof group.lr === 'number') hyper.lr = group.lr;
    if (hyper.momentum !== undefined && typeof group.momentum === 'number') hyper.momentum = group.momentum;
    if (hyper.beta1 !== undefined && Array.isArray(group.betas) && typeof group.betas[0] === 'number') hyper.beta1 = group.betas[0];
  });
  optimizer.resumeAt(json.step);
}

function parsedJson<T>(file: string, bytes: Uint8Array, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new CheckpointError(file, 'is not valid JSON (truncated or damaged)', RESTART_HINT);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointError(file, `is damaged: ${issue.path.join('.') || 'the top level'}: ${issue.message}`, RESTART_HINT);
  }
  return parsed.data;
}

interface Difference {
  readonly path: string;
  readonly there: string;
  readonly here: string;
}

/** Every leaf path where two JSON values differ, as dotted paths (list indices as numbers). */
function differingPaths(there: unknown, here: unknown, path = ''): Difference[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(there) && isObject(here) && Array.isArray(there) === Array.isArray(here)) {
    const keys = [...new Set([...Object.keys(there), ...Object.keys(here)])];
    return keys.flatMap((key) => differingPaths(there[key], here[key], path === '' ? key : `${path}.${key}`));
  }
  const show = (v: unknown): string => (v === undefined ? 'not set' : JSON.stringify(v));
  return JSON.stringify(there) === JSON.stringify(here) ? [] : [{ path, there: show(there), here: show(here) }];
}
