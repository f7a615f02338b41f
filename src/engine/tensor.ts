/**
 * Tensors are flat Float32Arrays plus a shape kept beside them; there is no tensor object.
 * Activations are batch-major: a batch of B samples of per-sample shape S occupies the first
 * B·size(S) elements of a buffer sized for the largest batch, so a short last batch reuses
 * the same buffer and a training step allocates nothing.
 */
import { arenaFloat32 } from './kernels/arena.js';

/** Per-sample shape, without the batch dimension: [784], or [C, H, W] for images. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The one place engine buffers are allocated: a zeroed Float32Array in the engine memory
 * (kernels/arena.ts), where the WebAssembly kernels read and write it in place. Its memory
 * is recycled once the returned array is garbage-collected, so keep the returned array
 * itself reachable while any subarray of it is in use.
 */
export function allocFloat32(length: number): Float32Array {
  return arenaFloat32(length); // an AllocationError when it cannot
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
