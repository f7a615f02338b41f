/**
 * Heavy-tailed classes (Kunstner, Yadav, Milligan, Schmidt & Bietti 2024, "Heavy-tailed class
 * imbalance and why Adam outperforms gradient descent on language models", NeurIPS 2024): class k
 * (k = 0 the most frequent) is drawn with probability
 *
 *   π_k = (k + 1)^(−exponent) / Σ_j (j + 1)^(−exponent)          (Zipf's law; exponent 1 as in words)
 *
 * The paper's linear-model experiment (arXiv:2402.19449; its abstract: "a linear model on synthetic data whose only property
 * is a heavy-tailed class distribution") fits its training set; so that the test split measures the
 * same thing, a class here is a Gaussian cloud: a centroid c_k ~ N(mean·1, I_features) drawn once
 * per seed, and a sample of class k is x = c_k + noise · N(0, I). Rare classes then have few
 * training samples, as rare words do, while most samples come from rare classes together.
 *
 * The inputs are not centred (mean 2 by default), as the paper's uniform inputs and raw pixels are
 * not: the shared direction gives the frequent classes' weights a large curvature, which caps
 * (S)GD's step size while the rare classes' weights, with curvature ∝ π_k, barely move — the
 * ill-conditioning the paper analyses on its linear model. With mean 0 the classes are separable early, the frequent
 * ones saturate, and a large SGD step closes most of the gap (measured: on 512 classes after 3
 * epochs the tuned rare-bucket test loss is about 0.4 for both; with mean 2, 2.1 for SGD, 0.86 for Adam).
 *
 * Buckets group classes by frequency as the paper's Figure 1(a) does: in order of frequency,
 * each bucket holds about 1/buckets of the probability mass, so bucket 0 is the few frequent
 * classes and the last bucket the many rare ones, each about as many samples as the others.
 */
import type { Rng } from '../core/rng.js';
import type { ClassBuckets } from './dataset.js';

export interface ZipfClasses {
  readonly task: 'zipf_classes';
  readonly classes: number;
  readonly exponent: number;
  readonly features: number;
  readonly noise: number;
  readonly mean: number;
  readonly buckets: number;
}

/** π_k for k = 0 … classes − 1, summing to 1. */
export function zipfFrequencies(classes: number, exponent: number): Float64Array {
  const weights = Float64Array.from({ length: classes }, (_, k) => (k + 1) ** -exponent);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/**
 * Class → bucket: class k goes to ⌊B · (mass of the classes before k)⌋, so the buckets split the
 * mass into B near-equal shares in frequency order. A class heavier than 1/B skips the bucket its
 * mass spans, which then has no class (and no loss in epochs.csv).
 */
export function frequencyBuckets(frequencies: Float64Array, buckets: number): ClassBuckets {
  const ofClass = new Int32Array(frequencies.length);
  let before = 0;
  for (let k = 0; k < frequencies.length; k++) {
    ofClass[k] = Math.min(buckets - 1, Math.floor(before * buckets));
    before += frequencies[k];
  }
  return { count: buckets, ofClass };
}

/** Draws samples of a Zipf-classes task: the centroids once (from `rng`, before any sample), then one labelled sample per call. */
export function zipfSampler(config: ZipfClasses, rng: Rng): (features: Float32Array, at: number) => number {
  const { classes, features: width, noise } = config;
  const centroids = Float64Array.from({ length: classes * width }, () => config.mean + rng.normal());
  const cumulative = zipfFrequencies(classes, config.exponent);
  for (let k = 1; k < classes; k++) cumulative[k] += cumulative[k - 1];
  return (features, at) => {
    const label = classAt(cumulative, rng.uniform());
    for (let j = 0; j < width; j++) features[at + j] = centroids[label * width + j] + noise * rng.normal();
    return label;
  };
}

/** The first class whose cumulative probability exceeds u (inverse-CDF sampling, by bisection). */
function classAt(cumulative: Float64Array, u: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle] > u) high = middle;
    else low = middle + 1;
  }
  return low;
}
