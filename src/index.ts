/** adam-lab as a library: the same pieces the CLI uses. */
export { loadConfig, parseConfigSource, readConfigSource, resolveConfig } from './config/load.js';
export { parseOverride, type Override } from './config/overrides.js';
export { configSchema, type ExperimentConfig } from './config/schema.js';
export { formatConfig } from './config/format.js';
export { loadDataset, describeDataset } from './data/registry.js';
export type { Dataset, Split } from './data/dataset.js';
export { layerKinds, type LayerConfig } from './engine/layers/registry.js';
export { lossKinds } from './engine/losses/registry.js';
export { objectiveKinds } from './engine/objectives/registry.js';
export { createObjective, type ObjectiveConfig } from './engine/objectives/config.js';
export { Model, planModel } from './engine/model.js';
export { Rng } from './core/rng.js';
export { decodeSafetensors, encodeSafetensors } from './engine/safetensors.js';
export { encodeModelWeights, loadModelWeights } from './engine/weights.js';
export { optimizerKinds, createOptimizer } from './optim/registry.js';
export { chain, namedBy, Optimizer, type Hyperparams, type NamedState, type OptimizerSetup, type Segment, type StepContext, type Transform } from './optim/transform.js';
export type { TensorView } from './optim/groups.js';
export * as pieces from './optim/library.js';
export { pluginKind, usePlugins, activePlugins, type PluginKind, type PluginRecord } from './optim/plugins.js';
export { loadOptimizerPlugins } from './config/optimizer-plugins.js';
export { verifyOptimizer, type VerifyCheck } from './lab/verify.js';
/** The zod adam-lab validates with: a plugin's options schema made with it is taken as it is. */
export { z } from 'zod';
export { runExperiment, type ExperimentOptions } from './train/experiment.js';
export type { RunResult, TrainEvent } from './train/events.js';
export { AdamLabError, ConfigError, DataError, OutputError, UsageError } from './core/errors.js';
