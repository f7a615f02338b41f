/**
 * An `objective:` block as the validated config holds it (config/objective-schema.ts makes it),
 * and the Objective and domain it stands for.
 */
import type { Box, Objective } from './objective.js';
import { objectiveKinds } from './registry.js';

export interface ObjectiveConfig {
  readonly name: string;
  /** The starting point; its length is the dimension. */
  readonly start: readonly number[];
  /** Standard deviation of the Gaussian noise added to every gradient coordinate (0: exact gradients). */
  readonly noise: number;
  /** [low, high] for every coordinate, or one pair per coordinate. */
  readonly domain?: readonly [number, number] | readonly (readonly [number, number])[];
  readonly [option: string]: unknown;
}

/** The domain as a box of the objective's dimension, or null when there is none. */
export function domainBox(config: ObjectiveConfig): Box | null {
  const { domain, start } = config;
  if (domain === undefined) return null;
  const pairs = typeof domain[0] === 'number' ? start.map(() => domain as readonly [number, number]) : (domain as readonly (readonly [number, number])[]);
  return { low: pairs.map((p) => p[0]), high: pairs.map((p) => p[1]) };
}

export function createObjective(config: ObjectiveConfig): Objective {
  const { name, start: _start, noise: _noise, domain: _domain, ...options } = config;
  return objectiveKinds[name].create(options, config.start.length, domainBox(config));
}
