/** adam-lab as a library: the same pieces the CLI uses. */
export { loadConfig, parseConfigSource, readConfigSource, resolveConfig } from './config/load.js';
export { parseOverride, type Override } from './config/overrides.js';
export { configSchema, type ExperimentConfig } from './config/schema.js';
export { formatConfig } from './config/format.js';
export { loadDataset, describeDataset } from './data/registry.js';
export type { Dataset, Split } from './data/dataset.js';
export { layerKinds, type LayerConfig } from './engine/layers/registry.js';
export { lossKinds } from './engine/losses/registry.js';
export { Model, planModel } from './engine/model.js';
export { Rng } from './core/rng.js';
export { decodeSafetensors, encodeSafetensors } from './engine/safetensors.js';
export { encodeModelWeights, loadModelWeights } from './engine/weights.js';
export { optimizerKinds, createOptimizer } from './optim/registry.js';
export { chain, Optimizer, type Transform } from './optim/transform.js';
export * as pieces from './optim/pieces.js';
export { runExperiment, type ExperimentOptions } from './train/experiment.js';
export type { RunResult, TrainEvent } from './train/events.js';
export { AdamLabError, ConfigError, DataError, OutputError, UsageError } from './core/errors.js';
