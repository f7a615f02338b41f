/**
 * The optimizer registry: config name → option schema (with torch's defaults), the one-line
 * update rule and the constructor. Config validation, `adam-lab schema` and the docs read it.
 */
import { z } from 'zod';
import { adam, adamOptions } from './adam.js';
import { rmsprop, rmspropOptions } from './rmsprop.js';
import { sgd, sgdOptions } from './sgd.js';
import { Optimizer, type Hyperparams, type Transform } from './transform.js';

export interface OptimizerKind {
  /** The option schema, torch's defaults filled in, with the `name` discriminator. */
  readonly schema: z.ZodObject;
  /** The update rule in one line, in torch's notation. */
  readonly rule: string;
  create(options: Record<string, unknown>): { transform: Transform; hyper: Hyperparams };
}

function kind<S extends z.ZodObject>(
  name: string,
  options: S,
  rule: string,
  create: (o: z.output<S>) => { transform: Transform; hyper: Hyperparams },
): OptimizerKind {
  return { schema: options.extend({ name: z.literal(name) }), rule, create: (o) => create(o as z.output<S>) };
}

export const optimizerKinds = {
  sgd: kind('sgd', sgdOptions, 'b ← μb + (1−τ)(g + λθ); θ ← θ − γ·(nesterov ? g + μb : b)', sgd),
  rmsprop: kind('rmsprop', rmspropOptions, 'v ← αv + (1−α)g²; θ ← θ − γ·g/(√v + ε)  (centered: v − ḡ²; momentum on the ratio)', rmsprop),
  adam: kind('adam', adamOptions, 'm ← β1m + (1−β1)g; v ← β2v + (1−β2)g²; θ ← θ − γ·m̂/(√v̂ + ε)  (amsgrad: max of v)', adam),
} as const satisfies Record<string, OptimizerKind>;

export type OptimizerName = keyof typeof optimizerKinds;
export const optimizerNames = Object.keys(optimizerKinds) as OptimizerName[];

/** An optimizer config as validated: its name and every option with defaults filled in. */
export type OptimizerConfig = { readonly name: OptimizerName } & Record<string, unknown>;

export function createOptimizer(config: OptimizerConfig, params: Float32Array): Optimizer {
  const { name, ...options } = config;
  const { transform, hyper } = optimizerKinds[name].create(options);
  return new Optimizer(transform, hyper, params);
}
