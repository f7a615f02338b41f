/**
 * Conv2d (torch.nn.Conv2d), NCHW, by unfolding (im2col) into matrix products. Per group g
 * (C_g = C/groups inputs, O_g = O/groups outputs, K = C_g·kh·kw, P = Ho·Wo output positions,
 * N = B·P):
 *
 *   col[k, b·P + p] = x[b, c, oh·s − pad + i·dil, ow·s − pad + j·dil]   (0 outside), k = (c·kh + i)·kw + j
 *   y[b, o, p] = b_g[o] + Σ_k W_g[o, k]·col[k, b·P + p]      (W_g·col + b_g, written into NCHW)
 *
 * backward:  dyc = dy as [O_g, N]
 *            dW_g = dyc · colᵀ     [O_g, K]   (matmulABt; or its transpose, see gradT)
 *            db_g = Σ rows of dyc  (float64, rounded once)
 *            dcol_b = W_gᵀ · dy_b  [K, P]     per sample, each folded (col2im) into dx at once
 *
 * Why col is [K, N] and not [N, K]: its row k is the input shifted by (i, j), so unfold and
 * fold copy and add whole runs of input rows instead of going through an index map, and the
 * products' rows are NCHW planes. The products with the small W_g (y and dcol) have their own
 * kernel (batchedProduct in wasm/layer-kernels.wat: the matmul's 4×8 tile, reading and writing
 * the operands in place, so nothing is packed or copied between layouts, and dcol is made a
 * sample at a time to be folded while it is in cache); dW, a reduction over all of N, goes
 * through the matmul. Each sum has the terms and the order of the earlier [N, K] form (the
 * bias, then increasing k; dW over increasing n; dcol over increasing o; each dx element
 * over increasing output position, which is why fold visits k downwards), so the results kept
 * their bits. On W3 (configs/mnist-cnn-small.yaml, batch 64, one thread) the two conv layers
 * went from 5 070 to 3 420 µs a step, forward and backward (best of 5; the [N, K] form with
 * an index-map im2col, element transposes and every product in the matmul).
 *
 * The weight is [O, C_g, kh, kw] as torch stores it; init as torch: kaiming_uniform(a=√5),
 * i.e. W, b ~ U(±1/√(C_g·kh·kw)).
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter, type ParameterSpec } from '../layer.js';
import { arenaInt32 } from '../../kernels/arena.js';
import { batchedProductWasm, copyRunsWasm, foldWasm, rowSumsWasm, unfoldWasm, type Strided } from '../../kernels/layer-kernels.js';
import { MR, NR } from '../../kernels/gemm.js';
import { matmulABt } from '../../kernels/matmul.js';
import { type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { imageShape, outputSize, pair, sizePair, type Geometry } from './spatial.js';

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
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  const positions = g.outHeight * g.outWidth;
  const k = g.groupChannels * kh * kw;
  const groupOut = outChannels / groups;
  const inPlane = g.height * g.width;
  const sampleSize = g.channels * inPlane;
  const maxN = maxBatch * positions;
  const weights = Array.from({ length: groups }, (_, gi) => weight.value.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const weightGrads = Array.from({ length: groups }, (_, gi) => weight.grad.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const biases = Array.from({ length: groups }, (_, gi) => bias?.value.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  const biasGrads = Array.from({ length: groups }, (_, gi) => bias?.grad.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  // One col per group, kept from forward for backward.
  const cols = Array.from({ length: groups }, () => allocFloat32(k * maxN));
  /** The weights of a group packed for the batched products (see pack): W_g, and W_gᵀ for dcol. */
  const packed = allocFloat32(Math.ceil(groupOut / 4) * 4 * k);
  const packedT = allocFloat32(Math.ceil(k / 4) * 4 * groupOut);
  /** The bias of the products without one: forward's when the layer has no bias (O_g long), dcol's (K long). */
  const zeros = allocFloat32(Math.max(k, groupOut));
  /** dy of one group as [O_g, N], for dW and db. */
  const dyc = allocFloat32(groupOut * maxN);
  /** dcol of one sample, [K, P]: made and folded into dx sample by sample, so it stays in cache. */
  const dcol = allocFloat32(k * positions);
  // The operands of the batched products (see multiply), repointed at each use.
  const into: Strided = { array: dcol, at: 0, row: 0, sample: 0 };
  const from: Strided = { array: dcol, at: 0, row: 0, sample: 0 };
  // dW is computed as dWᵀ = col · dycᵀ, then transposed, when that leaves fewer of the matmul's
  // MR×NR tiles part empty: W3's first conv (O 8, K 9) takes 3 tiles instead of 4 (≈ 590 →
  // 420 µs a step, measured); the reduction over N is the same either way.
  const tiles = (m: number, n: number): number => Math.ceil(m / MR) * Math.ceil(n / NR);
  const gradT = tiles(k, groupOut) < tiles(groupOut, k) ? allocFloat32(k * groupOut) : null;
  const geometry = unfoldGeometry(g);

  // Each loop below first tries its WebAssembly twin (kernels/layer-kernels.ts), which
  // does the same copies and sums in the same order; the loop is the reference and fallback.

  /** col for the batch, from the group's channels of x (see the header). */
  function unfold(x: Float32Array, group: number, batch: number): void {
    const col = cols[group];
    const xAt = group * g.groupChannels * inPlane;
    if (unfoldWasm(col, x, xAt, geometry, batch)) return;
    let at = 0;
    for (let c = 0; c < g.groupChannels; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let b = 0; b < batch; b++) {
            for (let oh = 0; oh < g.outHeight; oh++) {
              const ih = oh * sh - ph + i * dh;
              const row = xAt + b * sampleSize + (c * g.height + ih) * g.width;
              for (let ow = 0; ow < g.outWidth; ow++, at++) {
                const iw = ow * sw - pw + j * dw;
                col[at] = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width ? x[row + iw] : 0;
              }
            }
          }
        }
      }
    }
  }

  /** Adds dcol (one sample's) back into the group's channels of sample s of dx: the transpose of unfold, k downwards. */
  function fold(dx: Float32Array, group: number, s: number): void {
    const xAt = s * sampleSize + group * g.groupChannels * inPlane;
    if (foldWasm(dx, xAt, dcol, geometry, 1)) return;
    for (let c = g.groupChannels - 1; c >= 0; c--) {
      for (let i = kh - 1; i >= 0; i--) {
        for (let j = kw - 1; j >= 0; j--) {
          const from = ((c * kh + i) * kw + j) * positions;
          for (let oh = 0; oh < g.outHeight; oh++) {
            const ih = oh * sh - ph + i * dh;
            if (ih < 0 || ih >= g.height) continue;
            const row = xAt + (c * g.height + ih) * g.width;
            for (let ow = 0; ow < g.outWidth; ow++) {
              const iw = ow * sw - pw + j * dw;
              if (iw >= 0 && iw < g.width) dx[row + iw] += dcol[from + oh * g.outWidth + ow];
            }
          }
        }
      }
    }
  }

  /**
   * into[b, o, p] ← bias[o] + Σ_t w[o, t]·from[b, t, p] for o < outs, t < kk (float32, in
   * increasing t, as the matmul sums), w [outs, kk] given packed (see pack).
   */
  function multiply(w: Float32Array, biasOf: Float32Array, outs: number, kk: number, batch: number): void {
    if (batchedProductWasm(into, from, w, biasOf, outs, kk, positions, batch)) return;
    const y = into.array;
    const x = from.array;
    for (let s = 0; s < batch; s++) {
      for (let o = 0; o < outs; o++) {
        const out = into.at + s * into.sample + o * into.row;
        const panel = (o >> 2) * kk * 4 + (o & 3);
        for (let p = 0; p < positions; p++) {
          let sum = biasOf[o];
          for (let t = 0; t < kk; t++) sum = Math.fround(sum + Math.fround(w[panel + t * 4] * x[from.at + s * from.sample + t * from.row + p]));
          y[out + p] = sum;
        }
      }
    }
  }

  /** dyc ← the group's channels of dy, as [O_g, N]. */
  function gatherChannels(dy: Float32Array, group: number, batch: number): void {
    const n = batch * positions;
    for (let o = 0; o < groupOut; o++) {
      const channel = (group * groupOut + o) * positions;
      if (copyRunsWasm(dyc, o * n, positions, dy, channel, outChannels * positions, positions, batch)) continue;
      for (let s = 0; s < batch; s++) for (let p = 0; p < positions; p++) dyc[o * n + s * positions + p] = dy[channel + s * outChannels * positions + p];
    }
  }

  return {
    forward(x, y, batch) {
      for (let group = 0; group < groups; group++) {
        unfold(x, group, batch);
        // y's channels of the group ← W_g·col + b_g, sample by sample
        pack(packed, weights[group], groupOut, k, false);
        point(into, y, group * groupOut * positions, positions, outChannels * positions);
        point(from, cols[group], 0, batch * positions, positions);
        multiply(packed, biases[group] ?? zeros, groupOut, k, batch);
      }
    },
    backward(_x, _y, dy, dx, batch) {
      const n = batch * positions;
      if (dx !== null) dx.fill(0, 0, batch * sampleSize);
      for (let group = 0; group < groups; group++) {
        gatherChannels(dy, group, batch);
        const weightGrad = weightGrads[group];
        if (gradT === null) matmulABt(weightGrad, dyc, cols[group], groupOut, n, k, null);
        else {
          matmulABt(gradT, cols[group], dyc, k, n, groupOut, null);
          for (let o = 0; o < groupOut; o++) for (let t = 0; t < k; t++) weightGrad[o * k + t] = gradT[t * groupOut + o];
        }
        const biasGrad = biasGrads[group];
        if (biasGrad !== null && !rowSumsWasm(biasGrad, dyc, groupOut, n)) {
          for (let o = 0; o < groupOut; o++) {
            let sum = 0;
            for (let r = o * n; r < (o + 1) * n; r++) sum += dyc[r];
            biasGrad[o] = sum;
          }
        }
        if (dx === null) continue;
        // dcol = W_gᵀ · dy, a sample at a time (from dy's NCHW channels), each folded at once
        pack(packedT, weights[group], k, groupOut, true);
        point(into, dcol, 0, positions, 0);
        for (let s = 0; s < batch; s++) {
          point(from, dy, (s * outChannels + group * groupOut) * positions, positions, 0);
          multiply(packedT, zeros, k, groupOut, 1);
          fold(dx, group, s);
        }
      }
    },
  };
}

