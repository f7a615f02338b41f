/**
 * The optimizer registry: config name → option schema (torch's defaults), the algorithm as
 * torch's docs state it, and the constructor. Config validation, `adam-lab schema` and
 * `adam-lab optimizers` all read this one table.
 */
import { z } from 'zod';
import * as adadeltaModule from './adadelta.js';
import * as adagradModule from './adagrad.js';
import * as adamModule from './adam.js';
import * as adamaxModule from './adamax.js';
import * as nadamModule from './nadam.js';
import { clipByGlobalNorm, clipByValue } from './pieces.js';
import * as radamModule from './radam.js';
import * as rmspropModule from './rmsprop.js';
import * as sgdModule from './sgd.js';
import { resolveGroups, segmentsOf, type ParamGroupConfig, type ResolvedGroup, type TensorView } from './groups.js';
import { chain, Optimizer, type GroupSetup, type OptimizerSetup } from './transform.js';

export interface OptimizerKind {
  /** The option schema, torch's defaults filled in, with the `name` discriminator. */
  readonly schema: z.ZodObject;
  /** Which torch class it reproduces. */
  readonly torch: string;
  /** The update rule in one line. */
  readonly rule: string;
  /** The whole algorithm, one formula per line, in torch's notation. */
  readonly algorithm: string;
  /** Options torch reads once, from the constructor, for every group: a param group may not set them. */
  readonly constructorOnly: readonly string[];
  create(options: Record<string, unknown>): OptimizerSetup;
}

interface Family {
  readonly rule: string;
  readonly algorithm: string;
  readonly constructorOnly?: readonly string[];
}

function kind<S extends z.ZodObject>(name: string, torch: string, options: S, family: Family, create: (o: z.output<S>) => OptimizerSetup): OptimizerKind {
  return {
    schema: options.extend({ name: z.literal(name) }),
    torch,
    rule: family.rule,
    algorithm: family.algorithm.trim(),
    constructorOnly: family.constructorOnly ?? [],
    create: (o) => create(o as z.output<S>),
  };
}

export const optimizerKinds = {
  sgd: kind('sgd', 'torch.optim.SGD', sgdModule.sgdOptions, sgdModule, sgdModule.sgd),
  rmsprop: kind('rmsprop', 'torch.optim.RMSprop', rmspropModule.rmspropOptions, rmspropModule, rmspropModule.rmsprop),
  adam: kind('adam', 'torch.optim.Adam', adamModule.adamOptions, adamModule, adamModule.adam),
  adamw: kind('adamw', 'torch.optim.AdamW', adamModule.adamwOptions, { rule: adamModule.adamwRule, algorithm: adamModule.algorithm }, adamModule.adamw),
  adamax: kind('adamax', 'torch.optim.Adamax', adamaxModule.adamaxOptions, adamaxModule, adamaxModule.adamax),
  nadam: kind('nadam', 'torch.optim.NAdam', nadamModule.nadamOptions, nadamModule, nadamModule.nadam),
  radam: kind('radam', 'torch.optim.RAdam', radamModule.radamOptions, radamModule, radamModule.radam),
  adagrad: kind('adagrad', 'torch.optim.Adagrad', adagradModule.adagradOptions, adagradModule, adagradModule.adagrad),
  adadelta: kind('adadelta', 'torch.optim.Adadelta', adadeltaModule.adadeltaOptions, adadeltaModule, adadeltaModule.adadelta),
} as const satisfies Record<string, OptimizerKind>;

export type OptimizerName = keyof typeof optimizerKinds;
export const optimizerNames = Object.keys(optimizerKinds) as OptimizerName[];

/** An optimizer config as validated: its name and every option with defaults filled in. */
export type OptimizerConfig = { readonly name: OptimizerName } & Record<string, unknown>;

/** Gradient clipping before the optimizer (train.clip_grad_norm, train.clip_grad_value). */
export interface Clipping {
  readonly clip_grad_norm?: number;
  readonly clip_grad_value?: number;
}

/**
 * The optimizer of a config over the flat parameter vector `params`, whose tensors are `tensors`
 * (one anonymous tensor when not given); `param_groups` in the config split them into groups
 * (groups.ts), each group's options validated as a whole, as torch does when it adds a group.
 */
export function createOptimizer(config: OptimizerConfig, params: Float32Array, clipping: Clipping = {}, tensors: readonly TensorView[] = [wholeVector(params)]): Optimizer {
  const kind = optimizerKinds[config.name];
  // Clipping by norm comes first, while the update is still the gradient whose norm the step context carries.
  const clip = [clipping.clip_grad_norm !== undefined && clipByGlobalNorm(clipping.clip_grad_norm), clipping.clip_grad_value !== undefined && clipByValue(clipping.clip_grad_value)];
  const setups = optimizerGroups(config, tensors).map((group): GroupSetup => {
    const { transform, hyper } = kind.create(group.options);
    const segments = group.frozen ? [] : transform.perTensor === true ? group.tensors : segmentsOf(group.tensors);
    return { transform: clip.some(Boolean) ? chain(...clip, transform) : transform, hyper, segments };
  });
  return new Optimizer(setups, params, clipping.clip_grad_norm !== undefined);
}

/**
 * The config's parameter groups resolved over `tensors` (groups.ts), in the optimizer's order
 * (the default group last, as Optimizer.hypers), each group's options validated as a whole and
 * with defaults filled in, without the `name`.
 */
export function optimizerGroups(config: OptimizerConfig, tensors: readonly TensorView[]): ResolvedGroup[] {
  const { name, param_groups: groups = [], ...topLevel } = config as OptimizerConfig & { param_groups?: ParamGroupConfig[] };
  const kind = optimizerKinds[name];
  return resolveGroups(tensors, topLevel, groups).map((group) => (group.index === null ? group : { ...group, options: withoutName(kind.schema.parse({ ...group.options, name })) }));
}

function wholeVector(params: Float32Array): TensorView {
  return { name: 'params', shape: [params.length], offset: 0, length: params.length };
}

function withoutName(options: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, ...rest } = options;
  return rest;
}
