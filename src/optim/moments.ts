/** Running averages shared by the Adam family: m ← β1·m + (1−β1)g, v ← β2·v + (1−β2)g². */
import { allocFloat32 } from '../kernels/arena.js';

export interface Moments {
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
}

/** Torch's names of m and v. */
export const MOMENT_NAMES = { expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' } as const;

/** Zeroed m and v, in the engine memory where the SIMD kernels can work on them (pieces.ts). */
export function initMoments(size: number): Moments {
  return { expAvg: allocFloat32(size), expAvgSq: allocFloat32(size) };
}

/** average[i] ← decay·average[i] + (1 − decay)·x; returns the stored (float32) value. */
export function updateAverage(average: Float32Array, i: number, x: number, decay: number): number {
  average[i] = decay * average[i] + (1 - decay) * x;
  return average[i];
}

/** The smallest normal float32, 2⁻¹²⁶. */
const MIN_NORMAL = 2 ** -126;

/**
 * A float32 running average as the SIMD kernels store it: flushed to 0 below the smallest
 * normal float32 (NaN kept), because arithmetic on subnormal numbers is some 3× slower on x86
 * and WebAssembly has no flush-to-zero mode (kernels/wasm/optimizer-kernels.wat says more).
 * `x` must already be a float32 value.
 */
export function flushSubnormal(x: number): number {
  return Math.abs(x) < MIN_NORMAL ? 0 : x;
}
