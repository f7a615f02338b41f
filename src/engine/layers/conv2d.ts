/**
 * Conv2d (torch.nn.Conv2d), NCHW, by im2col into the engine's matmul, so convolution gets
 * every speed-up the matmul gets. Per group g (C_g = C/groups inputs, O_g = O/groups outputs,
 * K = C_g·kh·kw, P = Ho·Wo output positions):
 *
 *   col[b·P + p, k]  = x[b, c, oh·s − pad + i·dil, ow·s − pad + j·dil]   (0 outside), k = (c·kh + i)·kw + j
 *   yt = col · W_gᵀ + b_g          [B·P, O_g]   (matmulABt with the bias fused)
 *   y[b, o, p] = yt[b·P + p, o]    (back to NCHW)
 *
 * backward:  dyt = dy in the yt layout
 *            dW_g = dytᵀ · col    [O_g, K]      (matmulAtB)
 *            db_g = Σ rows of dyt
 *            dcol = dyt · W_g      [B·P, K]      (matmulAB), then col2im adds it back into dx
 *
 * One product per group over the whole batch (not one per sample) keeps the matrices large.
 * The weight is [O, C_g, kh, kw] as torch stores it; init as torch: kaiming_uniform(a=√5),
 * i.e. W, b ~ U(±1/√(C_g·kh·kw)).
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter, type ParameterSpec } from '../layer.js';
import { matmulAB, matmulABt, matmulAtB } from '../kernels/matmul.js';
import { allocFloat32, type Shape } from '../tensor.js';
import { imageShape, outputSize, pair, sizePair } from './spatial.js';

export const conv2dOptions = z.strictObject({
  out_channels: z.int().positive(),
  kernel_size: sizePair(1),
  stride: sizePair(1).default(1),
  padding: sizePair(0).default(0),
  dilation: sizePair(1).default(1),
  groups: z.int().positive().default(1),
  bias: z.boolean().default(true),
});
export type Conv2dOptions = z.output<typeof conv2dOptions>;

export interface Geometry {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly outHeight: number;
  readonly outWidth: number;
  /** Input channels per group. */
  readonly groupChannels: number;
}

export function planConv2d(options: Conv2dOptions, inShape: Shape): LayerPlan {
  const [channels, height, width] = imageShape(inShape, 'conv2d');
  const { out_channels: outChannels, groups } = options;
  if (channels % groups !== 0 || outChannels % groups !== 0) {
    throw new ShapeMismatch(`conv2d: groups = ${groups} must divide both the ${channels} input and the ${outChannels} output channels`);
  }
  const kernel = pair(options.kernel_size);
  const stride = pair(options.stride);
  const padding = pair(options.padding);
  const dilation = pair(options.dilation);
  const [outHeight, outWidth] = outputSize('conv2d', [height, width], kernel, stride, padding, dilation);
  const geometry: Geometry = { channels, height, width, kernel, stride, padding, dilation, outHeight, outWidth, groupChannels: channels / groups };
  const fanIn = geometry.groupChannels * kernel[0] * kernel[1];
  const bound = 1 / Math.sqrt(fanIn);
  const parameters: ParameterSpec[] = [{ name: 'weight', shape: [outChannels, geometry.groupChannels, kernel[0], kernel[1]], init: { kind: 'uniform', bound } }];
  if (options.bias) parameters.push({ name: 'bias', shape: [outChannels], init: { kind: 'uniform', bound } });
  return {
    outShape: [outChannels, outHeight, outWidth],
    parameters,
    build: ([weight, bias], { maxBatch }) => buildConv2d(geometry, outChannels, groups, weight, bias, maxBatch),
  };
}

