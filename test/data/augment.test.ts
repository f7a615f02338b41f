/**
 * Training-time augmentation (Split.augmented): torchvision's RandomCrop(size, padding=p)
 * followed by RandomHorizontalFlip(), applied while gathering. Every gathered image must be the
 * original, shifted by some (dy, dx) ∈ [−p, p]² with raw-zero fill (zero pixels padded in before
 * normalization, i.e. −shift[c] after it), and mirrored left-right or not:
 *
 *     out[c, y, x] = raw[c, y + dy, (flip ? W − 1 − x : x) + dx]   (0 outside), then ·scale[c] − shift[c]
 *
 * The generated images are non-square, all pixels nonzero and distinct within a channel, so
 * exactly one (dy, dx, flip) explains a gathered image.
 */
import { describe, expect, it } from 'vitest';
import { Split, type FeatureScaling } from '../../src/data/dataset.js';
import { dataSchema, loadDataset, type DataConfig } from '../../src/data/registry.js';
import { Rng } from '../../src/core/rng.js';

const SHAPE = [2, 5, 6] as const;
const [C, H, W] = SHAPE;
const SIZE = C * H * W;
const SAMPLES = 7;

/** Distinct nonzero bytes per channel: sample s, channel c, position k (< 30). */
const raw = (s: number, c: number, k: number): number => 1 + ((s * 37 + c * 101 + k * 8) % 250);

const features = Uint8Array.from({ length: SAMPLES * SIZE }, (_, i) => {
  const s = Math.floor(i / SIZE);
  const c = Math.floor((i % SIZE) / (H * W));
  return raw(s, c, i % (H * W));
});
const targets = Float32Array.from({ length: SAMPLES }, (_, s) => s % 3);
const scaling: FeatureScaling = { channels: 2, scale: Float64Array.of(1 / (255 * 0.5), 1 / (255 * 0.25)), shift: Float64Array.of(0.2, -0.4) };

const plainSplit = (): Split => new Split(SAMPLES, features, SHAPE, targets, 1, scaling);
const augmentedSplit = (randomCrop: number, horizontalFlip: boolean, seed = 1): Split =>
  plainSplit().augmented({ randomCrop, horizontalFlip, rng: new Rng(seed, 'augment') });

/** Gathers samples `order` in one batch; returns the images and the targets. */
function gather(split: Split, order: number[]): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array((order.length + 1) * split.featureSize).fill(Number.NaN);
  const y = new Float32Array(order.length + 1).fill(Number.NaN);
  split.gather(Uint32Array.from(order), 0, order.length, x, y, 'index', 1);
  expect(x.subarray(order.length * split.featureSize).every(Number.isNaN), 'nothing past the batch').toBe(true);
  return { x: x.subarray(0, order.length * split.featureSize), y: y.subarray(0, order.length) };
}

/** Sample s as the formula in the header says it looks after (dy, dx, flip), as float32. */
function expected(s: number, dy: number, dx: number, flip: boolean): Float32Array {
  const out = new Float32Array(SIZE);
  for (let c = 0, j = 0; c < C; c++) {
    for (let row = 0; row < H; row++) {
      for (let col = 0; col < W; col++, j++) {
        const sy = row + dy;
        const sx = (flip ? W - 1 - col : col) + dx;
        const value = sy >= 0 && sy < H && sx >= 0 && sx < W ? raw(s, c, sy * W + sx) : 0;
        out[j] = value * scaling.scale[c] - scaling.shift[c];
      }
    }
  }
  return out;
}

const equal = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

/** Every (dy, dx, flip) that turns sample s into `image` (exactly one, for these images). */
function explanations(image: Float32Array, s: number, pad: number, flips: boolean[]): { dy: number; dx: number; flip: boolean }[] {
  const found = [];
  for (const flip of flips) {
    for (let dy = -pad; dy <= pad; dy++) for (let dx = -pad; dx <= pad; dx++) if (equal(image, expected(s, dy, dx, flip))) found.push({ dy, dx, flip });
  }
  return found;
}

const everySample = (repeats: number): number[] => Array.from({ length: SAMPLES * repeats }, (_, i) => i % SAMPLES);

