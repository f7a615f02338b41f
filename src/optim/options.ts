/**
 * Option schemas shared by several optimizers, with torch's validity rules and defaults given
 * per optimizer. The descriptions reach `adam-lab optimizers` and the JSON Schema.
 */
import { z } from 'zod';

export const learningRate = (defaultValue: number) => z.number().gt(0).finite().default(defaultValue).describe('learning rate γ');
export const weightDecay = (defaultValue = 0) => z.number().min(0).finite().default(defaultValue).describe('weight decay λ');
export const epsilon = (defaultValue: number) =>
  z.number().min(0).finite().default(defaultValue).describe('ε, added to the denominator for numerical stability');
/** A decay rate in [0, 1): torch rejects 1 and above ("Invalid beta parameter"). */
export const decayRate = () => z.number().min(0).lt(1);
export const betas = () =>
  z.tuple([decayRate(), decayRate()]).default([0.9, 0.999]).describe('(β1, β2): decay rates of the running averages of g and g²');
export const maximize = () => z.boolean().default(false).describe('maximize the objective instead of minimizing it');
export const decoupledWeightDecay = () =>
  z.boolean().default(false).describe('decay the weights directly, θ ← θ − γλθ (as AdamW), instead of adding λθ to the gradient');
export const momentum = () => z.number().min(0).finite().default(0).describe('momentum factor μ');

/** The options every member of the Adam family opens with, in torch's order: lr, betas, eps, weight_decay. */
export function adamFamilyOptions(defaults: { lr: number; weight_decay?: number }) {
  return { lr: learningRate(defaults.lr), betas: betas(), eps: epsilon(1e-8), weight_decay: weightDecay(defaults.weight_decay) };
}
