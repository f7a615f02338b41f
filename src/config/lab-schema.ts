/**
 * The laboratory blocks of a config: what `sweep`, `compare` and `check` vary, measure and expect.
 * They never change a single run; a trial's own config has them removed.
 */
import { z } from 'zod';
import { prototypeKeyIn, prototypeKeyProblem } from '../core/keys.js';
import { RUN_NAME_PATTERN } from './run-name.js';
import { expectSchema } from './expect-schema.js';
import { keyedUnion } from './keyed-union.js';

/**
 * The most trials one expansion may hold. More is a slip of the keyboard (`trials: 1000000`,
 * a grid of three 100-value axes), refused before anything is expanded or run.
 */
export const MAX_TRIALS = 10_000;

const bounds = (min: number) => z.tuple([z.number().finite().min(min), z.number().finite().min(min)]).refine(([a, b]) => a <= b, { message: 'needs low ≤ high' });

/** The distributions a sweep and a tuning run both draw from. */
const DISTRIBUTIONS = [
  { name: 'uniform', schema: z.strictObject({ uniform: bounds(-Infinity).describe('[low, high)') }) },
  { name: 'log_uniform', schema: z.strictObject({ log_uniform: bounds(Number.MIN_VALUE).describe('[low, high), uniform in log space; low > 0') }) },
  {
    name: 'int_uniform',
    schema: z.strictObject({
      int_uniform: z
        .tuple([z.int(), z.int()])
        .refine(([a, b]) => a <= b && b - a < 2 ** 53, { message: 'needs low ≤ high, less than 2^53 apart' })
        .describe('[low, high], integers, both ends included'),
    }),
  },
  { name: 'choice', schema: z.strictObject({ choice: z.array(z.unknown()).min(1).describe('one of these values, equally likely') }) },
];

/** How a random sweep draws a value. */
export const distributionSchema = keyedUnion('distribution', DISTRIBUTIONS.map((d) => d.name), z.never(), DISTRIBUTIONS);

/**
 * A tuning axis may also centre on each variant's learning-rate range test (lab/lr-find.ts):
 * log-uniform over [s/factor, s·factor] around its suggestion s (fastai's valley, or steep).
 */
const lrFindDistribution = z.strictObject({
  lr_find: z
    .strictObject({
      factor: z.number().gt(1).finite().default(10).describe('the range reaches this far on either side of the suggestion'),
      suggestion: z.enum(['valley', 'steep']).default('valley').describe("fastai's suggestion to centre on"),
    })
    .prefault({}),
});
export const tuneDistributionSchema = keyedUnion('distribution', [...DISTRIBUTIONS.map((d) => d.name), 'lr_find'], z.never(), [...DISTRIBUTIONS, { name: 'lr_find', schema: lrFindDistribution }]);
export type LrFindDistribution = z.output<typeof lrFindDistribution>;
export type TuneDistribution = Distribution | LrFindDistribution;

export type Distribution = { uniform: [number, number] } | { log_uniform: [number, number] } | { int_uniform: [number, number] } | { choice: unknown[] };

/** Keys of sweep.grid and of sweep's and protocol.tune's spaces are dotted config paths: optimizer.lr, optimizer.betas.0. */
const configPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*$/, 'must be a dotted config path such as optimizer.lr')
  .superRefine((path, context) => {
    const reserved = prototypeKeyIn(path.split('.'));
    if (reserved !== null) context.addIssue({ code: 'custom', message: prototypeKeyProblem(reserved) });
  });

export const sweepSchema = z
  .strictObject({
    grid: z
      .record(configPath, z.array(z.unknown()).min(1))
      .refine((g) => Object.keys(g).length > 0, { message: 'is empty: name at least one path and its values' })
      .optional()
      .describe('path → values; the trials are every combination'),
    random: z
      .strictObject({
        trials: z.int().positive().max(MAX_TRIALS),
        space: z.record(configPath, distributionSchema).refine((s) => Object.keys(s).length > 0, { message: 'is empty: name at least one path and how to draw it' }),
        seed: z.int().min(0).optional().describe('seed of the draws (default: the config seed)'),
      })
      .optional()
      .describe('trials drawn at random (for each grid point, if there is a grid too)'),
  })
  .refine((s) => s.grid !== undefined || s.random !== undefined, { message: 'needs a grid: or random: block' });

