/**
 * The optimizer registry: config name → option schema (torch's defaults), the algorithm as
 * torch's docs state it, and the constructor. Config validation, `adam-lab schema` and
 * `adam-lab optimizers` all read this one table.
 */
import { z } from 'zod';
import * as adadeltaModule from './adadelta.js';
import * as adafactorModule from './adafactor.js';
import * as adagradModule from './adagrad.js';
import * as adamModule from './adam.js';
import * as adamaxModule from './adamax.js';
import * as asgdModule from './asgd.js';
import { averaged, type AverageOptions } from './averaging.js';
import * as lambModule from './lamb.js';
import * as larsModule from './lars.js';
import * as lbfgsModule from './lbfgs.js';
import * as lionModule from './lion.js';
import { lookahead, lookaheadAlgorithm, lookaheadOptions, type LookaheadOptions } from './lookahead.js';
import * as muonModule from './muon.js';
import * as nadamModule from './nadam.js';
import * as prodigyModule from './prodigy.js';
import { clipByGlobalNorm, clipByValue } from './pieces.js';
import * as radamModule from './radam.js';
import * as rmspropModule from './rmsprop.js';
import * as rpropModule from './rprop.js';
import * as scheduleFreeModule from './schedule-free.js';
import * as sgdModule from './sgd.js';
import type { OptimizerKind, PluginRecord } from './kind.js';
export type { OptimizerKind } from './kind.js';
import { activePlugins } from './plugins.js';
import { resolveGroups, segmentsOf, type ParamGroupConfig, type ResolvedGroup, type TensorView } from './groups.js';
import { chain, Optimizer, type GroupSetup, type OptimizerSetup } from './transform.js';

interface Family {
  readonly rule: string;
  readonly algorithm: string;
  readonly constructorOnly?: readonly string[];
  readonly tensorProblem?: (shape: readonly number[]) => string | null;
  readonly singleGroup?: boolean;
}

/**
 * Every optimizer takes `lookahead` (lookahead.ts), read once for all groups: the wrapper is the
 * optimizer's, not a group's.
 */
