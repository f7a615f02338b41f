/**
 * An objective config → the model that trains on it: one layer holding the coordinates as the
 * tensor `x`, and the trace of which member of the family each step saw.
 */
import type { ModelPlan } from '../model-plan.js';
import { createObjective, domainBox, type ObjectiveConfig } from './config.js';
import { planObjectiveLayer, type ObjectiveTrace } from './layer.js';
import type { Box, Objective } from './objective.js';

export interface ObjectiveProblem {
  readonly objective: Objective;
  readonly domain: Box | null;
  readonly plan: ModelPlan;
  readonly trace: ObjectiveTrace;
}

/** One sample per member of an online family (its period), else one: what an epoch of an objective is. */
export function samplesPerEpoch(objective: Objective): number {
  return objective.family.kind === 'cycle' ? objective.family.period : 1;
}

export function planObjective(config: ObjectiveConfig): ObjectiveProblem {
  const objective = createObjective(config);
  const domain = domainBox(config);
  const trace: ObjectiveTrace = { member: 0, value: 0 };
  const layer = planObjectiveLayer(objective, config.start, config.noise, domain, trace);
  const plan: ModelPlan = { inputShape: [1], outShape: [1], layers: [{ config: config.name, inShape: [1], plan: layer }], parameterCount: objective.dimension, naming: 'bare' };
  return { objective, domain, plan, trace };
}
