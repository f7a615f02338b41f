import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureScaling, Split } from '../../src/data/dataset.js';
import { decodeIdx } from '../../src/data/idx.js';
import { bundledMnistFolder, loadMnistLike, MNIST_FILES } from '../../src/data/mnist.js';
import { dataSchema, loadDataset } from '../../src/data/registry.js';
import { DataError } from '../../src/core/errors.js';

/** An IDX file: 00 00 <type> <rank>, big-endian u32 dims, then the elements. */
function idx(dims: readonly number[], data: ArrayLike<number>, elementType = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = elementType;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

const FILE = '/data/train-images-idx3-ubyte';
const HINT = 'put the MNIST files in data/';

/** Expects decodeIdx to throw a DataError naming FILE with HINT, and returns its problem. */
function idxProblem(bytes: Uint8Array): string {
  try {
    decodeIdx(bytes, FILE, HINT);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    const e = error as DataError;
    expect(e.file).toBe(FILE);
    expect(e.hint).toBe(HINT);
    expect(e.message).toContain(FILE);
    return e.problem;
  }
  throw new Error('decodeIdx accepted a malformed file');
}

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));

describe('decodeIdx', () => {
  it('decodes an images file: dims big-endian, pixels row-major', () => {
    const pixels = range(2 * 3 * 4, (i) => (i * 37) % 256);
    const decoded = decodeIdx(idx([2, 3, 4], pixels), FILE, HINT);
    expect(decoded.dims).toEqual([2, 3, 4]);
    expect(Array.from(decoded.data)).toEqual(pixels);
  });

  it('decodes a labels file, and sizes above 255 (all four bytes of a dimension count)', () => {
    expect(decodeIdx(idx([4], [5, 0, 4, 1]), FILE, HINT)).toEqual({ dims: [4], data: Uint8Array.of(5, 0, 4, 1) });
    const long = decodeIdx(idx([300], range(300, (i) => i % 10)), FILE, HINT);
    expect(long.dims).toEqual([300]);
    expect(long.data[299]).toBe(9);
  });

  it('decodes from a view that does not start at its buffer’s first byte', () => {
    const bytes = idx([2, 2], [1, 2, 3, 4]);
    const host = new Uint8Array(bytes.length + 5);
    host.set(bytes, 5);
    expect(decodeIdx(host.subarray(5), FILE, HINT)).toEqual({ dims: [2, 2], data: Uint8Array.of(1, 2, 3, 4) });
  });

  it('rejects a truncated header', () => {
    expect(idxProblem(Uint8Array.of(0, 0))).toMatch(/truncated: 2 bytes, too short for an IDX header/);
    // Rank 3 needs 4 + 12 header bytes; only one dimension is there.
    expect(idxProblem(idx([5, 28, 28], []).subarray(0, 8))).toMatch(/truncated: 8 bytes, the header alone needs 16/);
  });

  it('rejects truncated data, saying how much the header needs', () => {
    const bytes = idx([2, 28, 28], range(2 * 784 - 10, () => 1));
    expect(idxProblem(bytes)).toBe(`truncated: ${16 + 2 * 784 - 10} bytes, but the header [2×28×28] needs ${16 + 2 * 784}`);
  });

  it('rejects a wrong magic number (e.g. a still-gzipped file)', () => {
    const bytes = idx([3], [1, 2, 3]);
    bytes[1] = 0x01;
    expect(idxProblem(bytes)).toMatch(/not an IDX file.*00 01.*expected 00 00/);
    expect(idxProblem(gzipSync(idx([3], [1, 2, 3])))).toMatch(/not an IDX file.*1f 8b/);
  });

  it('rejects element types other than unsigned bytes', () => {
    expect(idxProblem(idx([2], [0, 0, 0, 0, 0, 0, 0, 0], 0x0d))).toMatch(/element type 0d is not supported.*08/);
    expect(idxProblem(idx([2], [0, 0], 0x09))).toMatch(/element type 09/);
  });

  it('rejects zero dimensions', () => {
    expect(idxProblem(idx([], []))).toMatch(/zero dimensions/);
  });

  it('rejects extra trailing bytes', () => {
    const bytes = idx([2, 2], [1, 2, 3, 4, 9, 9, 9]);
    expect(idxProblem(bytes)).toMatch(/^3 unexpected bytes after the 2×2 elements/);
  });
});

