/** Running averages shared by the Adam family: m ← β1·m + (1−β1)g, v ← β2·v + (1−β2)g². */

export interface Moments {
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
}

export function initMoments(size: number): Moments {
  return { expAvg: new Float32Array(size), expAvgSq: new Float32Array(size) };
}

/** average[i] ← decay·average[i] + (1 − decay)·x; returns the stored (float32) value. */
export function updateAverage(average: Float32Array, i: number, x: number, decay: number): number {
  average[i] = decay * average[i] + (1 - decay) * x;
  return average[i];
}
