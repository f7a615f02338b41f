import { parseConfigSource, resolveConfig } from '../../src/config/load.js';
import { parseOverride } from '../../src/config/overrides.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { ConfigError, type ConfigIssue } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';

/** Resolves YAML text as if it were the file `exp.yaml` in the current folder. */
export function resolveText(text: string, sets: string[] = []): ExperimentConfig {
  return resolveConfig(parseConfigSource(text, 'exp.yaml'), sets.map((s) => parseOverride(s)));
}

/** The issues a config raises; fails the test if it resolves. */
export function issuesOf(text: string, sets: string[] = []): ConfigIssue[] {
  return [...thrown(ConfigError, () => resolveText(text, sets)).issues];
}

export const MNIST_MLP = `data: {dataset: mnist}
model:
  layers:
    - linear: 128
    - relu
    - linear: 10
`;
