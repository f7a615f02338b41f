/**
 * The experiment config: the single source of truth for the YAML format. Validation, the
 * defaults recorded in a run's config.yaml, the TypeScript types and `adam-lab schema`
 * (JSON Schema for editors) all come from here. Keys mirror PyTorch argument names.
 */
import { z } from 'zod';
import { dataSchema } from '../data/registry.js';
import type { InitOptions } from '../engine/weights.js';
import { layerKinds, layerNames, type LayerConfig } from '../engine/layers/registry.js';
import { lossNames } from '../engine/losses/registry.js';
import { averageOptions } from '../optim/averaging.js';
import { groupOptions, type ParamGroupConfig } from '../optim/groups.js';
import { onPluginsChanged } from '../optim/plugins.js';
import { allOptimizerKinds, optimizerKinds, type OptimizerKind, type OptimizerName } from '../optim/registry.js';
import { scheduleKinds, type ScheduleConfig } from '../optim/schedules.js';
import { RUN_NAME_PATTERN } from './run-name.js';
import { keyedUnion, unionBySwitchKey } from './keyed-union.js';
import { earlyStoppingSchema } from './early-stopping-schema.js';
import { labBlocks } from './lab-schema.js';
import { objectiveSchema } from './objective-schema.js';
import type { ObjectiveConfig } from '../engine/objectives/config.js';
import type { LossName } from '../engine/losses/registry.js';

/** A layer as a bare name (`relu`, or `dropout` with default options) → its canonical form. */
const bareLayer = z.enum(layerNames as [string, ...string[]]).transform((name, context): LayerConfig => {
  const options = layerKinds[name].options;
  if (options === null) return name;
  const defaults = options.safeParse({});
  if (defaults.success) return { [name]: defaults.data };
  context.addIssue({ code: 'custom', message: `${name} needs options` });
  return z.NEVER;
});

/** A residual block's own layers are layers again: `residual: [linear: 64, relu]` or `residual: {layers: [...]}`. */
const innerLayers: z.ZodType<LayerConfig[]> = z.lazy(() => z.array(layerSchema).min(1) as z.ZodType<LayerConfig[]>);
const residualValue = z.union([innerLayers.transform((layers) => ({ layers })), z.strictObject({ layers: innerLayers })]);

/** `{linear: 128}` or `{linear: {out_features: 128, bias: false}}` → `{linear: {...all options}}`. */
const layerWithOptions = Object.entries(layerKinds)
  .filter(([, kind]) => kind.options !== null)
  .map(([name, kind]) => {
    const options = kind.options!;
    const value =
      name === 'residual'
        ? residualValue
        : kind.shorthand === null
        ? options
        : z.union([z.number().transform((v): unknown => ({ [kind.shorthand!]: v })).pipe(options as z.ZodType), options]);
    return { name, schema: z.strictObject({ [name]: value }) };
  });

export const layerSchema = keyedUnion('layer', layerNames, bareLayer, layerWithOptions);

/**
 * An entry of optimizer.param_groups (torch's param_groups): glob patterns over the tensor names
 * of model.safetensors, `frozen`, and any option of the optimizer, without defaults (a group
 * takes the top-level value of every option it leaves out).
 */
