/**
 * CIFAR-10 (binary version) and Fashion-MNIST on small generated files in temp folders.
 *
 * A CIFAR-10 file is a run of 3073-byte records: the label byte (0–9), then 3072 pixel bytes,
 * the 32×32 red plane, green, blue — already [C, H, W]. The generated pixels encode where they
 * are (sample, channel, row, column), so a pixel that lands in the wrong place is noticed.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigSource, resolveConfig } from '../../src/config/load.js';
import { CIFAR10_SHAPE, loadCifar10 } from '../../src/data/cifar10.js';
import type { FeatureScaling, Split } from '../../src/data/dataset.js';
import { MNIST_FILES } from '../../src/data/mnist.js';
import { dataSchema, loadDataset, type DataConfig } from '../../src/data/registry.js';
import { ConfigError, DataError } from '../../src/core/errors.js';

const RECORD = 3073;
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';
/** Records per train file (a few each, unequal, so file boundaries are exercised), and in the test file. */
const TRAIN_COUNTS = [2, 1, 3, 1, 2];
const TEST_COUNT = 2;

const root = mkdtempSync(join(tmpdir(), 'adam-lab-cifar10-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const newFolder = (): string => {
  const folder = join(root, String(folders++));
  mkdirSync(folder);
  return folder;
};

/** Raw pixel of global sample s (train samples first, then test) at channel c, row y, column x. */
const pixel = (s: number, c: number, y: number, x: number): number => (s * 29 + c * 85 + y * 7 + x * 3) % 256;
/** A label per global sample that runs through all ten classes. */
const label = (s: number): number => (s * 3 + 1) % 10;

function record(s: number): Uint8Array {
  const out = new Uint8Array(RECORD);
  out[0] = label(s);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[1 + c * 1024 + y * 32 + x] = pixel(s, c, y, x);
  return out;
}

function records(first: number, count: number): Uint8Array {
  const out = new Uint8Array(count * RECORD);
  for (let i = 0; i < count; i++) out.set(record(first + i), i * RECORD);
  return out;
}

const TRAIN_SIZE = TRAIN_COUNTS.reduce((a, b) => a + b, 0);

/** Writes the six files (with the given replacements) into a fresh folder. */
function cifarFolder(replace: Partial<Record<string, Uint8Array | null>> = {}): string {
  const folder = newFolder();
  let sample = 0;
  const files: [string, Uint8Array][] = TRAIN_FILES.map((name, i) => {
    const bytes = records(sample, TRAIN_COUNTS[i]);
    sample += TRAIN_COUNTS[i];
    return [name, bytes];
  });
  files.push([TEST_FILE, records(TRAIN_SIZE, TEST_COUNT)]);
  for (const [name, bytes] of files) {
    const content = name in replace ? replace[name] : bytes;
    if (content !== null && content !== undefined) writeFileSync(join(folder, name), content);
  }
  return folder;
}

const RAW: FeatureScaling = { channels: 3, scale: Float64Array.of(1, 1, 1), shift: Float64Array.of(0, 0, 0) };

function gatherAll(split: Split): { x: Float32Array; y: Float32Array } {
  const order = Uint32Array.from({ length: split.size }, (_, i) => i);
  const x = new Float32Array(split.size * split.featureSize);
  const y = new Float32Array(split.size);
  split.gather(order, 0, split.size, x, y, 'index', 1);
  return { x, y };
}

/** Expects loadCifar10 to fail with a DataError naming `file` and the six-file hint; returns the problem. */
function cifarProblem(folder: string, file: string): string {
  try {
    loadCifar10(folder, RAW);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    const e = error as DataError;
    expect(e.file).toBe(join(folder, file));
    expect(e.message).toContain(join(folder, file));
    for (const name of [...TRAIN_FILES, TEST_FILE]) expect(e.hint, `the hint names ${name}`).toContain(name);
    expect(e.hint).toContain(folder);
    expect(e.hint).toContain('data.path');
    return e.problem;
  }
  throw new Error('loadCifar10 accepted broken files');
}

describe('loadCifar10 on generated files', () => {
  it('reads all five training files in order, then the test file: sizes, shapes, labels', () => {
    const { train, test } = loadCifar10(cifarFolder(), RAW);
    expect(train.size).toBe(TRAIN_SIZE);
    expect(test.size).toBe(TEST_COUNT);
    for (const split of [train, test]) {
      expect(split.shape).toEqual([3, 32, 32]);
      expect(split.featureSize).toBe(3072);
      expect(split.targetWidth).toBe(1);
    }
    expect(CIFAR10_SHAPE).toEqual([3, 32, 32]);
    expect(Array.from(gatherAll(train).y)).toEqual(Array.from({ length: TRAIN_SIZE }, (_, s) => label(s)));
    expect(Array.from(gatherAll(test).y)).toEqual(Array.from({ length: TEST_COUNT }, (_, s) => label(TRAIN_SIZE + s)));
  });

  it('builds its splits in shared memory, which a sweep hands to its workers without a copy', () => {
    const { train } = loadCifar10(cifarFolder(), RAW);
    const shared = train.shared();
    expect(shared.features).toBe(train.features);
    expect(shared.targets).toBe(train.targets);
  });

  it('keeps the pixels in [C, H, W] order: byte 1 + c·1024 + y·32 + x lands at [c, y, x]', () => {
    // One marked pixel: sample 4 (the second record of data_batch_3.bin), green, row 5, column 17.
    const marked = records(3, 3);
    const [s, c, y, x] = [4, 1, 5, 17];
    marked[(s - 3) * RECORD + 1 + c * 1024 + y * 32 + x] = 251;
    const { train } = loadCifar10(cifarFolder({ 'data_batch_3.bin': marked }), RAW);
    const features = gatherAll(train).x;
    expect(features[s * 3072 + c * 1024 + y * 32 + x]).toBe(251);
    // Every other pixel of every sample is exactly where the generator put it.
    for (let t = 0; t < TRAIN_SIZE; t++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let row = 0; row < 32; row++) {
          for (let col = 0; col < 32; col++) {
            if (t === s && ch === c && row === y && col === x) continue;
            const at = t * 3072 + ch * 1024 + row * 32 + col;
            if (features[at] !== pixel(t, ch, row, col)) expect(features[at], `sample ${t} [${ch}, ${row}, ${col}]`).toBe(pixel(t, ch, row, col));
          }
        }
      }
    }
  });

  it('normalizes per channel through loadDataset: x = (raw/255 − mean[c]) / std[c]', () => {
    const folder = cifarFolder();
    const mean = [0.49, 0.48, 0.45];
    const std = [0.25, 0.24, 0.26];
    const data = dataSchema.parse({ dataset: 'cifar10', path: folder, normalize: { mean, std } }) as DataConfig;
    const dataset = loadDataset(data, join(root, 'exp.yaml'), 'class', 0);
    expect(dataset.inputShape).toEqual([3, 32, 32]);
    expect(dataset.targets).toEqual({ kind: 'class', classes: 10 });
    for (const [split, first] of [
      [dataset.train, 0],
      [dataset.test!, TRAIN_SIZE],
    ] as const) {
      const { x } = gatherAll(split);
      for (let t = 0; t < split.size; t++) {
        for (let c = 0; c < 3; c++) {
          for (const [row, col] of [
            [0, 0],
            [7, 30],
            [31, 31],
          ]) {
            const want = (pixel(first + t, c, row, col) / 255 - mean[c]) / std[c];
            expect(Math.abs(x[t * 3072 + c * 1024 + row * 32 + col] - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
          }
        }
      }
    }
    // Without normalize: ÷255 only, as torchvision's ToTensor.
    const plain = loadDataset(dataSchema.parse({ dataset: 'cifar10', path: folder }) as DataConfig, join(root, 'exp.yaml'), 'class', 0);
    expect(gatherAll(plain.train).x[1024 + 33]).toBe(Math.fround(pixel(0, 1, 1, 1) / 255));
  });

  it('a relative data.path starts at the config file’s folder', () => {
    const folder = cifarFolder();
    const data = dataSchema.parse({ dataset: 'cifar10', path: folder.slice(root.length + 1) }) as DataConfig;
    expect(loadDataset(data, join(root, 'exp.yaml'), 'class', 0).train.size).toBe(TRAIN_SIZE);
  });

  it('reads a gzipped file when only the .gz is there', () => {
    const folder = cifarFolder({ 'data_batch_2.bin': null });
    writeFileSync(join(folder, 'data_batch_2.bin.gz'), gzipSync(records(2, 1)));
    const { train } = loadCifar10(folder, RAW);
    expect(train.size).toBe(TRAIN_SIZE);
    expect(gatherAll(train).y[2]).toBe(label(2));
  });

  it('a truncated file: the file, its size and the record size', () => {
    const cut = records(3, 3).subarray(0, 2 * RECORD + 1000);
    expect(cifarProblem(cifarFolder({ 'data_batch_3.bin': cut }), 'data_batch_3.bin')).toBe(
      `is ${2 * RECORD + 1000} bytes, not a whole number of 3073-byte records (truncated or not the binary version)`,
    );
  });

  it('a file of the wrong size (CIFAR-100’s 3074-byte records, or empty)', () => {
    expect(cifarProblem(cifarFolder({ [TEST_FILE]: new Uint8Array(2 * 3074) }), TEST_FILE)).toBe(
      'is 6148 bytes, not a whole number of 3073-byte records (truncated or not the binary version)',
    );
    expect(cifarProblem(cifarFolder({ 'data_batch_1.bin': new Uint8Array(0) }), 'data_batch_1.bin')).toMatch(/^is 0 bytes, not a whole number/);
  });

  it('a label ≥ 10: the file and the record', () => {
    const bad = records(7, 2);
    bad[RECORD] = 10; // label byte of the file's second record
    expect(cifarProblem(cifarFolder({ 'data_batch_5.bin': bad }), 'data_batch_5.bin')).toBe('record 1 has label 10, not a class 0–9');
    const worse = records(TRAIN_SIZE, 2);
    worse[0] = 255;
    expect(cifarProblem(cifarFolder({ [TEST_FILE]: worse }), TEST_FILE)).toBe('record 0 has label 255, not a class 0–9');
  });

  it('a missing file: which one, and all six in the hint', () => {
    expect(cifarProblem(cifarFolder({ 'data_batch_4.bin': null }), 'data_batch_4.bin')).toBe('file not found (nor a .gz of it)');
    expect(cifarProblem(cifarFolder({ [TEST_FILE]: null }), TEST_FILE)).toBe('file not found (nor a .gz of it)');
    const empty = newFolder();
    expect(cifarProblem(empty, 'data_batch_1.bin')).toBe('file not found (nor a .gz of it)');
  });
});

// ------------------------------------------------------------------------------------------------

/** An IDX file of unsigned bytes: 0, 0, 0x08, rank, the dimensions big-endian, the data. */
function idxBytes(dims: number[], data: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d);
  out.set(Array.from(data), header);
  return out;
}

