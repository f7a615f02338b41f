/**
 * The `expect:` block of a config: what `adam-lab check` requires of a run's convergence.
 *
 *   expect:
 *     final_train_loss: {max: 0.30}
 *     test_accuracy: {min: 0.95, at: final}      # at: final (default) or best
 *     steps_to: {test_accuracy: 0.90, max: 800}  # first evaluation at or past the target
 *     no_divergence: true
 *
 * Bounds apply to the mean over `seeds:` unless `worst: true`, which applies them to every seed.
 */
import { z } from 'zod';

const worst = z.boolean().default(false).describe('apply the bound to the worst seed instead of the mean');

const hasBound = (b: { min?: number; max?: number }): boolean => b.min !== undefined || b.max !== undefined;
const bounds = { min: z.number().finite().optional(), max: z.number().finite().optional(), worst };
const bound = z.strictObject(bounds).refine(hasBound, { message: 'needs min: or max:' });

export const expectSchema = z
  .strictObject({
    final_train_loss: bound.optional().describe('the training loss of the last evaluation (epoch running mean)'),
    final_test_loss: bound.optional().describe('the test loss of the last evaluation'),
    test_accuracy: z
      .strictObject({ ...bounds, at: z.enum(['final', 'best']).default('final').describe('the last evaluation, or the best one') })
      .refine(hasBound, { message: 'needs min: or max:' })
      .optional()
      .describe('test accuracy, in [0, 1]'),
    steps_to: z
      .strictObject({
        test_accuracy: z.number().min(0).max(1).optional(),
        test_loss: z.number().min(0).optional(),
        train_loss: z.number().min(0).optional(),
        max: z.int().positive().describe('the target must be reached by this step'),
        worst,
      })
      .refine((s) => [s.test_accuracy, s.test_loss, s.train_loss].filter((t) => t !== undefined).length === 1, {
        message: 'names exactly one target: test_accuracy, test_loss or train_loss',
      })
      .optional()
      .describe('steps until an evaluation first reaches a target'),
    no_divergence: z.literal(true).optional().describe('no seed may diverge (NaN or infinite loss)'),
    diverges: z.literal(true).optional().describe('every seed must diverge (for a learning rate known to be too large)'),
  })
  .refine((e) => Object.keys(e).length > 0, { message: 'needs at least one expectation' })
  .refine((e) => !(e.no_divergence && e.diverges), { message: 'cannot expect both no_divergence and diverges' });

export type Expectations = z.output<typeof expectSchema>;
