/**
 * The batch's uint8 → float32 scaling (wasm/data-kernels.wat): x = byte·s − t per channel, as a
 * dataset's gather turns image bytes into the model's input (data/dataset.ts, Split.gather).
 *
 * Naming, as for every kernel here: scaleBytesWasm is the fast kernel, scaleBytesReference its
 * plain twin, which defines the bits and is the loop the dataset runs whenever the kernel returns
 * false (the kernels are off, or an array lives outside the engine memory).
 *
 * A dataset's bytes live in their own SharedArrayBuffer (read straight from the file, handed to a
 * sweep's worker threads as they are), which WebAssembly cannot read: the batch's rows are first
 * copied into a staging area in the engine memory (byteStaging), 4 bytes at a time, and the kernel
 * scales them from there. That costs one more pass over the batch's bytes (a quarter of its
 * floats' size) and no second copy of the dataset, whose resident memory stays what it was.
 *
 * A pass of its own rather than the scaling folded into the first product's packing: the input
 * is read by two products per step (forward x·Wᵀ packs it as A, backward dW = dyᵀ·x as B), by a
 * convolution's unfold instead of a product, and on the blas path by a library that packs it
 * itself; folded in, it would be scaled twice per step, or not at all. As a pass of its own it
 * halved the gather (W1: 105–110 → 58–59 CPU µs per batch; bench/NOTES.md, "The batch's uint8 →
 * float32 scaling").
 */
import { arenaInt32 } from './arena.js';
import { lazyKernels, placed } from './wasm-kernels.js';

interface DataExports {
  scaleBytes(src: number, dst: number, n: number, s: number, t: number): void;
}

const kernels = lazyKernels<DataExports>('data-kernels.wasm');

/** Whether scaleBytesWasm runs (it follows the matmul's kernel choice). */
export function dataWasmRuns(): boolean {
  return kernels() !== null;
}

/**
 * x[to + p·plane + k] = bytes[from + p·plane + k]·scale[c] − shift[c] with c = p mod
 * scale.length, for `planes` planes of `plane` elements: computed in float64 and rounded once to
 * float32 (the store into x). Float features (a dataset given as floats) take the same loop.
 */
export function scaleBytesReference(bytes: Uint8Array | Float32Array, from: number, x: Float32Array, to: number, planes: number, plane: number, scale: Float64Array, shift: Float64Array): void {
  for (let p = 0, j = 0; p < planes; p++) {
    const s = scale[p % scale.length];
    const t = shift[p % scale.length];
    for (let k = 0; k < plane; k++, j++) x[to + j] = bytes[from + j] * s - t;
  }
}

/** scaleBytesReference on the kernel: false, and nothing done, unless bytes and x both live in the engine memory and hold the planes. */
export function scaleBytesWasm(bytes: Uint8Array, from: number, x: Float32Array, to: number, planes: number, plane: number, scale: Float64Array, shift: Float64Array): boolean {
  const kernel = kernels();
  if (kernel === null) return false;
  const n = planes * plane;
  const pb = placed(bytes, from + n);
  const px = placed(x, to + n);
  if (pb < 0 || px < 0) return false;
  const channels = scale.length;
  // One call for a batch of one channel; else one per plane, each with its channel's s and t.
  if (channels === 1) kernel.scaleBytes(pb + from, px + 4 * to, n, scale[0], shift[0]);
  else for (let p = 0; p < planes; p++) kernel.scaleBytes(pb + from + p * plane, px + 4 * (to + p * plane), plane, scale[p % channels], shift[p % channels]);
  return true;
}

/** The staging area's bytes, and the same memory as 4-byte words (for copying rows 4 bytes at a time). */
export interface ByteStaging {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

let staging: ByteStaging | null = null;

/**
 * A staging area of at least `length` bytes (a multiple of 4) in the engine memory, for bytes
 * that scaleBytesWasm is to scale into `x`; null when it could not (the kernels are off, or x
 * lives outside the engine memory or holds fewer than `length` floats). One area, reused by every
 * call and replaced by a larger one when a call needs more, so a training step allocates nothing.
 */
export function byteStaging(x: Float32Array, length: number): ByteStaging | null {
  if (kernels() === null || placed(x, length) < 0) return null;
  if (staging === null || staging.bytes.length < length) {
    const words = arenaInt32(Math.ceil(length / 4));
    staging = { words, bytes: new Uint8Array(words.buffer, words.byteOffset, words.length * 4) };
  }
  return staging;
}
