import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Split, type FeatureScaling, type TargetInfo } from '../../src/data/dataset.js';
import { readDataFile } from '../../src/data/files.js';
import { DataError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { syntheticDataset } from '../../src/data/synthetic.js';
import { matchTargets } from '../../src/data/targets.js';

/** 5 samples of 3 features (sample s, feature j → 10·s + j) with class labels. */
function classSplit(): Split {
  const features = Float32Array.from({ length: 15 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
  return new Split(5, features, [3], Float32Array.of(2, 0, 1, 2, 0), 1, null);
}

/** `count` samples gathered in `order` from `start`, into buffers pre-filled with NaN. */
function gather(split: Split, order: number[], start: number, count: number, encoding: 'index' | 'value' | 'one-hot', width: number) {
  const x = new Float32Array((count + 1) * split.featureSize).fill(Number.NaN);
  const yWidth = encoding === 'one-hot' ? width : split.targetWidth;
  const y = new Float32Array((count + 1) * yWidth).fill(Number.NaN);
  split.gather(Uint32Array.from(order), start, count, x, y, encoding, width);
  // Nothing past `count` samples is written.
  expect(x.subarray(count * split.featureSize).every(Number.isNaN)).toBe(true);
  expect(y.subarray(count * yWidth).every(Number.isNaN)).toBe(true);
  return { x: Array.from(x.subarray(0, count * split.featureSize)), y: Array.from(y.subarray(0, count * yWidth)) };
}

describe('Split.gather', () => {
  it("'index': features and class indices of order[start .. start+count)", () => {
    const { x, y } = gather(classSplit(), [4, 1, 3, 0], 1, 2, 'index', 1);
    expect(x).toEqual([10, 11, 12, 30, 31, 32]);
    expect(y).toEqual([0, 2]);
  });

  it("'value': every stored target value per sample (targetWidth > 1)", () => {
    const split = new Split(3, Float32Array.of(1, 2, 3), [1], Float32Array.of(0.1, 0.2, 1.1, 1.2, 2.1, 2.2), 2, null);
    const { x, y } = gather(split, [2, 0], 0, 2, 'value', 2);
    expect(x).toEqual([3, 1]);
    expect(y).toEqual([2.1, 2.2, 0.1, 0.2].map(Math.fround));
  });

  it("'one-hot': a row of `width` values with a single 1 at the class, overwriting what was there", () => {
    const { y } = gather(classSplit(), [0, 1, 2], 0, 3, 'one-hot', 3);
    expect(y).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('applies per-channel scaling: x = raw·scale[c] − shift[c]', () => {
    // One sample of shape [2, 2]: channel 0 is bytes 0..1, channel 1 is bytes 2..3.
    const scaling: FeatureScaling = { channels: 2, scale: Float64Array.of(1 / 255, 2), shift: Float64Array.of(0.5, 1) };
    const split = new Split(1, Uint8Array.of(0, 255, 3, 10), [2, 2], Float32Array.of(0), 1, scaling);
    const { x } = gather(split, [0], 0, 1, 'index', 1);
    expect(x).toEqual([-0.5, 0.5, 5, 19]);
  });

  it('copies raw features unchanged without scaling, including uint8 sources', () => {
    const split = new Split(2, Uint8Array.of(0, 128, 255, 7), [2], Float32Array.of(1, 0), 1, null);
    expect(gather(split, [1, 0], 0, 2, 'index', 1)).toEqual({ x: [255, 7, 0, 128], y: [0, 1] });
  });
});

describe('Split.limit', () => {
  it('keeps the first n samples, sharing the data', () => {
    const split = classSplit();
    const limited = split.limit(2);
    expect(limited.size).toBe(2);
    expect(limited.features).toBe(split.features);
    expect(limited.shape).toEqual([3]);
    expect(gather(limited, [0, 1], 0, 2, 'index', 1)).toEqual(gather(split, [0, 1], 0, 2, 'index', 1));
    expect(split.size).toBe(5); // the original is unchanged
  });

  it('returns the split itself when n is not smaller than its size', () => {
    const split = classSplit();
    expect(split.limit(5)).toBe(split);
    expect(split.limit(1000)).toBe(split);
  });
});

describe('matchTargets', () => {
  const values = (width: number, binary = false): TargetInfo => ({ kind: 'values', width, binary });
  const classes = (n: number): TargetInfo => ({ kind: 'class', classes: n });

  it('values targets with a values loss: one output per target value', () => {
    expect(matchTargets(values(1), 'values', 1)).toEqual({ encoding: 'value', width: 1 });
    expect(matchTargets(values(3), 'values', 3)).toEqual({ encoding: 'value', width: 3 });
    expect(matchTargets(values(1, true), 'values', 1)).toEqual({ encoding: 'value', width: 1 });
    expect(matchTargets(values(1), 'values', 3)).toEqual({
      problem: 'the model has 3 output(s) but the dataset has 1 target value(s) per sample',
    });
  });

  it('values targets with a class loss: a problem pointing to bce or mse', () => {
    expect(matchTargets(values(1, true), 'class', 2)).toEqual({
      problem: 'this loss needs class labels, but the dataset has real-valued targets (use bce or mse)',
    });
  });

  it('class targets with a class loss: one output per class, encoded as the index', () => {
    expect(matchTargets(classes(10), 'class', 10)).toEqual({ encoding: 'index', width: 1 });
    expect(matchTargets(classes(2), 'class', 2)).toEqual({ encoding: 'index', width: 1 });
    expect(matchTargets(classes(10), 'class', 5)).toEqual({ problem: 'the model has 5 output(s) but the dataset has 10 classes' });
    expect(matchTargets(classes(2), 'class', 1)).toEqual({ problem: 'the model has 1 output(s) but the dataset has 2 classes' });
  });

  it('2 classes with a values loss: the 0/1 value on one output, or one-hot on two', () => {
    expect(matchTargets(classes(2), 'values', 1)).toEqual({ encoding: 'value', width: 1 });
    expect(matchTargets(classes(2), 'values', 2)).toEqual({ encoding: 'one-hot', width: 2 });
    expect(matchTargets(classes(2), 'values', 3)).toEqual({ problem: 'the model has 3 output(s); with 2 classes this loss needs 1 or 2' });
  });

  it('C > 2 classes with a values loss: one-hot on C outputs, nothing else', () => {
    expect(matchTargets(classes(10), 'values', 10)).toEqual({ encoding: 'one-hot', width: 10 });
    expect(matchTargets(classes(10), 'values', 1)).toEqual({ problem: 'the model has 1 output(s); with 10 classes this loss needs 10' });
    expect(matchTargets(classes(3), 'values', 4)).toEqual({ problem: 'the model has 4 output(s); with 3 classes this loss needs 3' });
  });

  it('the match drives gather: spirals (3 classes) with mse on 3 outputs gives one-hot rows', () => {
    const data = syntheticDataset({ task: 'spirals', classes: 3, noise: 0.2, n_train: 6, n_test: 3, resample: false }, 1);
    const match = matchTargets(data.targets, 'values', 3);
    if (!('encoding' in match)) throw new Error(match.problem);
    const { y } = gather(data.train, [0, 1, 2, 3, 4, 5], 0, 6, match.encoding, match.width);
    const labels = Array.from(data.train.targets);
    expect(y).toEqual(labels.flatMap((label) => [0, 1, 2].map((j) => (j === label ? 1 : 0))));
  });

  it('the match drives gather: moons with bce on 1 output gives the 0/1 label', () => {
    const data = syntheticDataset({ task: 'moons', noise: 0.1, n_train: 4, n_test: 2, resample: false }, 1);
    const match = matchTargets(data.targets, 'values', 1);
    expect(match).toEqual({ encoding: 'value', width: 1 });
    const { y } = gather(data.train, [3, 2, 1, 0], 0, 4, 'value', 1);
    expect(y).toEqual([1, 0, 1, 0]);
  });
});

describe('Split.shared', () => {
  it('copies bytes read from a file (a Node.js Buffer) into plain shared arrays, without the deprecated Buffer() constructor', () => {
    const bytes = Buffer.from([0, 64, 128, 255, 7, 9]);
    const split = new Split(2, bytes, [3], Float32Array.of(1, 0), 1, { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) });
    const shared = split.shared();
    // A Buffer here would mean `new Buffer(sharedArrayBuffer)` ran (DEP0005 on stderr).
    expect(Object.getPrototypeOf(shared.features)).toBe(Uint8Array.prototype);
    expect(shared.features.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(shared.features)).toEqual([0, 64, 128, 255, 7, 9]);
    expect(Object.getPrototypeOf(shared.targets)).toBe(Float32Array.prototype);
    expect(Array.from(shared.targets)).toEqual([1, 0]);
  });
});

describe('data files in shared memory', () => {
  it('splits that loaders build (synthetic here, also CSV and CIFAR-10) are in shared memory already: Split.shared copies nothing', () => {
    const { train } = syntheticDataset({ task: 'moons', noise: 0.1, n_train: 4, n_test: 2, resample: false }, 1);
    expect(train.features.buffer).toBeInstanceOf(SharedArrayBuffer);
    const shared = train.shared();
    expect(shared.features).toBe(train.features);
    expect(shared.targets).toBe(train.targets);
  });

  it('readDataFile reads a plain file into a SharedArrayBuffer, which Split.shared then hands on without a copy', () => {
    const folder = mkdtempSync(join(tmpdir(), 'adam-lab-shared-'));
    const file = join(folder, 'bytes.bin');
    writeFileSync(file, Uint8Array.of(3, 1, 4, 1, 5, 9));
    const bytes = readDataFile(file, 'hint');
    rmSync(folder, { recursive: true });
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(bytes)).toEqual([3, 1, 4, 1, 5, 9]);
    const split = new Split(2, bytes.subarray(0, 6), [3], Float32Array.of(1, 0), 1, null);
    const shared = split.shared();
    expect(shared.features).toBe(split.features);
    expect(shared.targets).not.toBe(split.targets);
    expect(shared.targets.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('readDataFile refuses a directory and a device by name, and says when neither the file nor a .gz of it is there', () => {
    const folder = mkdtempSync(join(tmpdir(), 'adam-lab-files-'));
    try {
      expect(thrown(DataError, () => readDataFile(folder, 'hint')).problem).toBe('is a directory, expected a file');
      expect(thrown(DataError, () => readDataFile('/dev/zero', 'hint')).problem).toBe('is not a regular file (a device, pipe or socket); point the config at a data file');
      const missing = thrown(DataError, () => readDataFile(join(folder, 'missing.bin'), 'hint'));
      expect([missing.problem, missing.hint]).toEqual(['file not found (nor a .gz of it)', 'hint']);
    } finally {
      rmSync(folder, { recursive: true });
    }
  });
});
