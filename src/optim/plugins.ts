/**
 * Optimizer plugins (--optimizer-plugin ./my-opt.mjs): an ES module a user wrote, checked here
 * and turned into an optimizer kind that the registry (registry.ts) serves beside the built-in
 * ones, so that train, sweeps, tuned comparisons, checkpoints and `optimizers verify` take it as
 * they take adam.
 *
 * A plugin module exports (as named exports, or as the fields of its default export):
 *   name       the config's optimizer.name: lower case, digits and '_', not a built-in's name
 *   options    a zod object schema of its options, with a default for every option and an `lr`
 *              (schedules and the tuned protocol move optimizer.lr); or a function (z) => schema
 *              that adam-lab calls with its own zod, so the plugin needs no zod of its own
 *   rule, algorithm   (optional) the update in one line, and in full, for `adam-lab optimizers`
 *   tensorProblem(shape)   (optional) why it cannot step a tensor of this shape, or null
 * and then either
 *   create(options, lab)          a Transform (transform.ts), typically lab.chain(...) of the
 *                                 built-in lab.pieces ending in lab.pieces.scaleByLearningRate()
 * or
 *   init(size, options, shape)    the state of one tensor: an object of Float32Arrays, each of
 *                                 `size` elements (exp_avg, ...) or of 1 (a scalar such as a flag)
 *   update(g, state, context, options)   turns the tensor's gradient g into its step Δθ in place
 *                                 (θ ← θ + g afterwards); context.hyper.lr is the scheduled rate,
 *                                 context.step the 1-based step, context.params the tensor's θ,
 *                                 context.shape its shape (torch's layout).
 * The optimizer steps a plugin one tensor at a time (a per-tensor Transform, transform.ts), never
 * several tensors as one vector, whichever form it takes.
 * State arrays are saved in checkpoints under their keys, as `<tensor>.<key>`.
 */
import { z } from 'zod';
import { PluginError } from '../core/errors.js';
import { isPrototypeKey } from '../core/keys.js';
import * as pieces from './library.js';
import type { OptimizerKind, PluginRecord } from './kind.js';

export type { PluginRecord } from './kind.js';
import { chain, type Hyperparams, type NamedState, type Transform } from './transform.js';

/** A plugin as the registry serves it: an OptimizerKind that always has its file, and takes param groups. */
export type PluginKind = OptimizerKind & { readonly plugin: PluginRecord; readonly singleGroup: false };

/** What a plugin's create() receives besides its options: the library's pieces and zod. */
export const pluginLibrary = Object.freeze({ z, chain, pieces });

const NAME = /^[a-z][a-z0-9_]*$/;
const STATE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Exports = Readonly<Record<string, unknown>>;

/**
 * The optimizer kind a plugin module's exports make, or a PluginError naming the file and every
 * problem found. `builtIn` lists the names a plugin may not take.
 */