describe('loadMnistLike on generated IDX files', () => {
  const root = mkdtempSync(join(tmpdir(), 'adam-lab-mnist-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let folders = 0;

  const pixel = (image: number, at: number): number => (image * 31 + at * 7) % 256;
  const images = (n: number, offset = 0): number[] => range(n * 784, (i) => pixel(offset + Math.floor(i / 784), i % 784));
  const trainLabels = [5, 0, 4, 1, 9];
  const testLabels = [7, 2, 1];

  interface Files {
    trainImages?: Uint8Array;
    trainLabels?: Uint8Array;
    testImages?: Uint8Array;
    testLabels?: Uint8Array;
  }
  const standard = (): Required<Files> => ({
    trainImages: idx([5, 28, 28], images(5)),
    trainLabels: idx([5], trainLabels),
    testImages: idx([3, 28, 28], images(3, 100)),
    testLabels: idx([3], testLabels),
  });

  /** A fresh folder with the given files; `gz` names the ones to write gzipped only. */
  function folderWith(files: Files, gz: readonly (keyof Files)[] = []): string {
    const folder = join(root, `set${folders++}`);
    mkdirSync(folder);
    for (const key of Object.keys(files) as (keyof Files)[]) {
      const bytes = files[key];
      if (bytes === undefined) continue;
      if (gz.includes(key)) writeFileSync(join(folder, `${MNIST_FILES[key]}.gz`), gzipSync(bytes));
      else writeFileSync(join(folder, MNIST_FILES[key]), bytes);
    }
    return folder;
  }

  const unit: FeatureScaling = { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) };

  function gatherAll(split: Split): { x: Float32Array; y: Float32Array } {
    const order = Uint32Array.from(range(split.size));
    const x = new Float32Array(split.size * split.featureSize);
    const y = new Float32Array(split.size);
    split.gather(order, 0, split.size, x, y, 'index', 1);
    return { x, y };
  }

  function loadProblem(folder: string): DataError {
    try {
      loadMnistLike('mnist', folder, unit);
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      return error as DataError;
    }
    throw new Error('loadMnistLike accepted a broken folder');
  }

  it('gives [1, 28, 28] samples, the labels, and pixels scaled to [0, 1] by x/255', () => {
    const { train, test } = loadMnistLike('mnist', folderWith(standard()), unit);
    expect([train.size, test.size]).toEqual([5, 3]);
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.featureSize).toBe(784);
    expect(Array.from(train.targets)).toEqual(trainLabels);
    expect(Array.from(test.targets)).toEqual(testLabels);
    const { x, y } = gatherAll(train);
    expect(Array.from(y)).toEqual(trainLabels);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(x[i] - pixel(Math.floor(i / 784), i % 784) / 255)).toBeLessThan(1e-7);
    }
    expect(Math.min(...x)).toBe(0);
    expect(Math.max(...x)).toBeGreaterThan(0.99);
    const t = gatherAll(test);
    expect(t.x[784 + 10]).toBeCloseTo(pixel(101, 10) / 255, 6);
  });

  it('gathers samples in the order asked, from any start', () => {
    const { train } = loadMnistLike('mnist', folderWith(standard()), unit);
    const x = new Float32Array(2 * 784);
    const y = new Float32Array(2);
    train.gather(Uint32Array.of(9, 4, 1, 9), 1, 2, x, y, 'index', 1);
    expect(Array.from(y)).toEqual([9, 0]);
    expect(x[0]).toBeCloseTo(pixel(4, 0) / 255, 6);
    expect(x[784 + 783]).toBeCloseTo(pixel(1, 783) / 255, 6);
  });

  it('normalizes with mean/std through the data config: (x/255 − mean)/std', () => {
    const folder = folderWith(standard());
    const mean = 0.1307;
    const std = 0.3081;
    const config = dataSchema.parse({ dataset: 'mnist', path: folder, normalize: { mean: [mean], std: [std] } });
    const dataset = loadDataset(config, join(root, 'config.yaml'), 'class', 1);
    expect(dataset.inputShape).toEqual([1, 28, 28]);
    expect(dataset.targets).toEqual({ kind: 'class', classes: 10 });
    const { x } = gatherAll(dataset.train);
    for (let i = 0; i < x.length; i += 97) {
      const expected = (pixel(Math.floor(i / 784), i % 784) / 255 - mean) / std;
      expect(Math.abs(x[i] - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
    }
    expect(Math.min(...x)).toBeCloseTo(-mean / std, 5);
  });

  it('a missing file is a DataError whose hint names the four expected files', () => {
    const files: Files = standard();
    delete files.testLabels;
    const folder = folderWith(files);
    const error = loadProblem(folder);
    expect(error.file).toBe(join(folder, MNIST_FILES.testLabels));
    expect(error.problem).toMatch(/file not found/);
    for (const name of Object.values(MNIST_FILES)) expect(error.hint).toContain(name);
    expect(error.hint).toContain(folder);
  });

  it('reads the .gz files when the plain ones are absent', () => {
    const folder = folderWith(standard(), ['trainImages', 'trainLabels', 'testImages', 'testLabels']);
    const { train, test } = loadMnistLike('mnist', folder, unit);
    expect(Array.from(train.targets)).toEqual(trainLabels);
    expect(Array.from(test.targets)).toEqual(testLabels);
    expect(gatherAll(train).x[784 * 2 + 5]).toBeCloseTo(pixel(2, 5) / 255, 6);
  });

  it('prefers the plain file over a .gz beside it, and names a broken .gz', () => {
    const folder = folderWith(standard());
    writeFileSync(join(folder, `${MNIST_FILES.trainLabels}.gz`), Uint8Array.of(1, 2, 3));
    expect(Array.from(loadMnistLike('mnist', folder, unit).train.targets)).toEqual(trainLabels);
    const files: Files = standard();
    delete files.trainLabels;
    const broken = folderWith(files);
    writeFileSync(join(broken, `${MNIST_FILES.trainLabels}.gz`), Uint8Array.of(1, 2, 3));
    const error = loadProblem(broken);
    expect(error.file).toBe(join(broken, `${MNIST_FILES.trainLabels}.gz`));
    expect(error.problem).toMatch(/not a valid gzip file/);
  });

  it('a label ≥ 10 is an error naming the labels file and the index', () => {
    const folder = folderWith({ ...standard(), trainLabels: idx([5], [5, 0, 4, 10, 9]) });
    const error = loadProblem(folder);
    expect(error.file).toBe(join(folder, MNIST_FILES.trainLabels));
    expect(error.problem).toMatch(/label 10 at index 3/);
  });

  it('a count mismatch between images and labels is an error', () => {
    const folder = folderWith({ ...standard(), testLabels: idx([2], [7, 2]) });
    const error = loadProblem(folder);
    expect(error.file).toBe(join(folder, MNIST_FILES.testLabels));
    expect(error.problem).toMatch(/^2 labels for 3 images/);
  });

  it('images that are not 28×28 are an error', () => {
    const folder = folderWith({ ...standard(), trainImages: idx([5, 28, 27], range(5 * 28 * 27, () => 0)) });
    const error = loadProblem(folder);
    expect(error.file).toBe(join(folder, MNIST_FILES.trainImages));
    expect(error.problem).toMatch(/shape \[5, 28, 27\], expected \[N, 28, 28\]/);
  });

  it('a split of no images is an error naming its images file, not a run that reports test_loss NaN', () => {
    for (const [files, key] of [
      [{ testImages: idx([0, 28, 28], []), testLabels: idx([0], []) }, 'testImages'],
      [{ trainImages: idx([0, 28, 28], []), trainLabels: idx([0], []) }, 'trainImages'],
    ] as const) {
      const folder = folderWith({ ...standard(), ...files });
      const error = loadProblem(folder);
      expect(error.file).toBe(join(folder, MNIST_FILES[key]));
      expect(error.problem).toBe('holds no images (its header says [0, 28, 28]): every split needs at least one sample');
    }
  });

  it('a malformed IDX file in the folder is reported against that file', () => {
    const bytes = standard().testImages;
    const folder = folderWith({ ...standard(), testImages: bytes.subarray(0, bytes.length - 1) });
    const error = loadProblem(folder);
    expect(error.file).toBe(join(folder, MNIST_FILES.testImages));
    expect(error.problem).toMatch(/^truncated/);
  });
});

describe('the bundled real MNIST', () => {
  it('loads 60000 training and 10000 test samples; the first training label is 5', () => {
    const unit: FeatureScaling = { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) };
    const { train, test } = loadMnistLike('mnist', bundledMnistFolder(), unit);
    expect(train.size).toBe(60000);
    expect(test.size).toBe(10000);
    expect(Array.from(train.targets.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.targets.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array(10).fill(0);
    for (const label of train.targets) counts[label]++;
    expect(Math.min(...counts)).toBeGreaterThan(5000);
    const x = new Float32Array(784);
    train.gather(Uint32Array.of(0), 0, 1, x, new Float32Array(1), 'index', 1);
    expect(Math.min(...x)).toBe(0);
    expect(Math.max(...x)).toBe(1);
  });
});
