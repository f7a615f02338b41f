/**
 * What the optimizer registry serves for one optimizer name, built-in or plugin (registry.ts,
 * plugins.ts): written here once, so that both describe an optimizer the same way.
 */
import type { z } from 'zod';
import type { OptimizerSetup } from './transform.js';

/** Which file a plugin came from, and its content: what manifests and sweep folders record. */
export interface PluginRecord {
  readonly name: string;
  /** Absolute. */
  readonly path: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

/** A registered optimizer: its options, its documentation and its constructor. */
export interface OptimizerKind {
  /** The option schema, torch's defaults filled in, with the `name` discriminator. */
  readonly schema: z.ZodObject;
  /** The same options without `name`. */
  readonly options: z.ZodObject;
  /** Which torch class it reproduces. */
  readonly torch: string;
  /** The update rule in one line. */
  readonly rule: string;
  /** The whole algorithm, one formula per line, in torch's notation. */
  readonly algorithm: string;
  /** Options torch reads once, from the constructor, for every group: a param group may not set them. */
  readonly constructorOnly: readonly string[];
  /** Why it cannot step a tensor of this shape (Muon: only 2-D matrices), or null when it can. */
  readonly tensorProblem: (shape: readonly number[]) => string | null;
  /** Whether the torch class takes one parameter group only (LBFGS): param_groups is refused. */
  readonly singleGroup: boolean;
  /** The file a plugin optimizer came from (plugins.ts); absent on a built-in. */
  readonly plugin?: PluginRecord;
  create(options: Record<string, unknown>): OptimizerSetup;
}