/** compare: variant name → a patch merged over the base config. */
export const compareSchema = z
  .record(z.string().regex(RUN_NAME_PATTERN, 'variant names are simple names: letters, digits, . _ -'), z.record(z.string(), z.unknown()))
  .refine((c) => Object.keys(c).length > 0, { message: 'needs at least one variant' });

/** Targets whose first crossing is reported (step and seconds): accuracies from below, losses from above. */
export const targetsSchema = z.strictObject({
  test_accuracy: z.number().min(0).max(1).optional(),
  test_loss: z.number().min(0).optional(),
  train_loss: z.number().min(0).optional(),
});
export type Targets = z.output<typeof targetsSchema>;

/**
 * The tuned comparison protocol (DeepOBS / AlgoPerf style): tune each variant's learning rate
 * (and any other axes) on held-out data within a budget, rerun the best setting over seeds, and
 * report confidence intervals and significance.
 */
export const protocolSchema = z.strictObject({
  tune: z
    .strictObject({
      metric: z.enum(['val_loss', 'val_accuracy']).default('val_loss').describe('the validation value tuning optimizes (data.validation must be set)'),
      at: z.enum(['final', 'best']).default('final').describe('the last evaluation, or the best one'),
      search: z.enum(['grid', 'random']).default('grid').describe('grid: evenly spaced (log-spaced for log_uniform) points; random: quasi-random (Halton) points'),
      budget: z.int().min(1).max(MAX_TRIALS).default(36).describe('tuning trials per variant (a grid over several axes takes ⌈budget^(1/axes)⌉ points per axis)'),
      space: z
        .record(configPath, tuneDistributionSchema)
        .default({ 'optimizer.lr': { log_uniform: [1e-5, 100] } })
        .superRefine((space, context) => {
          for (const [path, distribution] of Object.entries(space)) {
            if (typeof distribution === 'object' && distribution !== null && 'lr_find' in distribution && path !== 'optimizer.lr') {
              context.addIssue({ code: 'custom', path: [path], message: 'lr_find centres a learning rate: use it on optimizer.lr' });
            }
          }
        })
        .describe('path → distribution; one_minus_beta1 / one_minus_beta2 set betas to 1 − value; optimizer.lr: {lr_find: {factor: 10}} centres on each variant\'s lr-find suggestion'),
      seed: z.int().min(0).optional().describe('the seed of the tuning runs (default: the config seed)'),
      defaults: z.boolean().default(false).describe("also run each variant once at its config's own settings, as a tuning trial (defaults/), and report what tuning gained over them"),
    })
    .prefault({}),
  rerun: z.strictObject({ seeds: z.int().min(2).max(MAX_TRIALS).default(10).describe('seeds the best setting of each variant is rerun with') }).prefault({}),
  confidence: z.number().gt(0).lt(1).default(0.95).describe('level of the confidence intervals'),
  significance: z.number().gt(0).lt(1).default(0.05).describe('p-value below which a difference is called significant'),
});
export type Protocol = z.output<typeof protocolSchema>;

export const labBlocks = {
  /** sweep, compare and check run every trial once per seed. */
  seeds: z.array(z.int().min(0).max(Number.MAX_SAFE_INTEGER)).min(1).max(MAX_TRIALS).optional(),
  sweep: sweepSchema.optional(),
  compare: compareSchema.optional(),
  targets: targetsSchema.optional(),
  /** What `adam-lab check` requires of the runs (see src/check/). */
  expect: expectSchema.optional(),
  /** How `adam-lab compare --protocol tuned` tunes, reruns and tests the variants. */
  protocol: protocolSchema.optional(),
};

/** Keys a trial's own config does without. */
export const LAB_KEYS = ['seeds', 'sweep', 'compare', 'expect', 'protocol'] as const;
