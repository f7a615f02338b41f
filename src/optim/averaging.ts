/**
 * Weight averaging around any optimizer (train.average), as torch.optim.swa_utils.AveragedModel:
 * after every optimizer step that is due, the average of the parameters moves towards them, and
 * the average is what is evaluated and saved (this link's evaluation point):
 *   swa: a ← a + (θ − a)/(n + 1)        the running mean (AveragedModel's default avg_fn)
 *   ema: a ← decay·a + (1 − decay)·θ    (the avg_fn of torch's EMA recipe)
 *   the first update copies θ (n = 0), then n ← n + 1.
 * An update is due at step t ≥ start with (t − start) divisible by every (steps counted from 1).
 * Before the first update, evaluation uses the trained weights (torch's AveragedModel would still
 * hold the weights it was made from; an SWA user evaluates the trained model until averaging starts).
 * Batch-norm statistics are the training loop's concern (evaluation-point.ts): SWA recomputes them
 * for the weights evaluated as update_bn does, before the first update too.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { namedBy, type Transform } from './transform.js';

export const averageOptions = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('swa'),
    start: z.int().positive().default(1).describe('first step whose weights enter the average'),
    every: z.int().positive().default(1).describe('average every this many steps from start'),
  }),
  z.strictObject({
    kind: z.literal('ema'),
    decay: z.number().min(0).lt(1).default(0.999).describe('decay of the exponential moving average'),
    start: z.int().positive().default(1).describe('first step whose weights enter the average'),
    every: z.int().positive().default(1).describe('average every this many steps from start'),
  }),
]);

export type AverageOptions = z.output<typeof averageOptions>;

type AverageState = { average: Float32Array; n_averaged: Float64Array };

/** The averaging link: listed first in a chain, it sees the parameters after every other link's work. */
export function averaged(options: AverageOptions): Transform<AverageState> {
  const { start, every } = options;
  const decay = options.kind === 'ema' ? options.decay : null;
  return {
    init: (size) => ({ average: allocFloat32(size), n_averaged: new Float64Array(1) }),
    named: namedBy<AverageState>({ average: 'average' }),
    update() {},
    afterStep({ average, n_averaged: count }, { step, params }) {
      if (step < start || (step - start) % every !== 0) return;
      const n = count[0];
      if (n === 0) average.set(params);
      else if (decay === null) for (let i = 0; i < average.length; i++) average[i] += Math.fround(params[i] - average[i]) / (n + 1);
      else for (let i = 0; i < average.length; i++) average[i] = decay * average[i] + (1 - decay) * params[i];
      count[0] = n + 1;
    },
    evaluationPoint({ average, n_averaged: count }, params, out) {
      out.set(count[0] === 0 ? params : average);
    },
  };
}