function kind<S extends z.ZodObject>(name: string, torch: string, options: S, family: Family, create: (o: z.output<S>) => OptimizerSetup): OptimizerKind {
  return {
    schema: options.extend({ name: z.literal(name), lookahead: lookaheadOptions.optional().describe('Lookahead around this optimizer, {k: 5, alpha: 0.5} (Zhang et al. 2019)') }),
    options,
    torch,
    rule: family.rule,
    algorithm: `${family.algorithm.trim()}\n${lookaheadAlgorithm.trim()}`,
    constructorOnly: [...(family.constructorOnly ?? []), 'lookahead'],
    tensorProblem: family.tensorProblem ?? (() => null),
    singleGroup: family.singleGroup ?? false,
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
  lion: kind('lion', 'Lion (Chen et al. 2023; lion-pytorch)', lionModule.lionOptions, lionModule, lionModule.lion),
  lamb: kind('lamb', 'LAMB (You et al. 2020, Algorithm 2)', lambModule.lambOptions, lambModule, lambModule.lamb),
  lars: kind('lars', 'LARS (You et al. 2017; timm.optim.Lars)', larsModule.larsOptions, larsModule, larsModule.lars),
  adafactor: kind('adafactor', 'torch.optim.Adafactor', adafactorModule.adafactorOptions, adafactorModule, adafactorModule.adafactor),
  muon: kind('muon', 'torch.optim.Muon', muonModule.muonOptions, muonModule, muonModule.muon),
  prodigy: kind('prodigy', 'Prodigy (Mishchenko & Defazio 2024; prodigyopt)', prodigyModule.prodigyOptions, prodigyModule, prodigyModule.prodigy),
  rprop: kind('rprop', 'torch.optim.Rprop', rpropModule.rpropOptions, rpropModule, rpropModule.rprop),
  lbfgs: kind('lbfgs', 'torch.optim.LBFGS', lbfgsModule.lbfgsOptions, { ...lbfgsModule, singleGroup: true }, lbfgsModule.lbfgs),
  asgd: kind('asgd', 'torch.optim.ASGD', asgdModule.asgdOptions, asgdModule, asgdModule.asgd),
  schedule_free_sgd: kind(
    'schedule_free_sgd',
    'schedulefree.SGDScheduleFree',
    scheduleFreeModule.scheduleFreeSgdOptions,
    { rule: scheduleFreeModule.sgdRule, algorithm: scheduleFreeModule.sgdAlgorithm },
    scheduleFreeModule.scheduleFreeSgd,
  ),
  schedule_free_adamw: kind(
    'schedule_free_adamw',
    'schedulefree.AdamWScheduleFree',
    scheduleFreeModule.scheduleFreeAdamwOptions,
    { rule: scheduleFreeModule.adamwRule, algorithm: scheduleFreeModule.adamwAlgorithm },
    scheduleFreeModule.scheduleFreeAdamw,
  ),
} as const satisfies Record<string, OptimizerKind>;

export type OptimizerName = keyof typeof optimizerKinds;
export const optimizerNames = Object.keys(optimizerKinds) as OptimizerName[];

/** The built-in optimizers, then the plugins this process serves (plugins.ts). */
export function allOptimizerKinds(): [string, OptimizerKind][] {
  return [...Object.entries(optimizerKinds), ...activePlugins().map((kind): [string, OptimizerKind] => [kind.plugin.name, kind])];
}

/** The kind of a validated config's optimizer: a built-in, or a plugin this process serves. */
export function optimizerKind(name: string): OptimizerKind {
  const kind = Object.hasOwn(optimizerKinds, name) ? optimizerKinds[name as OptimizerName] : servedPlugin(name);
  if (kind === undefined) throw new Error(`no optimizer '${name}' (a plugin's optimizer needs its --optimizer-plugin)`);
  return kind;
}

/** The plugin file an optimizer of this name comes from; undefined for a built-in (or a name no plugin serves). */
export function pluginOf(name: string): PluginRecord | undefined {
  return servedPlugin(name)?.plugin;
}

/** The plugin this process serves under `name`, if any. */
function servedPlugin(name: string): ReturnType<typeof activePlugins>[number] | undefined {
  return activePlugins().find((k) => k.plugin.name === name);
}

/** An optimizer config as validated: its name and every option with defaults filled in. */
export type OptimizerConfig = { readonly name: OptimizerName } & Record<string, unknown>;

/**
 * What the train block wraps around the optimizer: gradient clipping before it (train.clip_grad_norm,
 * train.clip_grad_value) and weight averaging after it (train.average).
 */
export interface Clipping {
  readonly clip_grad_norm?: number;
  readonly clip_grad_value?: number;
  readonly average?: AverageOptions;
}

/**
 * The optimizer of a config over the flat parameter vector `params`, whose tensors are `tensors`
 * (one anonymous tensor when not given); `param_groups` in the config split them into groups
 * (groups.ts), each group's options validated as a whole, as torch does when it adds a group.
 */
export function createOptimizer(config: OptimizerConfig, params: Float32Array, clipping: Clipping = {}, tensors: readonly TensorView[] = [wholeVector(params)]): Optimizer {
  // Clipping by norm comes first, while the update is still the gradient whose norm the step context carries.
  const clip = [clipping.clip_grad_norm !== undefined && clipByGlobalNorm(clipping.clip_grad_norm), clipping.clip_grad_value !== undefined && clipByValue(clipping.clip_grad_value)];
  const setups = optimizerGroups(config, tensors).map((group): GroupSetup => {
    const { transform, hyper } = optimizerKind(groupOptimizer(config, group)).create(group.options);
    const segments = group.frozen ? [] : transform.perTensor === true ? group.tensors : segmentsOf(group.tensors);
    // Outermost first (chain): the average sees the weights after Lookahead's synchronisation.
    const ahead = lookaheadOf(group.options);
    const wrappers = [clipping.average !== undefined && averaged(clipping.average), ahead !== undefined && lookahead(ahead)];
    const wrapped = [...wrappers, ...clip].some(Boolean) ? chain(...wrappers, ...clip, transform) : transform;
    return { transform: wrapped, hyper, segments };
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
  return resolveGroups(tensors, topLevel, groups).map((group) => {
    if (group.index === null) return group;
    const kindName = groupOptimizer(config, group);
    return { ...group, options: withoutName(optimizerKind(kindName).schema.parse({ ...group.options, name: kindName })) };
  });
}

/** The optimizer that steps a group: the one the group names, else the config's. */
export function groupOptimizer(config: OptimizerConfig, group: ResolvedGroup): OptimizerName {
  return (group.optimizer ?? config.name) as OptimizerName;
}

function lookaheadOf(options: Readonly<Record<string, unknown>>): LookaheadOptions | undefined {
  return options.lookahead as LookaheadOptions | undefined;
}

function wholeVector(params: Float32Array): TensorView {
  return { name: 'params', shape: [params.length], offset: 0, length: params.length };
}

function withoutName(options: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, ...rest } = options;
  return rest;
}