function buildConv2d(g: Geometry, outChannels: number, groups: number, weight: Parameter, bias: Parameter | undefined, maxBatch: number): Layer {
  const positions = g.outHeight * g.outWidth;
  const k = g.groupChannels * g.kernel[0] * g.kernel[1];
  const groupOut = outChannels / groups;
  const rows = maxBatch * positions;
  // One column buffer per group, kept from forward for backward; the views are made once here.
  const col = allocFloat32(groups * rows * k);
  const cols = Array.from({ length: groups }, (_, gi) => col.subarray(gi * rows * k, (gi + 1) * rows * k));
  const yt = allocFloat32(rows * groupOut);
  const dcol = allocFloat32(rows * k);
  const weights = Array.from({ length: groups }, (_, gi) => weight.value.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const weightGrads = Array.from({ length: groups }, (_, gi) => weight.grad.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const biases = Array.from({ length: groups }, (_, gi) => bias?.value.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  const biasGrads = Array.from({ length: groups }, (_, gi) => bias?.grad.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  const inPlane = g.height * g.width;
  const sampleSize = g.channels * inPlane;
  const sources = patchSources(g);

  /** Fills cols[group] for the batch (see the header for the layout). */
  function im2col(x: Float32Array, group: number, batch: number): void {
    const c = cols[group];
    let at = 0;
    for (let b = 0; b < batch; b++) {
      const base = b * sampleSize + group * g.groupChannels * inPlane;
      for (let t = 0; t < sources.length; t++, at++) c[at] = sources[t] < 0 ? 0 : x[base + sources[t]];
    }
  }

  /** Adds dcol back into dx for one group: the transpose of im2col. */
  function col2im(dx: Float32Array, group: number, batch: number): void {
    let at = 0;
    for (let b = 0; b < batch; b++) {
      const base = b * sampleSize + group * g.groupChannels * inPlane;
      for (let t = 0; t < sources.length; t++, at++) if (sources[t] >= 0) dx[base + sources[t]] += dcol[at];
    }
  }

  return {
    forward(x, y, batch) {
      for (let group = 0; group < groups; group++) {
        im2col(x, group, batch);
        matmulABt(yt, cols[group], weights[group], batch * positions, k, groupOut, biases[group]);
        for (let b = 0; b < batch; b++) {
          for (let o = 0; o < groupOut; o++) {
            const out = (b * outChannels + group * groupOut + o) * positions;
            for (let p = 0; p < positions; p++) y[out + p] = yt[(b * positions + p) * groupOut + o];
          }
        }
      }
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx !== null) dx.fill(0, 0, batch * g.channels * inPlane);
      for (let group = 0; group < groups; group++) {
        for (let b = 0; b < batch; b++) {
          for (let o = 0; o < groupOut; o++) {
            const out = (b * outChannels + group * groupOut + o) * positions;
            for (let p = 0; p < positions; p++) yt[(b * positions + p) * groupOut + o] = dy[out + p];
          }
        }
        matmulAtB(weightGrads[group], yt, cols[group], groupOut, batch * positions, k);
        const biasGrad = biasGrads[group];
        if (biasGrad !== null) {
          for (let o = 0; o < groupOut; o++) {
            let sum = 0;
            for (let r = 0; r < batch * positions; r++) sum += yt[r * groupOut + o];
            biasGrad[o] = sum;
          }
        }
        if (dx !== null) {
          matmulAB(dcol, yt, weights[group], batch * positions, groupOut, k);
          col2im(dx, group, batch);
        }
      }
    },
  };
}

/**
 * For one sample and one group: the input offset (channel-plane relative to the group's first
 * channel) that each col entry reads, in col order, or −1 where the patch covers padding.
 * Computed once, so im2col and col2im are plain gathers and scatters.
 */
export function patchSources(g: Geometry): Int32Array {
  const [kh, kw] = g.kernel;
  const sources = new Int32Array(g.outHeight * g.outWidth * g.groupChannels * kh * kw);
  let at = 0;
  for (let oh = 0; oh < g.outHeight; oh++) {
    for (let ow = 0; ow < g.outWidth; ow++) {
      for (let c = 0; c < g.groupChannels; c++) {
        for (let i = 0; i < kh; i++) {
          const ih = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
          for (let j = 0; j < kw; j++) {
            const iw = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
            sources[at++] = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width ? (c * g.height + ih) * g.width + iw : -1;
          }
        }
      }
    }
  }
  return sources;
}
