/**
 * The `objective:` block (DESIGN.md, Objectives), standing where data/model/loss would:
 *
 *   objective: { name: rosenbrock, start: [-1.5, 2.0], noise: 0.0, domain: [-2, 2] }
 *
 * `start` is the starting point and sets the dimension; `noise` the standard deviation of the
 * seeded Gaussian noise added to each gradient coordinate; `domain` a box ([low, high] for every
 * coordinate, or one pair per coordinate) that the iterate is projected onto after every optimizer
 * step. Each objective adds its own options (engine/objectives/registry.ts).
 */
import { z } from 'zod';
import { objectiveKinds, type ObjectiveKind } from '../engine/objectives/registry.js';

const pair = z
  .tuple([z.number().finite(), z.number().finite()])
  .refine(([low, high]) => low < high, { message: 'needs low < high' })
  .describe('[low, high]');

const common = {
  start: z.array(z.number().finite()).min(1).describe('the starting point; its length is the dimension'),
  noise: z.number().min(0).finite().default(0).describe('standard deviation of the seeded Gaussian noise added to every gradient coordinate'),
  domain: z
    .union([pair, z.array(pair).min(1)])
    .optional()
    .describe('a box the iterate is projected onto after every optimizer step: [low, high] for every coordinate, or one pair per coordinate'),
};

/** `start` must have a dimension the objective takes, and lie in the domain; a domain of pairs needs one per coordinate. */
function checkShape(name: string, kind: ObjectiveKind) {
  return (o: { start: number[]; domain?: [number, number] | [number, number][] }, context: z.RefinementCtx): void => {
    const n = o.start.length;
    const d = kind.dimension;
    if ('exactly' in d && n !== d.exactly) context.addIssue({ code: 'custom', path: ['start'], message: `${name} is ${d.exactly}-dimensional: start needs ${d.exactly} coordinate(s), got ${n}` });
    if ('min' in d && n < d.min) context.addIssue({ code: 'custom', path: ['start'], message: `${name} needs at least ${d.min} coordinates, got ${n}` });
    if (kind.needsDomain && o.domain === undefined) context.addIssue({ code: 'custom', path: ['domain'], message: `${name} is linear, unbounded without a domain: add e.g. domain: [-1, 1]` });
    if (o.domain === undefined) return;
    const perCoordinate = typeof o.domain[0] !== 'number';
    const pairs = perCoordinate ? (o.domain as [number, number][]) : o.start.map(() => o.domain as [number, number]);
    if (pairs.length !== n) {
      context.addIssue({ code: 'custom', path: ['domain'], message: `has ${pairs.length} pair(s), start has ${n} coordinate(s): give one [low, high] per coordinate, or a single [low, high] for all` });
      return;
    }
    o.start.forEach((x, i) => {
      const [low, high] = pairs[i];
      if (x < low || x > high) context.addIssue({ code: 'custom', path: ['start', i], message: `${x} lies outside the domain [${low}, ${high}]` });
    });
  };
}

const members = Object.entries(objectiveKinds).map(([name, kind]) =>
  z
    .strictObject({ name: z.literal(name).describe(kind.summary), ...common, ...kind.options })
    .superRefine(checkShape(name, kind)),
);

export const objectiveSchema = z
  .discriminatedUnion('name', members as unknown as [z.ZodObject, ...z.ZodObject[]])
  .describe('an analytic objective whose parameters are the coordinates (instead of data, model and loss)');
