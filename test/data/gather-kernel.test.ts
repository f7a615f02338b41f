/**
 * The batch's uint8 → float32 scaling on its WebAssembly kernel (kernels/data-kernels.ts)
 * against its plain twin, bit for bit: the kernel alone on lengths around its 16-byte vectors, at
 * unaligned starts, for several channels and scalings; then Split.gather into an engine buffer
 * (the kernel, via the staging area) against Split.gather into an ordinary array (the twin), for
 * held-out samples, several channels, normalization and batch sizes, and the splits the kernel
 * must leave to the twin.
 */
import { describe, expect, it, vi } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Split, type FeatureScaling } from '../../src/data/dataset.js';
import { allocFloat32, arenaInt32 } from '../../src/kernels/arena.js';
import { dataWasmRuns, scaleBytesReference, scaleBytesWasm } from '../../src/kernels/data-kernels.js';
import { firstBitDifference } from '../bits.js';
import { twinsRunBy } from '../twin-calls.js';

vi.mock('../../src/kernels/data-kernels.js', async (original) => (await import('../twin-calls.js')).recordingTwins(original));

/** `length` bytes in the engine memory: every value 0–255 first, then random ones. */
function engineBytes(rng: Rng, length: number): Uint8Array {
  const words = arenaInt32(Math.ceil(length / 4) + 1);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, length);
  for (let i = 0; i < length; i++) bytes[i] = i < 256 ? i : rng.below(256);
  return bytes;
}

/** Per-channel (scale, shift) as the dataset registry builds them: ÷255, then (x − mean)/std. */
function scaling(mean: number[], std: number[]): FeatureScaling {
  const channels = mean.length;
  return {
    channels,
    scale: Float64Array.from(std, (s) => 1 / (255 * s)),
    shift: Float64Array.from({ length: channels }, (_, c) => mean[c] / std[c]),
  };
}

const SCALINGS: readonly FeatureScaling[] = [
  scaling([0], [1]),
  scaling([0.1307], [0.3081]),
  scaling([0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]),
  { channels: 2, scale: Float64Array.of(1 / 3, -7.25e-3), shift: Float64Array.of(-0.7, 1e-9) },
];

const same = (got: Float32Array, want: Float32Array, what: string): void => expect(firstBitDifference(got, want), what).toBe(-1);

describe.skipIf(!dataWasmRuns())('scaleBytesWasm gives scaleBytesReference’s bits', () => {
  const rng = new Rng(3, 'data');
  for (const { channels, scale, shift } of SCALINGS) {
    for (const plane of [1, 3, 15, 16, 17, 31, 784]) {
      it(`${channels} channel(s), planes of ${plane}, scale ${scale[0].toPrecision(4)}`, () => {
        for (const [from, to] of [[0, 0], [1, 0], [3, 1], [5, 3]]) {
          const planes = 2 * channels + 1;
          const n = planes * plane;
          const bytes = engineBytes(rng, from + n);
          const fast = allocFloat32(to + n + 1).fill(Number.NaN);
          const plain = new Float32Array(fast.length).fill(Number.NaN);
          expect(twinsRunBy(() => scaleBytesWasm(bytes, from, fast, to, planes, plane, scale, shift))).toEqual(['scaleBytesWasm']);
          scaleBytesReference(Uint8Array.from(bytes), from, plain, to, planes, plane, scale, shift);
          same(fast, plain, `from ${from}, to ${to}`);
        }
      });
    }
  }

  it('leaves arrays outside the engine memory to the twin', () => {
    const scale = Float64Array.of(1 / 255);
    const shift = Float64Array.of(0);
    expect(scaleBytesWasm(new Uint8Array(16), 0, allocFloat32(16), 0, 1, 16, scale, shift)).toBe(false);
    expect(scaleBytesWasm(engineBytes(rng, 16), 0, new Float32Array(16), 0, 1, 16, scale, shift)).toBe(false);
    // x too short for the planes: the memory past it is another array's.
    expect(scaleBytesWasm(engineBytes(rng, 32), 0, allocFloat32(16), 1, 1, 16, scale, shift)).toBe(false);
  });
});

