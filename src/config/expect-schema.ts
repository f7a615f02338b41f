/**
 * The `expect:` block of a config: what `adam-lab check` requires of a run's convergence.
 *
 *   expect:
 *     final_train_loss: {max: 0.30}
 *     test_accuracy: {min: 0.95, at: final}      # at: final (default) or best
 *     steps_to: {test_accuracy: 0.90, max: 800}  # first evaluation at or past the target
 *     no_divergence: true
 *     max_update_ratio: 0.1                      # every row of internals.csv (needs train.internals)
 *     final_coordinate: {index: 0, max: -0.9}    # an objective run's last point (trajectory.csv)
 *     escape_step: {coordinate: 1, beyond: 1.0, max: 100}   # first step with |x1| ≥ 1.0
 *     variants: {adam: {...}, amsgrad: {...}}    # per compare variant; check then runs compare:
 *
 * Bounds apply to the mean over `seeds:` unless `worst: true`, which applies them to every seed;
 * max_update_ratio is a ceiling on every recorded ratio of every seed.
 *
 * A tuned comparison (a config with compare: and protocol:) states claims between its variants,
 * judged on the reruns of each variant's tuned setting (`check` runs the whole protocol):
 *
 *     better:
 *       - {variant: adam, than: sgd, metric: test_loss_bucket_3, p: 0.01}
 *
 * holds when adam's final value is better (lower for a loss, higher for an accuracy) than sgd's
 * by a one-sided Welch's t-test with p below `p`.
 */
import { z } from 'zod';
import { RUN_NAME_PATTERN } from './run-name.js';

const worst = z.boolean().default(false).describe('apply the bound to the worst seed instead of the mean');

/**
 * The values a metric can take (every loss adam-lab has is ≥ 0; accuracies are fractions), so
 * that a bound no run could meet is refused as bad input instead of failing every check.
 */
const loss = z.number().finite().min(0);
const accuracy = z.number().min(0).max(1);

/** min: and/or max: on a metric whose values lie in `value`. */
const boundShape = (value: z.ZodNumber) => ({ min: value.optional(), max: value.optional(), worst });

/** A bound names min: or max:, and min ≤ max, or no result could lie between. */
function checkBound(b: { min?: number; max?: number }, context: z.RefinementCtx): void {
  if (b.min === undefined && b.max === undefined) context.addIssue({ code: 'custom', message: 'needs min: or max:' });
  else if (b.min !== undefined && b.max !== undefined && b.min > b.max) {
    context.addIssue({ code: 'custom', path: ['min'], message: `must be ≤ max (${b.max}), got ${b.min}: no result lies between` });
  }
}

const lossBound = z.strictObject(boundShape(loss)).superRefine(checkBound);

/** The final values a `better:` claim may compare: a result metric, or a class bucket's test loss (zipf_classes). */
export const CLAIM_METRIC = /^(final_train_loss|final_test_loss|final_test_accuracy|best_test_accuracy|test_loss_bucket_\d+)$/;

const betterClaim = z.strictObject({
  variant: z.string().min(1).describe('the compare: variant claimed to be better'),
  than: z.string().min(1).describe('the variant it beats'),
  metric: z
    .string()
    .regex(CLAIM_METRIC, 'is final_train_loss, final_test_loss, final_test_accuracy, best_test_accuracy or test_loss_bucket_<b>')
    .describe('the value compared per rerun seed, at the last evaluation'),
  p: z.number().gt(0).lt(1).default(0.05).describe("one-sided Welch's t-test: the claim holds below this p-value"),
});
export type BetterClaim = z.output<typeof betterClaim>;

/**
 * What an objective run's trajectory.csv can be held to: where a coordinate ends, and when the
 * path first leaves a band around an axis (|x_i| ≥ beyond: the saddle's escape).
 */
const coordinate = z.int().min(0).describe('which coordinate: 0 for x0 (trajectory.csv)');
const trajectoryExpectations = {
  final_coordinate: z
    .strictObject({ index: coordinate, min: z.number().finite().optional(), max: z.number().finite().optional(), worst })
    .superRefine(checkBound)
    .optional()
    .describe("an objective run's last point: bounds on one coordinate"),
  escape_step: z
    .strictObject({
      coordinate,
      beyond: z.number().gt(0).finite().describe('the path escapes at the first step where |x_coordinate| ≥ this'),
      min: z.int().min(0).optional(),
      max: z.int().min(0).optional(),
      worst,
    })
    .superRefine(checkBound)
    .optional()
    .describe('steps until an objective run first leaves the band |x_coordinate| < beyond (a run that never does counts as ∞)'),
};

const expectations = z
  .strictObject({
    ...trajectoryExpectations,
    final_train_loss: lossBound.optional().describe('the training loss of the last evaluation (epoch running mean)'),
    final_test_loss: lossBound.optional().describe('the test loss of the last evaluation'),
    test_accuracy: z
      .strictObject({ ...boundShape(accuracy), at: z.enum(['final', 'best']).default('final').describe('the last evaluation, or the best one') })
      .superRefine(checkBound)
      .optional()
      .describe('test accuracy, in [0, 1]'),
    steps_to: z
      .strictObject({
        test_accuracy: accuracy.optional(),
        test_loss: loss.optional(),
        train_loss: loss.optional(),
        max: z.int().positive().describe('the target must be reached by this step'),
        worst,
      })
      .refine((s) => [s.test_accuracy, s.test_loss, s.train_loss].filter((t) => t !== undefined).length === 1, {
        message: 'names exactly one target: test_accuracy, test_loss or train_loss',
      })
      .optional()
      .describe('steps until an evaluation first reaches a target'),
    max_update_ratio: z
      .number()
      .gt(0)
      .finite()
      .optional()
      .describe('no update ratio ‖Δθ‖/‖θ‖ in internals.csv (any tensor, any recorded step, any seed) may exceed this; needs train.internals'),
    no_divergence: z.literal(true).optional().describe('no seed may diverge (NaN or infinite loss)'),
    diverges: z.literal(true).optional().describe('every seed must diverge (for a learning rate known to be too large)'),
  });

const nonEmpty = (e: object): boolean => Object.keys(e).length > 0;
const consistent = (e: { no_divergence?: true; diverges?: true }): boolean => !(e.no_divergence && e.diverges);

/** One compare variant's expectations (expect.variants.<name>). */
const variantExpectations = expectations.refine(nonEmpty, { message: 'needs at least one expectation' }).refine(consistent, { message: 'cannot expect both no_divergence and diverges' });

/**
 * With `variants`, `check` runs the compare: block (every variant × seed) and holds each named
 * variant to its own expectations, the top-level ones to every trial: a published claim that one
 * optimizer ends here and another there is one config.
 */
export const expectSchema = expectations
  .safeExtend({
    variants: z
      .record(z.string().regex(RUN_NAME_PATTERN, 'names a compare variant: letters, digits, . _ -'), variantExpectations)
      .refine(nonEmpty, { message: 'is empty: name at least one compare variant and its expectations' })
      .optional()
      .describe('per compare variant: its own expectations (check then runs the compare: block)'),
    better: z.array(betterClaim).min(1).optional().describe('claims between the variants of a tuned comparison (compare: and protocol:), judged on the reruns'),
  })
  .refine(nonEmpty, { message: 'needs at least one expectation' })
  .refine(consistent, { message: 'cannot expect both no_divergence and diverges' });

export type Expectations = z.output<typeof expectSchema>;
export type VariantExpectations = z.output<typeof variantExpectations>;
