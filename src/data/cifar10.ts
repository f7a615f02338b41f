/**
 * CIFAR-10, "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html): data_batch_1.bin …
 * data_batch_5.bin and test_batch.bin, each a run of 3073-byte records — one label byte (0–9)
 * and 3072 pixel bytes, the 32×32 red plane, then green, then blue (already CHW).
 */
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { samplesArray, Split, type FeatureScaling } from './dataset.js';
import { readDataFile, requireDataFile } from './files.js';

export const CIFAR10_SHAPE = [3, 32, 32] as const;
export const CIFAR10_CLASSES = 10;
const RECORD = 1 + 3 * 32 * 32;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';

function cifar10Hint(folder: string): string {
  return `cifar10 needs ${[...TRAIN_FILES, TEST_FILE].join(', ')} in ${folder}: the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html; set data.path to the folder that holds them`;
}

/** Fails, naming the first missing file, unless every batch file is in `folder`. */
export function requireCifar10Files(folder: string): void {
  for (const name of [...TRAIN_FILES, TEST_FILE]) requireDataFile(join(folder, name), cifar10Hint(folder));
}

export function loadCifar10(folder: string, scaling: FeatureScaling | null): { train: Split; test: Split } {
  const hint = cifar10Hint(folder);
  const load = (files: string[]): Split => {
    const parts = files.map((name) => {
      const file = join(folder, name);
      const bytes = readDataFile(file, hint);
      if (bytes.length === 0 || bytes.length % RECORD !== 0) {
        throw new DataError(file, `is ${bytes.length} bytes, not a whole number of ${RECORD}-byte records (truncated or not the binary version)`, hint);
      }
      return { file, bytes };
    });
    const count = parts.reduce((n, p) => n + p.bytes.length / RECORD, 0);
    const features = samplesArray(Uint8Array, count * (RECORD - 1));
    const targets = samplesArray(Float32Array, count);
    let sample = 0;
    for (const { file, bytes } of parts) {
      for (let at = 0; at < bytes.length; at += RECORD, sample++) {
        const label = bytes[at];
        if (label >= CIFAR10_CLASSES) throw new DataError(file, `record ${at / RECORD} has label ${label}, not a class 0–9`, hint);
        targets[sample] = label;
        features.set(bytes.subarray(at + 1, at + RECORD), sample * (RECORD - 1));
      }
    }
    return new Split(count, features, CIFAR10_SHAPE, targets, 1, scaling);
  };
  return { train: load(TRAIN_FILES), test: load([TEST_FILE]) };
}