/**
 * A split of `size` random byte samples of `shape`, the bytes `offset` bytes into a
 * SharedArrayBuffer (MNIST's are 16 bytes into their file's), with class targets.
 */
function byteSplit(rng: Rng, size: number, shape: number[], offset: number, scalingOf: FeatureScaling | null): Split {
  const fs = shape.reduce((a, b) => a * b, 1);
  const features = new Uint8Array(new SharedArrayBuffer(offset + size * fs), offset, size * fs);
  for (let i = 0; i < features.length; i++) features[i] = rng.below(256);
  const targets = Float32Array.from({ length: size }, (_, i) => i % 10);
  return new Split(size, features, shape, targets, 1, scalingOf);
}

/** Gathers order[start .. start+count) into an engine buffer and into an ordinary array; returns both inputs, the targets, and the twins that ran. */
function gatherBoth(split: Split, order: Uint32Array, start: number, count: number) {
  const fs = split.featureSize;
  const fast = allocFloat32((count + 1) * fs).fill(Number.NaN);
  const plain = new Float32Array(fast.length).fill(Number.NaN);
  const yFast = new Float32Array(count);
  const yPlain = new Float32Array(count);
  const twins = twinsRunBy(() => split.gather(order, start, count, fast, yFast, 'index', 1));
  split.gather(order, start, count, plain, yPlain, 'index', 1);
  return { fast, plain, yFast, yPlain, twins };
}

describe.skipIf(!dataWasmRuns())('Split.gather gives the same bits on the kernel as in its own loop', () => {
  const rng = new Rng(4, 'data');
  const cases = [
    { shape: [1, 28, 28], scaling: SCALINGS[1] },
    { shape: [3, 4, 4], scaling: SCALINGS[2] },
    { shape: [2, 2, 6], scaling: SCALINGS[3] },
  ];
  for (const { shape, scaling: s } of cases) {
    it(`[${shape.join(', ')}], ${s.channels} channel(s), held-out samples, batches of 1, 7 and 64`, () => {
      const whole = byteSplit(rng, 150, shape, 16, s);
      const { rest } = whole.holdOut(20, new Rng(1, 'split'));
      const order = Uint32Array.from({ length: rest.size }, (_, i) => i);
      new Rng(2, 'shuffle').shuffle(order);
      for (const [start, count] of [[0, 1], [3, 7], [40, 64]]) {
        const { fast, plain, yFast, yPlain, twins } = gatherBoth(rest, order, start, count);
        expect(twins).toEqual(['scaleBytesWasm']);
        same(fast, plain, `batch of ${count}`);
        same(yFast, yPlain, 'targets');
        expect(Number.isNaN(fast[count * rest.featureSize])).toBe(true); // nothing written past the batch
      }
    });
  }

  it('leaves to its loop: rows that are not whole words, unaligned bytes, augmentation, no scaling', () => {
    const order = Uint32Array.from({ length: 20 }, (_, i) => 19 - i);
    const splits = [
      byteSplit(rng, 20, [1, 3, 3], 0, SCALINGS[0]),
      byteSplit(rng, 20, [1, 4, 4], 2, SCALINGS[0]),
      byteSplit(rng, 20, [1, 4, 4], 0, SCALINGS[0]).augmented({ randomCrop: 1, horizontalFlip: true, rng: new Rng(0, 'augment') }),
      byteSplit(rng, 20, [1, 4, 4], 0, null),
    ];
    for (const split of splits) {
      const fast = allocFloat32(5 * split.featureSize);
      expect(twinsRunBy(() => split.gather(order, 2, 5, fast, new Float32Array(5), 'index', 1))).toEqual([]);
    }
  });
});