/** Repoints a product operand (no allocation: the training step runs this). */
function point(operand: Strided, array: Float32Array, at: number, row: number, sample: number): void {
  operand.array = array;
  operand.at = at;
  operand.row = row;
  operand.sample = sample;
}

/**
 * w [rows, cols] (or, `transposed`, stored as [cols, rows]) into the batched product's panels
 * of four rows: dst[(r/4)·cols·4 + c·4 + r%4] = w[r, c]. The panel tail past `rows` is unused.
 */
function pack(dst: Float32Array, w: Float32Array, rows: number, cols: number, transposed: boolean): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) dst[(r >> 2) * cols * 4 + c * 4 + (r & 3)] = transposed ? w[c * rows + r] : w[r * cols + c];
  }
}

/**
 * The layer as the unfold and fold kernels read it (wasm/layer-kernels.wat "unfold"): the
 * sizes, then for each kernel column j the output columns [lo, hi) whose input column
 * iw = ow·sw − pw + j·dw lies inside the image, and iw at ow = lo.
 */
function unfoldGeometry(g: Geometry): Int32Array {
  const geometry = arenaInt32(12 + 3 * g.kernel[1]);
  geometry.set([g.groupChannels, g.height, g.width, ...g.kernel, ...g.stride, g.padding[0], g.dilation[0], g.outHeight, g.outWidth, g.channels * g.height * g.width]);
  for (let j = 0; j < g.kernel[1]; j++) {
    const first = j * g.dilation[1] - g.padding[1];
    const lo = Math.min(g.outWidth, Math.max(0, Math.ceil(-first / g.stride[1])));
    const hi = Math.max(lo, Math.min(g.outWidth, Math.floor((g.width - 1 - first) / g.stride[1]) + 1));
    geometry.set([lo, hi, first + lo * g.stride[1]], 12 + 3 * j);
  }
  return geometry;
}
