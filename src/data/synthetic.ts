/**
 * Synthetic datasets, drawn from the run's seeded 'data' stream (test split first, then train):
 *
 *  uniform  the seed's toy task: features and targets uniform in [0, 1) (for bce/mse);
 *  moons    two interleaving half circles (as scikit-learn's make_moons), 2 classes;
 *  spirals  `classes` interleaved spiral arms (the CS231n toy), a harder 2-D classification;
 *  zipf_classes  many classes with Zipf-distributed frequencies (zipf.ts), for Kunstner et al. 2024.
 *
 * Gaussian noise of standard deviation `noise` is added to moons and spirals. With `resample`,
 * every epoch after the first trains on freshly drawn points, as the seed's loop did.
 */
import { Rng } from '../core/rng.js';
import { samplesArray, Split, type Dataset, type TargetInfo } from './dataset.js';
import { frequencyBuckets, zipfFrequencies, zipfSampler, type ZipfClasses } from './zipf.js';

export type SyntheticTask =
  | { readonly task: 'uniform'; readonly features: number; readonly targets: number }
  | { readonly task: 'moons'; readonly noise: number }
  | { readonly task: 'spirals'; readonly classes: number; readonly noise: number }
  | ZipfClasses;

export type SyntheticConfig = SyntheticTask & { readonly n_train: number; readonly n_test: number; readonly resample: boolean };

export function syntheticShape(config: SyntheticTask): { inputShape: number[]; targets: TargetInfo } {
  switch (config.task) {
    case 'uniform':
      return { inputShape: [config.features], targets: { kind: 'values', width: config.targets, binary: false } };
    case 'moons':
      return { inputShape: [2], targets: { kind: 'class', classes: 2 } };
    case 'spirals':
      return { inputShape: [2], targets: { kind: 'class', classes: config.classes } };
    case 'zipf_classes':
      return { inputShape: [config.features], targets: { kind: 'class', classes: config.classes } };
  }
}

export function syntheticDataset(config: SyntheticConfig, seed: number): Dataset {
  const rng = new Rng(seed, 'data');
  const { inputShape, targets } = syntheticShape(config);
  const draw = sampler(config, rng);
  const test = drawSplit(config, config.n_test, draw);
  let train = drawSplit(config, config.n_train, draw);
  return {
    inputShape,
    targets,
    classBuckets: config.task === 'zipf_classes' ? frequencyBuckets(zipfFrequencies(config.classes, config.exponent), config.buckets) : null,
    test,
    validation: null,
    get train() {
      return train;
    },
    beginEpoch(epoch) {
      if (config.resample && epoch > 1) train = drawSplit(config, config.n_train, draw);
    },
  };
}

/** Draws sample i: its features into features[at…], its target(s) into targets. */
type Sampler = (i: number, features: Float32Array, at: number, targets: Float32Array) => void;

/** How a task draws one sample from the stream (a zipf_classes task draws its centroids first, here). */
function sampler(config: SyntheticTask, rng: Rng): Sampler {
  switch (config.task) {
    case 'uniform':
      return (i, features, at, targets) => {
        for (let j = 0; j < config.features; j++) features[at + j] = rng.uniform();
        for (let j = 0; j < config.targets; j++) targets[i * config.targets + j] = rng.uniform();
      };
    case 'moons':
      return (i, features, at, targets) => {
        // Alternate the two moons; the angle runs along each half circle.
        const label = i % 2;
        const angle = Math.PI * rng.uniform();
        features[at] = (label === 0 ? Math.cos(angle) : 1 - Math.cos(angle)) + config.noise * rng.normal();
        features[at + 1] = (label === 0 ? Math.sin(angle) : 0.5 - Math.sin(angle)) + config.noise * rng.normal();
        targets[i] = label;
      };
    case 'spirals':
      return (i, features, at, targets) => {
        // Arm `label` winds from the centre outwards: radius r ∈ [0, 1), angle turning with r.
        const label = i % config.classes;
        const r = rng.uniform();
        const angle = (2 * Math.PI * label) / config.classes + 4 * r + config.noise * rng.normal();
        features[at] = r * Math.sin(angle);
        features[at + 1] = r * Math.cos(angle);
        targets[i] = label;
      };
    case 'zipf_classes': {
      const draw = zipfSampler(config, rng);
      return (i, features, at, targets) => {
        targets[i] = draw(features, at);
      };
    }
  }
}

function drawSplit(config: SyntheticTask, n: number, draw: Sampler): Split {
  const { inputShape, targets: info } = syntheticShape(config);
  const featureSize = inputShape[0];
  const targetWidth = info.kind === 'values' ? info.width : 1;
  const features = samplesArray(Float32Array, n * featureSize);
  const targets = samplesArray(Float32Array, n * targetWidth);
  for (let i = 0; i < n; i++) draw(i, features, i * featureSize, targets);
  return new Split(n, features, inputShape, targets, targetWidth, null);
}
