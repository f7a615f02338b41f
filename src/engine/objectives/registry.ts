/**
 * The objective registry: config name → option schema, the dimensions it takes, a one-line
 * summary, and the constructor — read by the config schema, `adam-lab schema` and training, as
 * the layer registry (layers/registry.ts) is.
 */
import { z } from 'zod';
import { beale } from './beale.js';
import type { Box, Objective } from './objective.js';
import { quadratic, quadraticOptions } from './quadratic.js';
import { rastrigin, rastriginOptions } from './rastrigin.js';
import { reddiOnline, reddiOnlineOptions, reddiStochastic, reddiStochasticOptions } from './reddi2018.js';
import { rosenbrock, rosenbrockOptions } from './rosenbrock.js';
import { saddle } from './saddle.js';

export interface ObjectiveKind {
  /** The objective's own options (beside name, start, noise and domain), with their defaults. */
  readonly options: z.ZodRawShape;
  /** The dimensions `start` may have: exactly one, or at least `min`. */
  readonly dimension: { readonly exactly: number } | { readonly min: number };
  /** A box domain is required (linear objectives are unbounded without one). */
  readonly needsDomain: boolean;
  readonly summary: string;
  create(options: Record<string, unknown>, dimension: number, domain: Box | null): Objective;
}

function kind<S extends z.ZodRawShape>(
  options: S,
  dimension: ObjectiveKind['dimension'],
  summary: string,
  create: (options: z.output<z.ZodObject<S>>, dimension: number, domain: Box | null) => Objective,
  needsDomain = false,
): ObjectiveKind {
  return { options, dimension, summary, needsDomain, create: (o, n, d) => create(o as z.output<z.ZodObject<S>>, n, d) };
}

export const objectiveKinds: Readonly<Record<string, ObjectiveKind>> = {
  rosenbrock: kind(rosenbrockOptions, { min: 2 }, 'Σ b·(x_{i+1} − x_i²)² + (a − x_i)², minimum at (1, …, 1)', rosenbrock),
  beale: kind({}, { exactly: 2 }, '(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum at (3, 0.5)', () => beale()),
  saddle: kind({}, { exactly: 2 }, 'x² − y², a saddle at the origin', () => saddle()),
  rastrigin: kind(rastriginOptions, { min: 1 }, 'A·n + Σ x_i² − A·cos 2πx_i, many local minima, the global one at 0', rastrigin),
  quadratic: kind(quadraticOptions, { min: 1 }, '½·xᵀAx with condition_number and rotation, minimum at 0', quadratic),
  reddi2018_online: kind(reddiOnlineOptions, { exactly: 1 }, 'Reddi et al. 2018: f_t = c·x when t mod period = 1, else otherwise·x, on a domain', (o, _n, d) => reddiOnline(o, d), true),
  reddi2018_stochastic: kind(reddiStochasticOptions, { exactly: 1 }, 'Reddi et al. 2018: f_t = c·x with probability p, else otherwise·x, on a domain', (o, _n, d) => reddiStochastic(o, d), true),
};

export const objectiveNames = Object.keys(objectiveKinds);
