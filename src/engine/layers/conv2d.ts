/**
 * Conv2d (torch.nn.Conv2d), NCHW, by unfolding (im2col.ts) into matrix products. Per group g
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
 * their bits (bench/NOTES.md has what this layout bought).
 *
 * The direct 3×3 convolution (one input channel per group, stride 1, dilation 1; see
 * directOf) makes no col at all. Col's nine rows would be shifted copies of the input, so
 * forward runs the batched product straight over a zero-padded copy of the input (each output
 * row a line, the terms (i, j) its padded rows oh..oh+2 shifted by 0..2), and dW sums dy times
 * the shifted input directly (convWeightGrad3x3 in wasm/layer-kernels.wat) instead of
 * unfolding, packing and multiplying in the matmul. Every sum keeps the terms (the padding's
 * zeros included) and the order of the unfolded form, so the bits are the same; dx (dcol, then
 * fold) and db are as above. The choice is the shape's alone, hence the same on every kernel
 * path.
 *
 * On the blas path (kernels/choice.ts) the batched products large enough for the library go to
 * its sgemm instead, a sample at a time on the same operands in place (batchedProductBlas), as
 * dW goes there through the matmul: W3's second conv and its 32/64-channel twin spent their
 * forward and dcol there in WebAssembly before (bench/NOTES.md, "conv2d on the blas path").
 *
 * The weight is [O, C_g, kh, kw] as torch stores it; init as torch: kaiming_uniform(a=√5),
 * i.e. W, b ~ U(±1/√(C_g·kh·kw)).
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter, type ParameterSpec } from '../layer.js';
import { batchedProductBlas, batchedProductWasm, convWeightGrad3x3Wasm, copyRunsWasm, rowSumsWasm, type Strided, type Terms } from '../../kernels/layer-kernels.js';
import { MR, NR } from '../../kernels/gemm.js';
import { matmulABt } from '../../kernels/matmul.js';
import { type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { batchedProductReference, roundedMultiplyAdd } from '../../kernels/batched-product-reference.js';
import { fold, unfold, unfoldGeometry } from './im2col.js';
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

/**
 * One conv layer as its forward and backward use it: the sizes of the per-group products
 * (see the header), the groups' views of the parameters, and the scratch allocated once at
 * build, so that no function below allocates.
 */
interface Conv {
  readonly g: Geometry;
  readonly outChannels: number;
  /** O_g, K and P of the header. */
  readonly groupOut: number;
  readonly k: number;
  readonly positions: number;
  /** One sample's input, C·H·W, and the part of it one group reads, C_g·H·W. */
  readonly sampleSize: number;
  readonly groupInputs: number;
  /** W_g, dW_g, b_g and db_g of each group g (the bias ones null without a bias). */
  readonly weights: readonly Float32Array[];
  readonly weightGrads: readonly Float32Array[];
  readonly biases: readonly (Float32Array | null)[];
  readonly biasGrads: readonly (Float32Array | null)[];
  /** One col per group, kept from forward for backward (none for a direct conv). */
  readonly cols: readonly Float32Array[];
  /** What the direct 3×3 convolution needs (see directOf), else null. */
  readonly direct: Direct | null;
  /** The weights of a group packed for the batched products (see pack): W_g, and W_gᵀ for dcol. */
  readonly packed: Float32Array;
  readonly packedT: Float32Array;
  /** The bias of the products without one: forward's when the layer has no bias (O_g long), dcol's (K long). */
  readonly zeros: Float32Array;
  /** dy of one group as [O_g, N], for dW (but a direct conv's) and db. */
  readonly dyc: Float32Array;
  /** dcol of one sample, [K, P]: made and folded into dx sample by sample, so it stays in cache. */
  readonly dcol: Float32Array;
  /** Scratch for dWᵀ when dW is computed transposed (see allocateConv), else null. */
  readonly gradT: Float32Array | null;
  /** The layer as the unfold and fold kernels read it (see unfoldGeometry). */
  readonly geometry: Int32Array;
  /** The operands of the batched products (see multiply), repointed at each use. */
  readonly into: Strided;
  readonly from: Strided;
  /** The terms of the products with col (its row, the step, follows the batch) and with dy (for dcol). */
  readonly colTerms: Terms;
  readonly dyTerms: Terms;
}