export function pluginKind(exports: Exports, record: Omit<PluginRecord, 'name'>, builtIn: readonly string[]): PluginKind {
  const plugin = pluginExports(exports);
  const problems: string[] = [];
  const name = plugin.name;
  if (typeof name !== 'string' || !NAME.test(name)) problems.push(`exports no valid name (got ${describe(name)}): export const name = 'my_optimizer' (lower case, digits and '_')`);
  else if (builtIn.includes(name)) problems.push(`its name '${name}' is a built-in optimizer's: choose another name`);
  const schema = optionsSchema(plugin.options, problems);
  if (plugin.tensorProblem !== undefined && typeof plugin.tensorProblem !== 'function') problems.push(`exports tensorProblem as ${describe(plugin.tensorProblem)}, not a function`);
  for (const key of ['rule', 'algorithm']) if (plugin[key] !== undefined && typeof plugin[key] !== 'string') problems.push(`exports ${key} as ${describe(plugin[key])}: a string, or leave it out`);
  const hasCreate = plugin.create !== undefined;
  const hasState = plugin.init !== undefined || plugin.update !== undefined;
  if (hasCreate === hasState) problems.push('must export either create(options, lab) or both init(size, options) and update(g, state, context, options)');
  for (const key of hasCreate ? ['create'] : ['init', 'update']) if (plugin[key] !== undefined && typeof plugin[key] !== 'function') problems.push(`exports ${key} as ${describe(plugin[key])}, not a function`);
  if (hasState && (plugin.init === undefined || plugin.update === undefined)) problems.push('exports only one of init and update: a plugin with state needs both');
  if (problems.length > 0 || schema === null) throw new PluginError(record.path, problems.join('; '));
  const file = record.path;
  const tensorProblem = plugin.tensorProblem as ((shape: readonly number[]) => string | null) | undefined;
  return {
    schema: schema.extend({ name: z.literal(name as string) }),
    options: schema,
    torch: `plugin ${file}`,
    rule: (plugin.rule as string | undefined) ?? '(a plugin; see its file)',
    algorithm: ((plugin.algorithm as string | undefined) ?? (plugin.rule as string | undefined) ?? '(a plugin; see its file)').trim(),
    constructorOnly: [],
    singleGroup: false,
    plugin: { name: name as string, ...record },
    tensorProblem: (shape) => (tensorProblem === undefined ? null : (call(file, 'tensorProblem', () => tensorProblem(shape)) ?? null)),
    create: (o) => ({
      hyper: hyperparams(o),
      transform: hasCreate ? createdTransform(file, plugin.create as CreateFunction, o) : stateTransform(file, plugin as unknown as StatePlugin, o),
    }),
  };
}

/**
 * The values schedules move, from the plugin's options under torch's names: lr, and momentum or
 * betas[0] when it has them (one_cycle_lr cycles them; lab.pieces.trace reads hyper.momentum).
 */
function hyperparams(o: Record<string, unknown>): Hyperparams {
  const hyper: Hyperparams = { lr: o.lr as number };
  if (typeof o.momentum === 'number') hyper.momentum = o.momentum;
  if (Array.isArray(o.betas) && typeof o.betas[0] === 'number') hyper.beta1 = o.betas[0];
  return hyper;
}

/** The module's exports, or its default export's fields when it exports its plugin as one object. */
function pluginExports(exports: Exports): Exports {
  const fallback = exports.default;
  return exports.name === undefined && typeof fallback === 'object' && fallback !== null ? (fallback as Exports) : exports;
}

/** The options schema as adam-lab's zod object, or null with the problem added. */
function optionsSchema(given: unknown, problems: string[]): z.ZodObject | null {
  let schema = given;
  if (typeof given === 'function') {
    try {
      schema = (given as (zod: typeof z) => unknown)(z);
    } catch (error) {
      problems.push(`options(z) threw: ${messageOf(error)}`);
      return null;
    }
  }
  if (!(schema instanceof z.ZodObject)) {
    problems.push(
      `exports options as ${describe(schema)}: export a zod object schema, e.g. export const options = (z) => z.strictObject({ lr: z.number().gt(0).default(1e-3) }) (with a zod of its own, the plugin must use the zod adam-lab uses: pass a function)`,
    );
    return null;
  }
  if ('name' in schema.shape) problems.push("its options have a key 'name': the config's optimizer.name is adam-lab's, leave it out");
  const defaults = schema.safeParse({});
  if (!defaults.success) problems.push(`its options have no default for ${defaults.error.issues.map((i) => i.path.join('.') || 'the whole').join(', ')}: every option needs one, as torch's defaults`);
  else if (typeof defaults.data.lr !== 'number' || !(defaults.data.lr > 0)) problems.push('its options need lr, a number > 0 by default (schedules and the tuned protocol move optimizer.lr)');
  return schema;
}

type CreateFunction = (options: Record<string, unknown>, lab: typeof pluginLibrary) => unknown;

interface StatePlugin {
  init(size: number, options: Record<string, unknown>, shape: readonly number[] | undefined): unknown;
  update(g: Float32Array, state: Readonly<Record<string, Float32Array>>, context: unknown, options: Record<string, unknown>): void;
}