function paramGroupSchema(kind: OptimizerKind) {
  const options = Object.entries(kind.schema.shape)
    .filter(([key]) => key !== 'name')
    .map(([key, field]) => [key, kind.constructorOnly.includes(key) ? notPerGroup(kind) : (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]);
  // `optimizer` is never valid here: it makes the union's other member the one whose problems are reported.
  const ownGroup = z.strictObject({ ...groupSelection(), optimizer: z.never().optional(), ...Object.fromEntries(options) });
  return unionBySwitchKey('optimizer', ownGroup, otherOptimizerGroup);
}

function groupSelection() {
  return {
    params: z.array(z.string().min(1)).min(1).describe('glob patterns (* and ?) over tensor names such as 0.weight, 3.bias; the first group that matches a tensor takes it'),
    frozen: z.boolean().optional().describe('not updated, no state, no gradient norm (requires_grad=False)'),
  };
}

/**
 * A group stepped by another optimizer (`optimizer: adamw`), with that optimizer's options and
 * defaults, not the top level's: as a second torch optimizer over those tensors (Muon's AdamW
 * group for biases, norms and the first and last layers).
 */
const otherOptimizerGroup = z.discriminatedUnion(
  'optimizer',
  Object.entries(optimizerKinds).map(([name, kind]) =>
    kind.options.safeExtend({ ...groupSelection(), optimizer: z.literal(name).describe('step these tensors with this optimizer, its own options and defaults (not the top level\'s)') }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/** An option torch takes for all groups at once, refused inside a group. */
function notPerGroup(kind: OptimizerKind) {
  return z
    .unknown()
    .refine(() => false, { message: `${kind.torch} reads it once for every group (a group's own value is ignored): set it at the top level` })
    .optional();
}

/**
 * Each group's options over the top-level ones must make a valid optimizer as a whole (torch
 * checks a group when it is added), e.g. nesterov needs the group's momentum.
 */
function checkGroupOptions(kind: OptimizerKind) {
  return (o: Record<string, unknown> & { param_groups?: ParamGroupConfig[] }, context: z.RefinementCtx): void => {
    const { param_groups: groups = [], ...topLevel } = o;
    if (kind.singleGroup && groups.length > 0) {
      context.addIssue({ code: 'custom', path: ['param_groups'], message: `${kind.torch} takes one parameter group: remove param_groups` });
      return;
    }
    groups.forEach((group, index) => {
      // A group naming another optimizer was validated whole by that optimizer's schema.
      if (group.optimizer !== undefined) return;
      const merged = kind.schema.safeParse(groupOptions(topLevel, group));
      // Each option alone was checked by the group's schema; what is left is options together.
      for (const issue of merged.success ? [] : merged.error.issues.filter((i) => i.code === 'custom')) {
        context.addIssue({ code: 'custom', path: ['param_groups', index, ...issue.path.filter((p) => typeof p !== 'symbol')], message: issue.message });
      }
    });
  };
}

/** The built-in optimizers and the plugins this process serves, told apart by `name`. */
function buildOptimizerSchema() {
  const optimizerSchemas = allOptimizerKinds().map(([, kind]) =>
    kind.schema.safeExtend({ param_groups: z.array(paramGroupSchema(kind)).min(1).optional().describe("parameter groups, as torch's param_groups") }).superRefine(checkGroupOptions(kind)),
  );
  return z.discriminatedUnion('name', optimizerSchemas as unknown as [z.ZodObject, ...z.ZodObject[]]);
}
/** Rebuilt (with configSchema, below) when --optimizer-plugin brings other optimizers (optim/plugins.ts). */
export let optimizerSchema = buildOptimizerSchema();

const scheduleSchemas = Object.values(scheduleKinds).map((kind) => kind.schema);
export const scheduleSchema = z.discriminatedUnion('name', scheduleSchemas as [z.ZodObject, ...z.ZodObject[]]);

const trainSchema = z
  .strictObject({
    epochs: z.int().positive().optional(),
    /** Stop after this many optimizer steps (the run ends at whichever limit comes first). */
    max_steps: z.int().positive().optional(),
    early_stopping: earlyStoppingSchema.optional().describe('stop when the watched metric has not improved for patience evaluations (Keras semantics)'),
    eval_every: z.int().positive().optional().describe('evaluate every this many steps (and at the end) instead of after every epoch'),
    evaluate_test: z
      .boolean()
      .optional()
      .describe("false: never evaluate on the test split (its columns in epochs.csv stay empty); the tuned protocol's tuning trials set it, since tuning must not look at the test set"),
    clip_grad_norm: z.number().gt(0).optional().describe('clip the global L2 norm of the gradient to this value (torch.nn.utils.clip_grad_norm_)'),
    clip_grad_value: z.number().gt(0).optional().describe('clamp every gradient element to ±this value (torch.nn.utils.clip_grad_value_)'),
    internals: z
      .strictObject({ every: z.int().positive().describe('record every this many steps (steps K, 2K, ...)') })
      .optional()
      .describe("write internals.csv: per trainable tensor, the norms of its weights, gradient and update, and the optimizer's effective step sizes"),
    average: averageOptions
      .optional()
      .describe('weight averaging as torch.optim.swa_utils.AveragedModel, {kind: ema | swa, decay, start, every}: evaluation and the saved weights use the average'),
    checkpoint_every: z.int().positive().optional().describe('write checkpoint/ every this many steps (and when interrupted), so that --resume continues the run exactly'),
    checkpoint_every_seconds: z.number().gt(0).optional().describe('write checkpoint/ when this many seconds have passed since the last one (and when interrupted)'),
  });

const configObject = z.strictObject({
  /** The run's folder under the runs root; defaults to the config file's name. */
  name: z
    .string()
    .regex(RUN_NAME_PATTERN, "must be a single folder name: letters, digits, '.', '_' or '-', not starting with '.'")
    .optional(),
  /** Fixes initialization, shuffling, dropout and synthetic data. */
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  data: dataSchema.optional(),
  model: z.strictObject({
    layers: z.array(layerSchema).min(1),
    /** Start from these weights (safetensors, nn.Sequential names) instead of a fresh init. */
    init: z
      .strictObject({
        from: z.string().min(1),
        strict: z
          .boolean()
          .optional()
          .describe("as torch's load_state_dict: true (the default) needs every tensor of the model and no other; false loads those the file has and initialises the rest fresh (a tensor of another shape is still an error)"),
        exclude: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe("glob patterns (* and ?) over the file's tensor names such as 7.*: tensors not loaded, as filtering the state dict first; with strict: false the model's tensors of those names are initialised fresh (a new head)"),
      })
      .optional(),
  }).optional(),
  /** An analytic objective instead of data, model and loss (DESIGN.md, Objectives). */
  objective: objectiveSchema.optional(),
  loss: z.enum(lossNames).optional().describe('default: cross_entropy'),
  optimizer: optimizerSchema.prefault({ name: 'adam' }),
  /** A learning-rate schedule (torch.optim.lr_scheduler names), advanced once per optimizer step. */
  scheduler: scheduleSchema.optional(),
  train: trainSchema.prefault({}),
  ...labBlocks,
});

/** What holds for a config as a whole, over its fields (written once: the plugins' rebuild below uses it too). */
const completed = (object: typeof configObject) => object.superRefine(checkProblem).transform(withLoss).transform(withTrainLength).transform(withPlateauMetric);
export let configSchema = completed(configObject);

onPluginsChanged(() => {
  optimizerSchema = buildOptimizerSchema();
  configSchema = completed(configObject.extend({ optimizer: optimizerSchema.prefault({ name: 'adam' }) }));
});

/** A config trains either on data (data, model, loss) or on an objective, never both. */
function checkProblem(config: { data?: unknown; model?: unknown; loss?: unknown; objective?: unknown }, context: z.RefinementCtx): void {
  if (config.objective === undefined) {
    for (const key of ['data', 'model'] as const) {
      // The words of a missing key as everywhere else (issues.ts); an objective config is the other way.
      if (config[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: 'is required' });
    }
    return;
  }
  for (const key of ['data', 'model', 'loss'] as const) {
    if (config[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: `a config with objective: has no ${key}: the objective's coordinates are the parameters and its value the loss` });
  }
}

/** An objective run's length when train: gives none (an epoch of an objective is a single step). */
export const OBJECTIVE_STEPS = 1000;
/** An objective run evaluates about this many times unless train.eval_every says otherwise (each is a rewrite of epochs.csv). */
const OBJECTIVE_EVALUATIONS = 100;

/**
 * A run without epochs or max_steps trains one epoch on data, OBJECTIVE_STEPS steps on an
 * objective; an objective run evaluates every 1/OBJECTIVE_EVALUATIONS of a max_steps run.
 */
function withTrainLength<C extends { objective?: unknown; train: { epochs?: number; max_steps?: number; eval_every?: number } }>(config: C): C {
  const { train } = config;
  const length = train.epochs === undefined && train.max_steps === undefined ? (config.objective === undefined ? { epochs: 1 } : { max_steps: OBJECTIVE_STEPS }) : {};
  const steps = train.max_steps ?? (length as { max_steps?: number }).max_steps;
  const every = config.objective === undefined || train.eval_every !== undefined || steps === undefined ? {} : { eval_every: Math.max(1, Math.ceil(steps / OBJECTIVE_EVALUATIONS)) };
  return { ...config, train: { ...train, ...length, ...every } };
}

/** The default loss, for a config on data. */
function withLoss<C extends { objective?: unknown; loss?: LossName }>(config: C): C {
  if (config.objective !== undefined || config.loss !== undefined) return config;
  // in the key's place, after model:, as config.yaml has always listed it
  const entries = Object.entries(config);
  const at = entries.findIndex(([key]) => key === 'model') + 1;
  return Object.fromEntries([...entries.slice(0, at), ['loss', 'cross_entropy'], ...entries.slice(at)]) as C;
}

/**
 * reduce_lr_on_plateau watches held-out data when there is some: with data.validation its
 * metric defaults to val_loss (so that the test set never steers training), else to test_loss.
 */
function withPlateauMetric<C extends { data?: { validation?: number }; scheduler?: Record<string, unknown> }>(config: C): C {
  const { scheduler } = config;
  if (scheduler?.name !== 'reduce_lr_on_plateau' || scheduler.metric !== undefined) return config;
  return { ...config, scheduler: { ...scheduler, metric: config.data?.validation === undefined ? 'test_loss' : 'val_loss' } };
}

type Parsed = z.output<typeof configSchema>;

/** model.init: the weights file and how it is loaded (engine/weights.ts). */
export type InitConfig = { readonly from: string } & InitOptions;

/** A validated config with every default filled in: what a run records in config.yaml. */
type Common = Omit<Parsed, 'name' | 'optimizer' | 'model' | 'scheduler' | 'data' | 'loss' | 'objective'> & {
  readonly name: string;
  readonly optimizer: { readonly name: OptimizerName } & Record<string, unknown>;
  readonly scheduler?: ScheduleConfig;
};

/** A config that trains a model on data. */
export type DataConfig = Common & {
  readonly data: NonNullable<Parsed['data']>;
  readonly model: { readonly layers: readonly LayerConfig[]; readonly init?: InitConfig };
  readonly loss: LossName;
  readonly objective?: undefined;
};

/** A config that minimizes an analytic objective (DESIGN.md, Objectives). */
export type ObjectiveRunConfig = Common & {
  readonly objective: ObjectiveConfig;
  readonly data?: undefined;
  readonly model?: undefined;
  readonly loss?: undefined;
};

export type ExperimentConfig = DataConfig | ObjectiveRunConfig;