/** The direct 3×3 convolution's input: per group, maxBatch zero-padded samples of `plane` floats in rows of `row`. */
interface Direct {
  /** Written inside the border only, so the border stays 0; one float of room at the end (convWeightGrad3x3Wasm). */
  readonly padded: readonly Float32Array[];
  readonly row: number;
  readonly plane: number;
  /** The product's terms in a padded sample: 3 × 3. */
  readonly terms: Terms;
}

/**
 * Whether the conv runs directly (see the header): 3×3, stride 1, dilation 1 and one input
 * channel per group. Measured (bench/NOTES.md, "conv2d's direct 3×3 convolution"): W3's first
 * layer (1 → 8) about 10 % faster and without its col; 1 → 16 and 1 → 32 as fast as unfolded,
 * without col. With more input channels the direct forward was faster but the direct dW 40–50 %
 * slower than the matmul's, so those convs unfold.
 */
function directOf(g: Geometry): boolean {
  return g.groupChannels === 1 && [...g.kernel, ...g.stride, ...g.dilation].join() === '3,3,1,1,1,1';
}

function buildConv2d(g: Geometry, outChannels: number, groups: number, weight: Parameter, bias: Parameter | undefined, maxBatch: number): Layer {
  const conv = allocateConv(g, outChannels, groups, weight, bias, maxBatch);
  return {
    forward(x, y, batch) {
      for (let group = 0; group < groups; group++) {
        if (conv.direct === null) groupForward(conv, x, y, group, batch);
        else directForward(conv, conv.direct, x, y, group, batch);
      }
    },
    backward(_x, _y, dy, dx, batch) {
      if (dx !== null) dx.fill(0, 0, batch * conv.sampleSize);
      for (let group = 0; group < groups; group++) {
        // A direct conv reads dy in place for dW; only db still needs it gathered.
        if (conv.direct === null || conv.biasGrads[group] !== null) gatherChannels(conv, dy, group, batch);
        if (conv.direct === null) weightGradient(conv, group, batch);
        else directWeightGradient(conv, conv.direct, dy, group, batch);
        biasGradient(conv, group, batch);
        if (dx !== null) inputGradient(conv, dy, dx, group, batch);
      }
    },
  };
}

