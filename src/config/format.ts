/**
 * The resolved config as YAML: what `adam-lab validate` prints and each run stores as
 * config.yaml. It is itself a valid config, so a run can be repeated from its own folder.
 * Short lists and layer options are written inline, as a person would write them.
 */
import { Document, isScalar, visit } from 'yaml';
import { resolveFromConfig } from '../data/registry.js';
import type { ExperimentConfig } from './schema.js';

export function formatConfig(config: ExperimentConfig, header: string): string {
  const document = new Document(nameFirst(config));
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
    Map(_key, node) {
      if (node.items.length <= 3 && node.items.every((pair) => isScalar(pair.value))) node.flow = true;
    },
  });
  document.commentBefore = header;
  return document.toString({ lineWidth: 0 });
}

/** `name` reads best as the first key of the optimizer (zod appends the discriminator last). */
function nameFirst(config: ExperimentConfig): object {
  const { name, ...options } = config.optimizer;
  return { ...config, optimizer: { name, ...options } };
}

/**
 * The config with its file paths (data.path, data.csv.train/test, model.init.from) made
 * absolute, as read from `configFile`'s folder: what a run stores, so that `adam-lab train
 * runs/<name>/<id>/config.yaml` finds the same files from the run's own folder.
 */
export function withAbsolutePaths(config: ExperimentConfig, configFile: string): ExperimentConfig {
  if (config.objective !== undefined) return config;
  const absolute = (path: string): string => resolveFromConfig(configFile, path);
  const data: Record<string, unknown> = { ...config.data };
  if (typeof data.path === 'string') data.path = absolute(data.path);
  if (config.data.dataset === 'csv') {
    const { train, test, ...csv } = config.data.csv;
    data.csv = { train: absolute(train), ...(test === undefined ? {} : { test: absolute(test) }), ...csv };
  }
  const init = config.model.init === undefined ? {} : { init: { ...config.model.init, from: absolute(config.model.init.from) } };
  return { ...config, data: data as typeof config.data, model: { ...config.model, ...init } };
}
