/**
 * A dataset is a train split and an optional test split of samples with a fixed per-sample
 * shape. Features stay in their compact source form (uint8 pixels for images) and become
 * float32 only per batch, in `gather`; MNIST therefore costs 47 MB, not 60000×784 doubles.
 */
import type { Rng } from '../core/rng.js';
import type { Shape } from '../core/shape.js';
import { AllocationError } from '../core/errors.js';
import { byteStaging, scaleBytesReference, scaleBytesWasm } from '../kernels/data-kernels.js';

/** What the targets are: class indices, or real values (one or more per sample). */
export type TargetInfo =
  | {
      readonly kind: 'class';
      readonly classes: number;
      /** A sequence's targets (text): one class per position, this many positions per sample; absent for one class per sample. */
      readonly positions?: number;
    }
  | { readonly kind: 'values'; readonly width: number; readonly binary: boolean };

/**
 * How targets are written into a batch for a given loss:
 *  'index'   the class index (cross_entropy),
 *  'value'   the stored values (a 2-class label as 0/1, for bce/mse on one output),
 *  'one-hot' a class as a one-hot row (bce/mse on C outputs).
 */
export type TargetEncoding = 'index' | 'value' | 'one-hot';

/** Per-element affine map applied to features while gathering: x = raw·scale[c] − shift[c] for channel c. */
export interface FeatureScaling {
  readonly channels: number;
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

/**
 * Training-time image augmentation, as torchvision's RandomCrop(size, padding=random_crop)
 * followed by RandomHorizontalFlip(): per sample, a crop offset in [−pad, pad]² (pixels shifted
 * in from outside are raw zeros, i.e. padded before normalization) and a flip with probability ½.
 */
export interface Augmentation {
  readonly randomCrop: number;
  readonly horizontalFlip: boolean;
  readonly rng: Rng;
}

/**
 * A zeroed array of `length` for a split's features or targets, in shared memory, so that a
 * sweep hands it to its worker threads as it is (Split.shared) rather than copying it. One the
 * memory cannot hold (or longer than a typed array may be) is an AllocationError: the config's
 * data block asks for too much, as runExperiment reports it.
 */
export function samplesArray<T>(Kind: { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, length: number): T {
  try {
    return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
  } catch (error) {
    throw new AllocationError((error as Error).message);
  }
}

export class Split {
  readonly featureSize: number;
  /** featureWords(), once asked. */
  private words: Int32Array | null | undefined;

  constructor(
    /** Number of samples (after `limit`). */
    readonly size: number,
    readonly features: Uint8Array | Float32Array,
    /** Per-sample shape of the features. */
    readonly shape: Shape,
    /** One value per sample (class index or scalar target) or `targetWidth` values per sample. */
    readonly targets: Float32Array,
    readonly targetWidth: number,
    readonly scaling: FeatureScaling | null,
    readonly augmentation: Augmentation | null = null,
    /** Which stored samples this split holds, in order; null for the first `size` of them. */
    readonly samples: Uint32Array | null = null,
  ) {
    this.featureSize = shape.reduce((a, b) => a * b, 1);
  }

  /** The same samples with some of size (a prefix), scaling and augmentation changed. */
  with(changes: { size?: number; scaling?: FeatureScaling | null; augmentation?: Augmentation | null }): Split {
    const { size = this.size, scaling = this.scaling, augmentation = this.augmentation } = changes;
    return new Split(Math.min(size, this.size), this.features, this.shape, this.targets, this.targetWidth, scaling, augmentation, this.samples);
  }

  /**
   * Splits off a held-out part (for validation): `count` samples chosen by `rng`, the rest for
   * training, each kept in stored order. The two are disjoint and together are this split.
   */
  holdOut(count: number, rng: Rng): { rest: Split; heldOut: Split } {
    const picked = new Uint8Array(this.size);
    const order = Uint32Array.from({ length: this.size }, (_, i) => i);
    rng.shuffle(order);
    for (let i = 0; i < count; i++) picked[order[i]] = 1;
    const rest = new Uint32Array(this.size - count);
    const heldOut = new Uint32Array(count);
    for (let i = 0, r = 0, h = 0; i < this.size; i++) {
      if (picked[i] === 1) heldOut[h++] = this.stored(i);
      else rest[r++] = this.stored(i);
    }
    const part = (samples: Uint32Array, augmentation: Augmentation | null): Split =>
      new Split(samples.length, this.features, this.shape, this.targets, this.targetWidth, this.scaling, augmentation, samples);
    return { rest: part(rest, this.augmentation), heldOut: part(heldOut, null) };
  }

  /** The same split restricted to its first n samples. */
  limit(n: number): Split {
    return n >= this.size ? this : this.with({ size: n });
  }

  /** The same split, augmented whenever it is gathered (for the training split of images). */
  augmented(augmentation: Augmentation): Split {
    return this.with({ augmentation });
  }

  /** The split with its arrays in SharedArrayBuffers (copied there unless they already are), so worker threads read them without copies. */
  shared(): Split {
    const share = <T extends Uint8Array | Float32Array>(array: T): T => {
      if (array.buffer instanceof SharedArrayBuffer) return array;
      const buffer = new SharedArrayBuffer(array.byteLength);
      // By element type, not array.constructor: for a Node.js Buffer (bytes straight from
      // readFileSync) that would call the deprecated Buffer() constructor, with a warning.
      const copy = (array instanceof Float32Array ? new Float32Array(buffer) : new Uint8Array(buffer)) as T;
      copy.set(array as never);
      return copy;
    };
    return new Split(this.size, share(this.features), this.shape, share(this.targets), this.targetWidth, this.scaling, null, this.samples);
  }

  /** A Split again from its fields after a structured clone (posted to a worker). */
  static revive(fields: Split): Split {
    return new Split(fields.size, fields.features, fields.shape, fields.targets, fields.targetWidth, fields.scaling, null, fields.samples);
  }

  /**
   * Copies samples order[start .. start+count) into x ([count, featureSize], float32) and their
   * targets into y, encoded as `encoding` with `width` values per sample for 'one-hot'.
   */
  gather(order: Uint32Array, start: number, count: number, x: Float32Array, y: Float32Array, encoding: TargetEncoding, width: number): void {
    const fs = this.featureSize;
    if (!this.gatherScaledWasm(order, start, count, x)) {
      for (let b = 0; b < count; b++) this.copyFeatures(this.stored(order[start + b]) * fs, x, b * fs);
    }
    for (let b = 0; b < count; b++) this.copyTarget(this.stored(order[start + b]), y, b, encoding, width);
  }

  /** Where sample i of this split is stored. */
  private stored(i: number): number {
    return this.samples === null ? i : this.samples[i];
  }

  /**
   * gather's features on the WebAssembly kernel (kernels/data-kernels.ts): the batch's rows
   * copied 4 bytes at a time into the kernel's staging area, then scaled from there into x. Only
   * for scaled, unaugmented byte features whose rows are whole words (every image dataset here),
   * and only when the kernel can write x (x in the engine memory): false otherwise, and nothing
   * done. It gives copyFeatures' bits.
   */
  private gatherScaledWasm(order: Uint32Array, start: number, count: number, x: Float32Array): boolean {
    const { scaling } = this;
    const fs = this.featureSize;
    const source = scaling === null || this.augmentation !== null ? null : this.featureWords();
    const staging = source === null ? null : byteStaging(x, count * fs);
    if (scaling === null || source === null || staging === null) return false;
    const target = staging.words;
    const rowWords = fs / 4;
    // The rows are scattered over the dataset, so their bytes come from memory, not the cache: one
    // word of each 64-byte line of every row first, which puts all their cache misses in flight at
    // once, then the whole rows from the cache. Half the time of row after row (bench/NOTES.md).
    for (let pass = 0; pass < 2; pass++) {
      const stride = pass === 0 ? 16 : 1;
      for (let b = 0; b < count; b++) {
        const from = this.stored(order[start + b]) * rowWords;
        const to = b * rowWords;
        for (let w = 0; w < rowWords; w += stride) target[to + w] = source[from + w];
      }
    }
    return scaleBytesWasm(staging.bytes, 0, x, 0, count * scaling.channels, fs / scaling.channels, scaling.scale, scaling.shift);
  }

  /** The features as 4-byte words, or null unless they are bytes whose rows each start on a word. */
  private featureWords(): Int32Array | null {
    if (this.words === undefined) {
      const { features } = this;
      const whole = features instanceof Uint8Array && this.featureSize % 4 === 0 && features.byteOffset % 4 === 0;
      this.words = whole ? new Int32Array(features.buffer, features.byteOffset, features.length / 4) : null;
    }
    return this.words;
  }

  private copyFeatures(from: number, x: Float32Array, to: number): void {
    const src = this.features;
    const fs = this.featureSize;
    if (this.scaling === null) {
      for (let j = 0; j < fs; j++) x[to + j] = src[from + j];
      return;
    }
    if (this.augmentation !== null) {
      this.copyAugmented(from, x, to, this.scaling, this.augmentation);
      return;
    }
    const { channels, scale, shift } = this.scaling;
    scaleBytesReference(src, from, x, to, channels, fs / channels, scale, shift);
  }

  /** final(y, x) = source(y + dy, (flip ? W−1−x : x) + dx), 0 outside, then scaled. */
  private copyAugmented(from: number, x: Float32Array, to: number, scaling: FeatureScaling, a: Augmentation): void {
    const [channels, height, width] = this.shape;
    const pad = a.randomCrop;
    const dy = pad > 0 ? a.rng.below(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? a.rng.below(2 * pad + 1) - pad : 0;
    const flip = a.horizontalFlip && a.rng.uniform() < 0.5;
    for (let c = 0, j = to; c < channels; c++) {
      const s = scaling.scale[c];
      const t = scaling.shift[c];
      const plane = from + c * height * width;
      for (let row = 0; row < height; row++) {
        const sy = row + dy;
        for (let col = 0; col < width; col++, j++) {
          const sx = (flip ? width - 1 - col : col) + dx;
          const raw = sy >= 0 && sy < height && sx >= 0 && sx < width ? this.features[plane + sy * width + sx] : 0;
          x[j] = raw * s - t;
        }
      }
    }
  }

  private copyTarget(sample: number, y: Float32Array, b: number, encoding: TargetEncoding, width: number): void {
    const tw = this.targetWidth;
    if (encoding === 'one-hot') {
      const row = b * width;
      for (let j = 0; j < width; j++) y[row + j] = 0;
      y[row + this.targets[sample]] = 1;
    } else {
      for (let j = 0; j < tw; j++) y[b * tw + j] = this.targets[sample * tw + j];
    }
  }
}

/** A text's characters in id order (text.ts); the run keeps it in vocab.json. */
export interface Vocabulary {
  readonly characters: readonly string[];
}

/** Classes grouped by frequency (zipf_classes): a loss per bucket is written to epochs.csv. */
export interface ClassBuckets {
  readonly count: number;
  /** The bucket of each class, 0 … count − 1. */
  readonly ofClass: Int32Array;
}

export interface Dataset {
  /** A text dataset's vocabulary: which character each class id is. */
  readonly vocabulary?: Vocabulary;
  readonly inputShape: Shape;
  readonly targets: TargetInfo;
  /** Null (or absent) for datasets whose classes are not grouped. */
  readonly classBuckets?: ClassBuckets | null;
  readonly train: Split;
  /** The held-out part of the training data (`data.validation`), or null. */
  readonly validation: Split | null;
  /** Null when the dataset has no test split (a CSV without `test:`). */
  readonly test: Split | null;
  /** Called at the start of every epoch; synthetic data with `resample` draws fresh points here. */
  beginEpoch(epoch: number): void;
}

/** The shape facts the config checker needs, known without reading the data. */
export interface DatasetDescription {
  readonly inputShape: Shape;
  /** Null when only the data can tell (class count of a CSV). */
  readonly targets: TargetInfo | null;
}
