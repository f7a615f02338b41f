/**
 * Tensors are flat Float32Arrays plus a shape kept beside them; there is no tensor object.
 * Activations are batch-major: a batch of B samples of per-sample shape S occupies the first
 * B·size(S) elements of a buffer sized for the largest batch, so a short last batch reuses
 * the same buffer and a training step allocates nothing.
 */
/** Per-sample shape, without the batch dimension: [784], or [C, H, W] for images. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