describe('fashion-mnist through loadDataset', () => {
  const trainLabels = [9, 0, 0, 3];
  const testLabels = [2, 7];
  const image = (n: number, at: number): number => (n * 13 + at * 5) % 256;

  function fashionFolder(): string {
    const folder = newFolder();
    const images = (first: number, count: number) => Array.from({ length: count * 784 }, (_, i) => image(first + Math.floor(i / 784), i % 784));
    writeFileSync(join(folder, MNIST_FILES.trainImages), idxBytes([4, 28, 28], images(0, 4)));
    writeFileSync(join(folder, MNIST_FILES.trainLabels), idxBytes([4], trainLabels));
    writeFileSync(join(folder, MNIST_FILES.testImages), idxBytes([2, 28, 28], images(4, 2)));
    writeFileSync(join(folder, MNIST_FILES.testLabels), idxBytes([2], testLabels));
    return folder;
  }

  it('loads generated IDX files from data.path: shapes, labels, pixels ÷ 255', () => {
    const folder = fashionFolder();
    const data = dataSchema.parse({ dataset: 'fashion-mnist', path: folder }) as DataConfig;
    const dataset = loadDataset(data, join(root, 'exp.yaml'), 'class', 0);
    expect(dataset.inputShape).toEqual([1, 28, 28]);
    expect(dataset.targets).toEqual({ kind: 'class', classes: 10 });
    expect([dataset.train.size, dataset.test!.size]).toEqual([4, 2]);
    const train = gatherAll(dataset.train);
    expect(Array.from(train.y)).toEqual(trainLabels);
    expect(Array.from(gatherAll(dataset.test!).y)).toEqual(testLabels);
    expect(train.x[2 * 784 + 100]).toBe(Math.fround(image(2, 100) / 255));
    expect(Array.from(gatherAll(dataset.test!).x.subarray(784, 790))).toEqual(Array.from({ length: 6 }, (_, i) => Math.fround(image(5, i) / 255)));
  });

  it('a missing file names fashion-mnist’s own source', () => {
    const folder = fashionFolder();
    unlinkSync(join(folder, MNIST_FILES.testLabels));
    const data = dataSchema.parse({ dataset: 'fashion-mnist', path: folder }) as DataConfig;
    try {
      loadDataset(data, join(root, 'exp.yaml'), 'class', 0);
      throw new Error('loaded without the test labels');
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).file).toBe(join(folder, MNIST_FILES.testLabels));
      expect((error as DataError).hint).toContain('zalandoresearch/fashion-mnist');
    }
  });

  it('is rejected without data.path (there is no bundled copy), at the data block', () => {
    expect(dataSchema.safeParse({ dataset: 'fashion-mnist' }).success).toBe(false);
    const text = 'data: {dataset: fashion-mnist}\nmodel:\n  layers: [flatten, {linear: 10}]\n';
    try {
      resolveConfig(parseConfigSource(text, 'exp.yaml'), []);
      throw new Error('the config resolved');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues;
      expect(issues).toHaveLength(1);
      expect(issues[0].path).toEqual(['data', 'path']);
      expect(issues[0].line).toBe(1);
      expect(issues[0].problem).toMatch(/^is required: set it to the folder with the files: .*fashion-mnist/);
    }
    // cifar10 needs it too; mnist does not (the bundled copy).
    expect(dataSchema.safeParse({ dataset: 'cifar10' }).success).toBe(false);
    expect(dataSchema.safeParse({ dataset: 'mnist' }).success).toBe(true);
  });
});