describe('Split.augmented', () => {
  it('random_crop 0 and no flip: exactly plain gathering', () => {
    const order = [3, 0, 6, 6, 2];
    for (let batch = 0; batch < 3; batch++) expect(gather(augmentedSplit(0, false), order)).toEqual(gather(plainSplit(), order));
    expect(equal(gather(plainSplit(), [4]).x, expected(4, 0, 0, false))).toBe(true);
  });

  it('flip only: each image is the original or its exact mirror, about half each', () => {
    const split = augmentedSplit(0, true);
    const order = everySample(60); // 420 draws
    const { x, y } = gather(split, order);
    let mirrored = 0;
    for (const [b, s] of order.entries()) {
      const image = x.subarray(b * SIZE, (b + 1) * SIZE);
      const ways = explanations(image, s, 0, [false, true]);
      expect(ways, `sample ${s} (batch row ${b})`).toHaveLength(1);
      if (ways[0].flip) mirrored++;
      expect(y[b]).toBe(targets[s]); // targets are never augmented
    }
    // Binomial(420, ½): mean 210, sd ≈ 10.2; ±4 sd.
    expect(Math.abs(mirrored - 210)).toBeLessThan(41);
  });

  it('random_crop p: each image is the original shifted by (dy, dx) ∈ [−p, p]², raw zeros (−shift after scaling) shifted in', () => {
    const pad = 2;
    const split = augmentedSplit(pad, false);
    const order = everySample(100); // 700 draws over 25 offsets
    const { x } = gather(split, order);
    const seen = new Map<string, number>();
    for (const [b, s] of order.entries()) {
      const image = x.subarray(b * SIZE, (b + 1) * SIZE);
      const ways = explanations(image, s, pad, [false]);
      expect(ways, `sample ${s} (batch row ${b})`).toHaveLength(1);
      const { dy, dx } = ways[0];
      const key = `${dy},${dx}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      // The fill is the normalized raw zero, −shift[c], in both channels (same offset for every channel).
      if (dy > 0) for (let c = 0; c < C; c++) expect(image[c * H * W + (H - 1) * W]).toBe(Math.fround(-scaling.shift[c]));
      if (dx < 0) for (let c = 0; c < C; c++) expect(image[c * H * W]).toBe(Math.fround(-scaling.shift[c]));
    }
    // All 25 offsets occur, none far from 700/25 = 28 (binomial sd ≈ 5.2; ±4 sd).
    expect(seen.size).toBe(25);
    for (const [key, n] of seen) expect(Math.abs(n - 28), `offset ${key} drawn ${n} times`).toBeLessThan(21);
  });

  it('random_crop with flip: a shifted original or a shifted mirror (crop, then flip)', () => {
    const pad = 1;
    const order = everySample(40);
    const { x } = gather(augmentedSplit(pad, true, 5), order);
    let mirrored = 0;
    for (const [b, s] of order.entries()) {
      const ways = explanations(x.subarray(b * SIZE, (b + 1) * SIZE), s, pad, [false, true]);
      expect(ways, `sample ${s} (batch row ${b})`).toHaveLength(1);
      if (ways[0].flip) mirrored++;
    }
    // Binomial(280, ½): mean 140, sd ≈ 8.4; ±4 sd.
    expect(Math.abs(mirrored - 140)).toBeLessThan(34);
  });

  it('the same seed gives the same augmented batches, another seed others; limit keeps the augmentation', () => {
    const batches = (split: Split) => [0, 1, 2, 3].map((k) => Array.from(gather(split, [k, (k + 3) % SAMPLES, 6]).x));
    expect(batches(augmentedSplit(2, true, 42))).toEqual(batches(augmentedSplit(2, true, 42)));
    expect(batches(augmentedSplit(2, true, 42))).not.toEqual(batches(augmentedSplit(2, true, 43)));
    const limited = augmentedSplit(2, true, 42).limit(4);
    expect(limited.size).toBe(4);
    expect(limited.augmentation).not.toBeNull();
    expect(batches(limited)).toEqual(batches(augmentedSplit(2, true, 42)));
  });
});

describe('augmentation through loadDataset (mnist, bundled)', () => {
  const load = (augment: unknown, seed = 0) =>
    loadDataset(dataSchema.parse({ dataset: 'mnist', limit: 16, ...(augment === undefined ? {} : { augment }) }) as DataConfig, 'exp.yaml', 'class', seed);

  it('augments the training split only; the test split is gathered exactly as without augment', () => {
    const plain = load(undefined);
    const augmented = load({ random_crop: 4, horizontal_flip: true });
    expect(plain.train.augmentation).toBeNull();
    expect(augmented.train.augmentation).not.toBeNull();
    expect(augmented.train.size).toBe(16);
    expect(augmented.test!.augmentation).toBeNull();

    const order = Array.from({ length: 16 }, (_, i) => i);
    // The test split, gathered twice (an augmented split would draw new offsets the second time).
    for (let pass = 0; pass < 2; pass++) expect(gather(augmented.test!, order)).toEqual(gather(plain.test!, order));
    const trainPlain = gather(plain.train, order);
    const trainAugmented = gather(augmented.train, order);
    expect(trainAugmented.y).toEqual(trainPlain.y);
    expect(trainAugmented.x).not.toEqual(trainPlain.x);
    // Every augmented training image is a shifted, possibly mirrored, copy of its original.
    const size = 784;
    for (const b of order) {
      const original = trainPlain.x.subarray(b * size, (b + 1) * size);
      const image = trainAugmented.x.subarray(b * size, (b + 1) * size);
      let matches = 0;
      for (const flip of [false, true]) {
        for (let dy = -4; dy <= 4; dy++) {
          for (let dx = -4; dx <= 4; dx++) {
            let same = true;
            for (let y = 0; y < 28 && same; y++) {
              for (let x = 0; x < 28 && same; x++) {
                const sy = y + dy;
                const sx = (flip ? 27 - x : x) + dx;
                same = image[y * 28 + x] === (sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? original[sy * 28 + sx] : 0);
              }
            }
            if (same) matches++;
          }
        }
      }
      expect(matches, `training image ${b}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('the same seed reproduces the augmented batches', () => {
    const order = [5, 1, 12];
    expect(gather(load({ random_crop: 2, horizontal_flip: true }, 9).train, order)).toEqual(gather(load({ random_crop: 2, horizontal_flip: true }, 9).train, order));
    expect(gather(load({ random_crop: 2, horizontal_flip: true }, 9).train, order)).not.toEqual(gather(load({ random_crop: 2, horizontal_flip: true }, 10).train, order));
  });

  it('augment with random_crop 0 and no flip is no augmentation at all', () => {
    expect(load({ random_crop: 0, horizontal_flip: false }).train.augmentation).toBeNull();
    expect(load({}).train.augmentation).toBeNull();
  });
});
