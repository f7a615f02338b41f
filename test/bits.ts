/**
 * Index of the first element whose bits differ, or −1 (−0 ≠ +0; NaNs compare by sign and
 * payload). With `anyNaN`, for results whose NaNs neither side specifies, any NaN matches any
 * NaN. Arrays of different lengths differ where the shorter one ends.
 */
export function firstBitDifference(x: Float32Array, y: Float32Array, { anyNaN = false } = {}): number {
  const length = Math.min(x.length, y.length);
  const bx = new Uint32Array(x.buffer, x.byteOffset, length);
  const by = new Uint32Array(y.buffer, y.byteOffset, length);
  for (let i = 0; i < length; i++) if (bx[i] !== by[i] && !(anyNaN && Number.isNaN(x[i]) && Number.isNaN(y[i]))) return i;
  return x.length === y.length ? -1 : length;
}