/** create()'s transform, checked to be one, stepped per tensor as every plugin is. */
function createdTransform(file: string, create: CreateFunction, options: Record<string, unknown>): Transform {
  const made = call(file, 'create', () => create(options, pluginLibrary)) as Partial<Transform> | null;
  if (typeof made !== 'object' || made === null || typeof made.init !== 'function' || typeof made.update !== 'function') {
    throw new PluginError(file, `create() returned ${describe(made)}, not a transform with init and update (build one with lab.chain(...) of lab.pieces)`);
  }
  return made.perTensor === true ? (made as Transform) : chain(PER_TENSOR, made as Transform);
}

/** A link that changes nothing but makes a chain step its tensors one at a time (chain's perTensor). */
const PER_TENSOR: Transform = { perTensor: true, init: () => null, update: () => {} };

/** A plugin's state: its arrays, and the size of the tensor they belong to (which of them are per element). */
interface PluginState {
  readonly size: number;
  readonly values: Readonly<Record<string, Float32Array>>;
}

/** init/update as a Transform whose state arrays checkpoints save under the plugin's keys. */
function stateTransform(file: string, plugin: StatePlugin, options: Record<string, unknown>): Transform<PluginState> {
  return {
    perTensor: true,
    init(size, shape) {
      return { size, values: checkedState(file, call(file, 'init', () => plugin.init(size, options, shape)), size) };
    },
    named({ size, values }): NamedState {
      const entries = Object.entries(values);
      return { elements: entries.filter(([, v]) => v.length === size), scalars: entries.filter(([, v]) => v.length !== size) };
    },
    update(u, { values }, context) {
      // Not through call(): a closure per tensor per step would be an allocation on the hot path.
      try {
        plugin.update(u, values, context, options);
      } catch (error) {
        throw pluginFailure(file, 'update', error);
      }
    },
  };
}

/** init()'s result, or a PluginError saying what a state must be. */
function checkedState(file: string, state: unknown, size: number): Record<string, Float32Array> {
  const wrong = (problem: string): PluginError => new PluginError(file, `init(${size}, options) ${problem}: return an object of Float32Arrays, each of ${size} elements or of 1`);
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw wrong(`returned ${describe(state)}`);
  for (const [key, value] of Object.entries(state)) {
    if (isPrototypeKey(key) || !STATE_KEY.test(key)) throw wrong(`names a state '${key}' (letters, digits and '_' only)`);
    if (!(value instanceof Float32Array)) throw wrong(`returned ${key} as ${describe(value)}`);
    if (value.length !== size && value.length !== 1) throw wrong(`returned ${key} of ${value.length} elements`);
  }
  return state as Record<string, Float32Array>;
}

/** Runs a plugin's function; what it throws becomes a PluginError naming the file and the function. */
function call<T>(file: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw pluginFailure(file, what, error);
  }
}

/** What a plugin's function threw, as a PluginError naming the file and the function. */
function pluginFailure(file: string, what: string, error: unknown): PluginError {
  return error instanceof PluginError ? error : new PluginError(file, `${what}() threw: ${messageOf(error)}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `a ${typeof value}`;
}

let active: readonly PluginKind[] = [];
const listeners: (() => void)[] = [];

/**
 * The plugins this process serves, replacing those it served before (each command sets the ones
 * its --optimizer-plugin flags name). Two plugins of one name are an error.
 */
export function usePlugins(kinds: readonly PluginKind[]): void {
  const seen = new Map<string, string>();
  for (const kind of kinds) {
    const other = seen.get(kind.plugin.name);
    if (other !== undefined && other !== kind.plugin.path) throw new PluginError(kind.plugin.path, `its name '${kind.plugin.name}' is taken by another plugin, ${other}`);
    seen.set(kind.plugin.name, kind.plugin.path);
  }
  active = kinds.filter((kind, i) => kinds.findIndex((k) => k.plugin.name === kind.plugin.name) === i);
  for (const listener of listeners) listener();
}

export function activePlugins(): readonly PluginKind[] {
  return active;
}

/** Called whenever the plugins change (config/schema.ts rebuilds the optimizer schema). */
export function onPluginsChanged(listener: () => void): void {
  listeners.push(listener);
}