function allocateConv(g: Geometry, outChannels: number, groups: number, weight: Parameter, bias: Parameter | undefined, maxBatch: number): Conv {
  const positions = g.outHeight * g.outWidth;
  const k = g.groupChannels * g.kernel[0] * g.kernel[1];
  const groupOut = outChannels / groups;
  const sampleSize = g.channels * g.height * g.width;
  const groupInputs = g.groupChannels * g.height * g.width;
  const maxN = maxBatch * positions;
  const perGroup = <T>(view: (group: number) => T): T[] => Array.from({ length: groups }, (_, group) => view(group));
  const weights = perGroup((gi) => weight.value.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const weightGrads = perGroup((gi) => weight.grad.subarray(gi * groupOut * k, (gi + 1) * groupOut * k));
  const biases = perGroup((gi) => bias?.value.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  const biasGrads = perGroup((gi) => bias?.grad.subarray(gi * groupOut, (gi + 1) * groupOut) ?? null);
  const row = g.width + 2 * g.padding[1];
  const plane = (g.height + 2 * g.padding[0]) * row;
  const direct = directOf(g) ? { padded: perGroup(() => allocFloat32(maxBatch * plane + 1)), row, plane, terms: { rows: 3, perRow: 3, step: 1 } } : null;
  const cols = direct === null ? perGroup(() => allocFloat32(k * maxN)) : [];
  const packed = allocFloat32(Math.ceil(groupOut / 4) * 4 * k);
  const packedT = allocFloat32(Math.ceil(k / 4) * 4 * groupOut);
  const zeros = allocFloat32(Math.max(k, groupOut));
  const dyc = allocFloat32(groupOut * maxN);
  const dcol = allocFloat32(k * positions);
  // dW is computed as dWᵀ = col · dycᵀ, then transposed, when that leaves fewer of the matmul's
  // MR×NR tiles part empty (O 8 and K 9 take 3 tiles instead of 4); the reduction over N is the
  // same either way.
  const tiles = (m: number, n: number): number => Math.ceil(m / MR) * Math.ceil(n / NR);
  const gradT = direct === null && tiles(k, groupOut) < tiles(groupOut, k) ? allocFloat32(k * groupOut) : null;
  const geometry = unfoldGeometry(g);
  const into: Strided = { array: dcol, at: 0, row: 0, sample: 0, line: 0 };
  const from: Strided = { array: dcol, at: 0, row: 0, sample: 0, line: 0 };
  const colTerms: Terms = { rows: 1, perRow: k, step: 0 };
  const dyTerms: Terms = { rows: 1, perRow: groupOut, step: positions };
  return { g, outChannels, groupOut, k, positions, sampleSize, groupInputs, weights, weightGrads, biases, biasGrads, cols, direct, packed, packedT, zeros, dyc, dcol, gradT, geometry, into, from, colTerms, dyTerms };
}

// Each loop below first tries its WebAssembly twin (kernels/layer-kernels.ts), which does the
// same copies and sums in the same order; the loop is the reference and fallback. So do
// unfold and fold (im2col.ts).

/** y's channels of the group ← W_g·col + b_g, sample by sample. */
function groupForward(conv: Conv, x: Float32Array, y: Float32Array, group: number, batch: number): void {
  const { groupOut, k, positions } = conv;
  unfold(conv.cols[group], x, group * conv.groupInputs, conv.g, conv.geometry, batch);
  pack(conv.packed, conv.weights[group], groupOut, k, false);
  point(conv.into, y, group * groupOut * positions, positions, conv.outChannels * positions, 0);
  point(conv.from, conv.cols[group], 0, batch * positions, positions, 0);
  conv.colTerms.step = batch * positions;
  multiply(conv, conv.weights[group], false, conv.packed, conv.biases[group], groupOut, conv.colTerms, batch);
}

/** groupForward for a direct conv: pad the group's input channel, then one product over the output rows. */
function directForward(conv: Conv, direct: Direct, x: Float32Array, y: Float32Array, group: number, batch: number): void {
  const { g, groupOut, positions } = conv;
  const padded = direct.padded[group];
  const inside = g.padding[0] * direct.row + g.padding[1];
  for (let s = 0; s < batch; s++) {
    const from = s * conv.sampleSize + group * conv.groupInputs;
    if (copyRunsWasm(padded, s * direct.plane + inside, direct.row, x, from, g.width, g.width, g.height)) continue;
    // Element by element: a subarray per row would allocate on every step.
    for (let h = 0; h < g.height; h++) {
      const src = from + h * g.width;
      const dst = s * direct.plane + inside + h * direct.row;
      for (let w = 0; w < g.width; w++) padded[dst + w] = x[src + w];
    }
  }
  pack(conv.packed, conv.weights[group], groupOut, 9, false);
  point(conv.into, y, group * groupOut * positions, positions, conv.outChannels * positions, g.outWidth);
  point(conv.from, padded, 0, direct.row, direct.plane, direct.row);
  product(conv, conv.packed, conv.biases[group] ?? conv.zeros, groupOut, direct.terms, g.outWidth, g.outHeight, batch);
}

/** dW_g = dyc · colᵀ (or, with gradT, dW_gᵀ = col · dycᵀ transposed back). */
function weightGradient(conv: Conv, group: number, batch: number): void {
  const { groupOut, k, dyc, gradT } = conv;
  const n = batch * conv.positions;
  const weightGrad = conv.weightGrads[group];
  if (gradT === null) {
    matmulABt(weightGrad, dyc, conv.cols[group], groupOut, n, k, null);
    return;
  }
  matmulABt(gradT, conv.cols[group], dyc, k, n, groupOut, null);
  for (let o = 0; o < groupOut; o++) for (let t = 0; t < k; t++) weightGrad[o * k + t] = gradT[t * groupOut + o];
}

/** weightGradient for a direct conv: dW_g[o, i·3 + j] = Σ_n dy[o, n]·(the padded input shifted by (i, j))[n], from +0 in increasing n. */
function directWeightGradient(conv: Conv, direct: Direct, dy: Float32Array, group: number, batch: number): void {
  const { g, groupOut, positions } = conv;
  const grad = conv.weightGrads[group];
  const padded = direct.padded[group];
  const dyAt = group * groupOut * positions;
  const dySample = conv.outChannels * positions;
  if (convWeightGrad3x3Wasm(grad, dy, dyAt, dySample, padded, direct.plane, direct.row, groupOut, g.outHeight, g.outWidth, batch)) return;
  for (let o = 0; o < groupOut; o++) {
    for (let t = 0; t < 9; t++) {
      const shift = Math.floor(t / 3) * direct.row + (t % 3);
      let sum = 0;
      for (let s = 0; s < batch; s++) {
        for (let p = 0; p < positions; p++) {
          const at = s * direct.plane + Math.floor(p / g.outWidth) * direct.row + (p % g.outWidth) + shift;
          sum = Math.fround(sum + Math.fround(dy[dyAt + s * dySample + o * positions + p] * padded[at]));
        }
      }
      grad[o * 9 + t] = sum;
    }
  }
}

/** db_g = the row sums of dyc, each in float64 and rounded once. */
function biasGradient(conv: Conv, group: number, batch: number): void {
  const biasGrad = conv.biasGrads[group];
  const n = batch * conv.positions;
  if (biasGrad === null || rowSumsWasm(biasGrad, conv.dyc, conv.groupOut, n)) return;
  for (let o = 0; o < conv.groupOut; o++) {
    let sum = 0;
    for (let r = o * n; r < (o + 1) * n; r++) sum += conv.dyc[r];
    biasGrad[o] = sum;
  }
}

/** dx (zeroed by the caller) += the fold of dcol = W_gᵀ · dy, a sample at a time (from dy's NCHW channels), each folded at once. */
function inputGradient(conv: Conv, dy: Float32Array, dx: Float32Array, group: number, batch: number): void {
  const { groupOut, k, positions } = conv;
  pack(conv.packedT, conv.weights[group], k, groupOut, true);
  point(conv.into, conv.dcol, 0, positions, 0, 0);
  for (let s = 0; s < batch; s++) {
    point(conv.from, dy, (s * conv.outChannels + group * groupOut) * positions, positions, 0, 0);
    multiply(conv, conv.weights[group], true, conv.packedT, null, k, conv.dyTerms, 1);
    fold(dx, s * conv.sampleSize + group * conv.groupInputs, conv.dcol, conv.g, conv.geometry);
  }
}

/**
 * into[b, o, p] ← bias[o] + Σ_t w[o, t]·from[b, t, p] for o < outs, t < terms.perRow (float32,
 * in increasing t, as the matmul sums; no bias: 0), from's rows terms.step apart, w given as
 * `weights` [outs, perRow] (stored transposed when `transposed`) for the library and packed
 * (see pack) for the rest.
 */
function multiply(conv: Conv, weights: Float32Array, transposed: boolean, w: Float32Array, bias: Float32Array | null, outs: number, terms: Terms, batch: number): void {
  const { into, from, positions } = conv;
  if (batchedProductBlas(into, from, weights, transposed, bias, outs, terms.perRow, positions, batch)) return;
  product(conv, w, bias ?? conv.zeros, outs, terms, positions, 1, batch);
}

/**
 * into[b, l, o, p] ← bias[o] + Σ_t w[o, t]·from[b, l, p + i·from.row + j·step] for l < lines,
 * o < outs, p < width, t = i·perRow + j in increasing t (float32), w packed (see pack): col's
 * or dy's rows (1 × perRow), or a direct conv's padded input (3 × 3).
 */
function product(conv: Conv, w: Float32Array, biasOf: Float32Array, outs: number, terms: Terms, width: number, lines: number, batch: number): void {
  const { into, from } = conv;
  if (batchedProductWasm(into, from, terms, w, biasOf, outs, width, lines, batch)) return;
  batchedProductReference(into, from, terms, w, biasOf, outs, width, lines, batch, roundedMultiplyAdd);
}

/** dyc ← the group's channels of dy, as [O_g, N]. */
function gatherChannels(conv: Conv, dy: Float32Array, group: number, batch: number): void {
  const { groupOut, positions, outChannels, dyc } = conv;
  const n = batch * positions;
  for (let o = 0; o < groupOut; o++) {
    const channel = (group * groupOut + o) * positions;
    if (copyRunsWasm(dyc, o * n, positions, dy, channel, outChannels * positions, positions, batch)) continue;
    for (let s = 0; s < batch; s++) for (let p = 0; p < positions; p++) dyc[o * n + s * positions + p] = dy[channel + s * outChannels * positions + p];
  }
}

/** Repoints a product operand (no allocation: the training step runs this). */
function point(operand: Strided, array: Float32Array, at: number, row: number, sample: number, line: number): void {
  operand.array = array;
  operand.at = at;
  operand.row = row;
  operand.sample = sample;
  operand.line = line;
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
