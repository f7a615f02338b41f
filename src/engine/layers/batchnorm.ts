/**
 * BatchNorm1d and BatchNorm2d (torch.nn), one mean and variance per channel c over the batch
 * and the spatial positions (N = B·H·W values; BatchNorm1d takes [C] or [C, L]):
 *
 *   training:  μ = mean(x), σ² = mean((x − μ)²)  (biased),  x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
 *              running_mean ← (1 − m)·running_mean + m·μ
 *              running_var  ← (1 − m)·running_var  + m·σ²·N/(N − 1)  (unbiased), num_batches_tracked += 1
 *              (momentum: null gives the cumulative average, m = 1/num_batches_tracked, and so does
 *              the 'update_bn' mode, whatever the momentum: swa_utils.update_bn sets it to None)
 *   evaluation: the same with running_mean and running_var (batch statistics when
 *              track_running_stats is false)
 *
 * backward (training): dγ = Σ dy·x̂,  dβ = Σ dy,
 *                      dx = γ/√(σ² + ε) · (dy − mean(dy) − x̂·mean(dy·x̂))
 * backward (evaluation statistics): dx = γ/√(var + ε) · dy
 */
import { z } from 'zod';
import { ShapeMismatch, type BufferSpec, type Layer, type LayerPlan, type Mode, type ModelBuffer, type Parameter, type ParameterSpec } from '../layer.js';
import { formatShape, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';

export const batchNormOptions = z.strictObject({
  eps: z.number().gt(0).default(1e-5),
  momentum: z.number().min(0).max(1).nullable().default(0.1),
  affine: z.boolean().default(true),
  track_running_stats: z.boolean().default(true),
});
type BatchNormOptions = z.output<typeof batchNormOptions>;

export function planBatchNorm(layer: 'batchnorm1d' | 'batchnorm2d', o: BatchNormOptions, inShape: Shape): LayerPlan {
  const ranks = layer === 'batchnorm1d' ? [1, 2] : [3];
  if (!ranks.includes(inShape.length)) {
    const wanted = layer === 'batchnorm1d' ? '[features] or [channels, length]' : '[channels, height, width]';
    throw new ShapeMismatch(`${layer} needs ${wanted} input, got ${formatShape(inShape)}`);
  }
  const channels = inShape[0];
  const spatial = inShape.slice(1).reduce((a, b) => a * b, 1);
  const parameters: ParameterSpec[] = o.affine
    ? [
        { name: 'weight', shape: [channels], init: { kind: 'constant', value: 1 } },
        { name: 'bias', shape: [channels], init: { kind: 'constant', value: 0 } },
      ]
    : [];
  const buffers: BufferSpec[] = o.track_running_stats
    ? [
        { name: 'running_mean', shape: [channels], dtype: 'F32', fill: 0 },
        { name: 'running_var', shape: [channels], dtype: 'F32', fill: 1 },
        { name: 'num_batches_tracked', shape: [], dtype: 'I64', fill: 0 },
      ]
    : [];
  return {
    outShape: inShape,
    parameters,
    buffers,
    build: (params, _context, state) => buildBatchNorm(o, channels, spatial, params, state),
  };
}

function buildBatchNorm(o: BatchNormOptions, channels: number, spatial: number, [weight, bias]: readonly Parameter[], state: readonly ModelBuffer[]): Layer {
  const [runningMean, runningVar, tracked] = state;
  const mean = allocFloat32(channels);
  const invStd = allocFloat32(channels);
  let statsFromBatch = true;
  const gamma = (c: number): number => (weight === undefined ? 1 : weight.value[c]);

  /** Visits the values of channel c: index of sample b's position s is (b·C + c)·S + s. */
  const offset = (b: number, c: number): number => (b * channels + c) * spatial;

  /** running_mean and running_var ← their moving averages with momentum m (see the header). */
  const updateRunning = (c: number, mu: number, variance: number, n: number, cumulative: boolean): void => {
    const m = cumulative || o.momentum === null ? 1 / tracked.value[0] : o.momentum;
    runningMean.value[c] = (1 - m) * runningMean.value[c] + m * mu;
    runningVar.value[c] = (1 - m) * runningVar.value[c] + (m * variance * n) / (n - 1);
  };

  return {
    forward(x, y, batch, mode: Mode) {
      statsFromBatch = mode !== 'eval' || !o.track_running_stats;
      const tracking = mode !== 'eval' && o.track_running_stats;
      const n = batch * spatial;
      if (statsFromBatch && n === 1) throw new RangeError('batch norm needs more than one value per channel to use batch statistics');
      if (tracking) tracked.value[0] += 1;
      for (let c = 0; c < channels; c++) {
        const mu = statsFromBatch ? channelSum(x, offset, c, batch, spatial) / n : runningMean.value[c];
        const variance = statsFromBatch ? squaredDeviations(x, mu, offset, c, batch, spatial) / n : runningVar.value[c];
        if (tracking) updateRunning(c, mu, variance, n, mode === 'update_bn');
        mean[c] = mu;
        invStd[c] = 1 / Math.sqrt(variance + o.eps);
        const scale = gamma(c) * invStd[c];
        const shift = bias === undefined ? 0 : bias.value[c];
        for (let b = 0; b < batch; b++) for (let s = offset(b, c), e = s + spatial; s < e; s++) y[s] = (x[s] - mu) * scale + shift;
      }
    },
    backward(x, _y, dy, dx, batch) {
      const n = batch * spatial;
      for (let c = 0; c < channels; c++) {
        let sumDy = 0;
        let sumDyXhat = 0;
        for (let b = 0; b < batch; b++) {
          for (let s = offset(b, c), e = s + spatial; s < e; s++) {
            sumDy += dy[s];
            sumDyXhat += dy[s] * (x[s] - mean[c]) * invStd[c];
          }
        }
        if (weight !== undefined) weight.grad[c] = sumDyXhat;
        if (bias !== undefined) bias.grad[c] = sumDy;
        if (dx === null) continue;
        const scale = gamma(c) * invStd[c];
        for (let b = 0; b < batch; b++) {
          for (let s = offset(b, c), e = s + spatial; s < e; s++) {
            dx[s] = statsFromBatch ? scale * (dy[s] - sumDy / n - (x[s] - mean[c]) * invStd[c] * (sumDyXhat / n)) : scale * dy[s];
          }
        }
      }
    },
  };
}

/** Σ x over channel c of the batch, in float64, sample after sample. */
function channelSum(x: Float32Array, offset: (b: number, c: number) => number, c: number, batch: number, spatial: number): number {
  let sum = 0;
  for (let b = 0; b < batch; b++) for (let s = offset(b, c), e = s + spatial; s < e; s++) sum += x[s];
  return sum;
}

/** Σ (x − mu)² over channel c of the batch, in float64, sample after sample. */
function squaredDeviations(x: Float32Array, mu: number, offset: (b: number, c: number) => number, c: number, batch: number, spatial: number): number {
  let squares = 0;
  for (let b = 0; b < batch; b++) for (let s = offset(b, c), e = s + spatial; s < e; s++) squares += (x[s] - mu) * (x[s] - mu);
  return squares;
}
