/**
 * Checks that need more than one key at a time, run after the schema has passed and before
 * any data is read: the model's shapes against the dataset, the loss against the targets.
 */
import { describeDataset, resolveFromConfig } from '../data/registry.js';
import { matchTargets } from '../data/targets.js';
import { layerName } from '../engine/layers/index.js';
import { lossKinds } from '../engine/losses/index.js';
import { LayerShapeError, planModel, type ModelPlan } from '../engine/model.js';
import { decodeSafetensors } from '../engine/safetensors.js';
import { compareState, readWeightsFile } from '../engine/weights.js';
import { sizeOf } from '../core/shape.js';
import { optimizerKinds } from '../optim/registry.js';
import type { PathIssue } from './issues.js';
import type { ExperimentConfig } from './schema.js';

export function checkConfig(config: ExperimentConfig, configFile: string): PathIssue[] {
  const issues: PathIssue[] = [];
  const description = describeDataset(config.data, configFile);
  const data = config.data;
  if ((data.dataset === 'mnist' || data.dataset === 'fashion-mnist' || data.dataset === 'cifar10') && data.normalize !== undefined) {
    const channels = description.inputShape[0];
    if (data.normalize.mean.length !== channels) {
      issues.push({ path: ['data', 'normalize', 'mean'], problem: `needs ${channels} value(s), one per channel of ${data.dataset}` });
    }
  }
  const layers = config.model.layers;
  const last = ['model', 'layers', layers.length - 1];
  let plan;
  try {
    plan = planModel(layers, description.inputShape);
  } catch (error) {
    if (!(error instanceof LayerShapeError)) throw error;
    issues.push({ path: ['model', 'layers', error.index], problem: error.problem });
    return issues;
  }
  const loss = lossKinds[config.loss];
  if (description.targets !== null) {
    const match = matchTargets(description.targets, loss.targets, sizeOf(plan.outShape));
    if ('problem' in match) issues.push({ path: last, problem: match.problem });
  }
  if (loss.expectsProbabilities && layerName(layers[layers.length - 1]) !== 'sigmoid') {
    issues.push({ path: ['loss'], problem: `${config.loss} reads probabilities: end the model with sigmoid, or use bce_with_logits` });
  }
  issues.push(...checkMomentumCycling(config));
  if (config.model.init !== undefined) issues.push(...checkInitFile(plan, resolveFromConfig(configFile, config.model.init.from)));
  return issues;
}

/** model.init.from must hold exactly the model's parameters and buffers, with their shapes. */
function checkInitFile(plan: ModelPlan, file: string): PathIssue[] {
  return compareState(plan, decodeSafetensors(readWeightsFile(file), file)).map((m) => ({
    path: m.layer === null ? ['model', 'init', 'from'] : ['model', 'layers', m.layer],
    problem: `${m.problem} (model.init.from: ${file})`,
  }));
}

/** one_cycle_lr cycles momentum or β1 (torch's rule); Adagrad and Adadelta have neither. */
function checkMomentumCycling(config: ExperimentConfig): PathIssue[] {
  const scheduler = config.scheduler;
  if (scheduler?.name !== 'one_cycle_lr' || scheduler.cycle_momentum !== true) return [];
  const { name, ...options } = config.optimizer;
  const { hyper } = optimizerKinds[name].create(options);
  if (hyper.momentum !== undefined || hyper.beta1 !== undefined) return [];
  return [{ path: ['scheduler', 'cycle_momentum'], problem: `${name} has no momentum or β1 to cycle; set cycle_momentum: false` }];
}
