/**
 * The optimizer registry: config name → option schema (torch's defaults), the algorithm as
 * torch's docs state it, and the constructor. Config validation, `adam-lab schema` and
 * `adam-lab optimizers` all read this one table.
 */
import { z } from 'zod';
import * as adadeltaFamily from './adadelta.js';
import * as adagradFamily from './adagrad.js';
import * as adamFamily from './adam.js';
import * as adamaxFamily from './adamax.js';
import * as nadamFamily from './nadam.js';
import { clipByGlobalNorm, clipByValue } from './pieces.js';
import * as radamFamily from './radam.js';
import * as rmspropFamily from './rmsprop.js';
import * as sgdFamily from './sgd.js';
import { chain, Optimizer, type OptimizerSetup } from './transform.js';

export interface OptimizerKind {
  /** The option schema, torch's defaults filled in, with the `name` discriminator. */
  readonly schema: z.ZodObject;
  /** Which torch class it reproduces. */
  readonly torch: string;
  /** The update rule in one line. */
  readonly rule: string;
  /** The whole algorithm, one formula per line, in torch's notation. */
  readonly algorithm: string;
  create(options: Record<string, unknown>): OptimizerSetup;
}

interface Family {
  readonly rule: string;
  readonly algorithm: string;
}

function kind<S extends z.ZodObject>(name: string, torch: string, options: S, family: Family, create: (o: z.output<S>) => OptimizerSetup): OptimizerKind {
  return {
    schema: options.extend({ name: z.literal(name) }),
    torch,
    rule: family.rule,
    algorithm: family.algorithm.trim(),
    create: (o) => create(o as z.output<S>),
  };
}

export const optimizerKinds = {
  sgd: kind('sgd', 'torch.optim.SGD', sgdFamily.sgdOptions, sgdFamily, sgdFamily.sgd),
  rmsprop: kind('rmsprop', 'torch.optim.RMSprop', rmspropFamily.rmspropOptions, rmspropFamily, rmspropFamily.rmsprop),
  adam: kind('adam', 'torch.optim.Adam', adamFamily.adamOptions, adamFamily, adamFamily.adam),
  adamw: kind('adamw', 'torch.optim.AdamW', adamFamily.adamwOptions, { rule: adamFamily.adamwRule, algorithm: adamFamily.algorithm }, adamFamily.adamw),
  adamax: kind('adamax', 'torch.optim.Adamax', adamaxFamily.adamaxOptions, adamaxFamily, adamaxFamily.adamax),
  nadam: kind('nadam', 'torch.optim.NAdam', nadamFamily.nadamOptions, nadamFamily, nadamFamily.nadam),
  radam: kind('radam', 'torch.optim.RAdam', radamFamily.radamOptions, radamFamily, radamFamily.radam),
  adagrad: kind('adagrad', 'torch.optim.Adagrad', adagradFamily.adagradOptions, adagradFamily, adagradFamily.adagrad),
  adadelta: kind('adadelta', 'torch.optim.Adadelta', adadeltaFamily.adadeltaOptions, adadeltaFamily, adadeltaFamily.adadelta),
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

export function createOptimizer(config: OptimizerConfig, params: Float32Array, clipping: Clipping = {}): Optimizer {
  const { name, ...options } = config;
  const { transform, hyper } = optimizerKinds[name].create(options);
  const clip = [clipping.clip_grad_norm !== undefined && clipByGlobalNorm(clipping.clip_grad_norm), clipping.clip_grad_value !== undefined && clipByValue(clipping.clip_grad_value)];
  return new Optimizer(clip.some(Boolean) ? chain(...clip, transform) : transform, hyper, params);
}
