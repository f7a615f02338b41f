/**
 * Causal self-attention (GPT's masked multi-head attention), stored as torch.nn.MultiheadAttention
 * stores it, so its state_dict loads into `nn.MultiheadAttention(C, heads, batch_first=True)`:
 *
 *   in_proj_weight [3C, C], in_proj_bias [3C]   one fused projection; rows 0..C are q, C..2C k, 2C..3C v
 *   out_proj.weight [C, C], out_proj.bias [C]
 *
 * and computes MultiheadAttention(x, x, x, attn_mask = causal)'s output. Per sample x [T, C],
 * with H heads of D = C/H features:
 *
 *   [q k v] = x · in_proj_weightᵀ + in_proj_bias                 [T, 3C]
 *   per head h:  P_h = causal_softmax(q_h · k_hᵀ / √D)            [T, T]   (kernels/causal-softmax.ts)
 *                O_h = dropout(P_h) · v_h                          [T, D]
 *   y = [O_1 … O_H] · out_proj.weightᵀ + out_proj.bias              [T, C]
 *
 * backward, per head (G = ∂L/∂O_h):
 *   dv_h = dropout(P_h)ᵀ · G,   dP_h = (G · v_hᵀ) ⊙ mask,   dS_h = causal_softmax_backward(dP_h)
 *   dq_h = dS_h · k_h,          dk_h = dS_hᵀ · q_h
 * and the two projections backward as linear layers; the key bias's gradient is exactly 0 (below).
 *
 * Every product goes through the GEMM kernels (kernels/matmul.ts): the projections as one product
 * over all B·T rows, attention as one [T, D]·[D, T] and one [T, T]·[T, D] product per sample and
 * head. Heads are copied into contiguous [B, H, T, D] blocks first so that each product reads
 * dense operands. The per-head views are made once, at build: a step allocates nothing.
 *
 * Init as torch's MultiheadAttention: in_proj_weight xavier_uniform_ (U(±√(6/(C + 3C)))), in_proj_bias
 * and out_proj.bias zero, out_proj.weight as a Linear's (U(±1/√C)). Dropout (torch's `dropout`) acts
 * on the attention probabilities in training.
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter } from '../layer.js';
import type { Rng } from '../../core/rng.js';
import { formatShape, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { causalSoftmax, causalSoftmaxBackward } from '../../kernels/causal-softmax.js';
import { matmulAB, matmulABt, matmulAtB } from '../../kernels/matmul.js';
import { sumRows } from './linear.js';

export const causalSelfAttentionOptions = z.strictObject({
  num_heads: z.int().positive().default(1),
  dropout: z.number().min(0).lt(1).default(0),
  bias: z.boolean().default(true),
});
export type CausalSelfAttentionOptions = z.infer<typeof causalSelfAttentionOptions>;

export function planCausalSelfAttention(options: CausalSelfAttentionOptions, inShape: Shape): LayerPlan {
  if (inShape.length !== 2) throw new ShapeMismatch(`causal_self_attention needs a sequence [T, C] (after an embedding), got ${formatShape(inShape)}`);
  const [t, c] = inShape;
  const heads = options.num_heads;
  if (c % heads !== 0) throw new ShapeMismatch(`causal_self_attention: embedding width ${c} is not divisible by num_heads ${heads}`);
  const xavier = Math.sqrt(6 / (c + 3 * c));
  const parameters = [
    { name: 'in_proj_weight', shape: [3 * c, c], init: { kind: 'uniform', bound: xavier } } as const,
    ...(options.bias ? [{ name: 'in_proj_bias', shape: [3 * c], init: { kind: 'constant', value: 0 } } as const] : []),
    { name: 'out_proj.weight', shape: [c, c], init: { kind: 'uniform', bound: 1 / Math.sqrt(c) } } as const,
    ...(options.bias ? [{ name: 'out_proj.bias', shape: [c], init: { kind: 'constant', value: 0 } } as const] : []),
  ];
  return {
    outShape: inShape,
    parameters,
    build: (bound, { maxBatch, rng }) => {
      const [inWeight, inBias, outWeight, outBias] = options.bias ? bound : [bound[0], null, bound[1], null];
      return buildAttention({ t, c, heads, dropout: options.dropout }, { inWeight, inBias, outWeight, outBias }, maxBatch, rng);
    },
  };
}

interface Geometry {
  readonly t: number;
  readonly c: number;
  readonly heads: number;
  readonly dropout: number;
}

interface Projections {
  readonly inWeight: Parameter;
  readonly inBias: Parameter | null;
  readonly outWeight: Parameter;
  readonly outBias: Parameter | null;
}

/** `count` consecutive views of `size` floats into `buffer`, made once so that no step allocates one. */
function blocks(buffer: Float32Array, count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => buffer.subarray(i * size, (i + 1) * size));
}

function buildAttention({ t, c, heads, dropout }: Geometry, p: Projections, maxBatch: number, rng: Rng): Layer {
  const d = c / heads;
  const scale = 1 / Math.sqrt(d);
  const slots = maxBatch * heads;
  const rowsMax = maxBatch * t;
  const qkv = allocFloat32(rowsMax * 3 * c);
  const dqkv = allocFloat32(rowsMax * 3 * c);
  const merged = allocFloat32(rowsMax * c);
  const dMerged = allocFloat32(rowsMax * c);
  // [B, H, T, D] per operand (and their gradients), [B, H, T, T] for the probabilities.
  const perHead = (): Float32Array[] => blocks(allocFloat32(slots * t * d), slots, t * d);
  const [q, k, v, o, dq, dk, dv, dO] = [perHead(), perHead(), perHead(), perHead(), perHead(), perHead(), perHead(), perHead()];
  const probsBuffer = allocFloat32(slots * t * t);
  const probs = blocks(probsBuffer, slots, t * t);
  // With dropout the product uses the dropped probabilities; the mask (0 or 1/(1−p)) is kept for backward.
  const keepScale = 1 / (1 - dropout);
  const maskBuffer = dropout > 0 ? allocFloat32(slots * t * t) : null;
  const droppedBuffer = dropout > 0 ? allocFloat32(slots * t * t) : null;
  const dropped = droppedBuffer === null ? probs : blocks(droppedBuffer, slots, t * t);
  const dScores = allocFloat32(t * t);
  let dropping = false;

  /** Copies head h of rows [B·T, width] at column `column` into the per-head blocks, or back. */
  const split = (from: Float32Array, width: number, column: number, to: Float32Array[], batch: number): void => {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const block = to[b * heads + h];
        for (let i = 0; i < t; i++) {
          const row = (b * t + i) * width + column + h * d;
          for (let j = 0; j < d; j++) block[i * d + j] = from[row + j];
        }
      }
    }
  };
  const merge = (from: Float32Array[], to: Float32Array, width: number, column: number, batch: number): void => {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const block = from[b * heads + h];
        for (let i = 0; i < t; i++) {
          const row = (b * t + i) * width + column + h * d;
          for (let j = 0; j < d; j++) to[row + j] = block[i * d + j];
        }
      }
    }
  };

  return {
    forward(x, y, batch, mode) {
      const rows = batch * t;
      matmulABt(qkv, x, p.inWeight.value, rows, c, 3 * c, p.inBias?.value ?? null);
      split(qkv, 3 * c, 0, q, batch);
      split(qkv, 3 * c, c, k, batch);
      split(qkv, 3 * c, 2 * c, v, batch);
      dropping = mode !== 'eval' && maskBuffer !== null;
      for (let s = 0; s < batch * heads; s++) {
        matmulABt(probs[s], q[s], k[s], t, d, t, null);
        causalSoftmax(probsBuffer, s * t * t, t, scale);
        if (dropping) dropProbabilities(s * t * t);
        matmulAB(o[s], dropping ? dropped[s] : probs[s], v[s], t, t, d);
      }
      merge(o, merged, c, 0, batch);
      matmulABt(y, merged, p.outWeight.value, rows, c, c, p.outBias?.value ?? null);
    },
    backward(x, _y, dy, dx, batch) {
      const rows = batch * t;
      matmulAtB(p.outWeight.grad, dy, merged, c, rows, c);
      if (p.outBias !== null) sumRows(p.outBias.grad, dy, rows, c);
      matmulAB(dMerged, dy, p.outWeight.value, rows, c, c);
      split(dMerged, c, 0, dO, batch);
      for (let s = 0; s < batch * heads; s++) {
        matmulAtB(dv[s], dropping ? dropped[s] : probs[s], dO[s], t, t, d);
        matmulABt(dScores, dO[s], v[s], t, d, t, null);
        if (dropping) for (let i = 0, at = s * t * t; i < t * t; i++) dScores[i] *= (maskBuffer as Float32Array)[at + i];
        causalSoftmaxBackward(dScores, probs[s], 0, t, scale);
        matmulAB(dq[s], dScores, k[s], t, t, d);
        matmulAtB(dk[s], dScores, q[s], t, t, d);
      }
      merge(dq, dqkv, 3 * c, 0, batch);
      merge(dk, dqkv, 3 * c, c, batch);
      merge(dv, dqkv, 3 * c, 2 * c, batch);
      matmulAtB(p.inWeight.grad, dqkv, x, 3 * c, rows, c);
      if (p.inBias !== null) {
        sumRows(p.inBias.grad, dqkv, rows, 3 * c);
        // The key bias adds q_i·b_k to every score of row i alike, which the softmax cancels: its
        // gradient is exactly 0. Summed in float32 it is rounding noise (~1e-9), which Adam would
        // divide by its own size and turn into steps of ~lr; written as the 0 it is, the key bias
        // moves by weight decay alone, as in a float64 run.
        p.inBias.grad.fill(0, c, 2 * c);
      }
      if (dx !== null) matmulAB(dx, dqkv, p.inWeight.value, rows, 3 * c, c);
    },
  };

  function dropProbabilities(at: number): void {
    const mask = maskBuffer as Float32Array;
    const out = droppedBuffer as Float32Array;
    for (let i = at; i < at + t * t; i++) {
      mask[i] = rng.uniform() < dropout ? 0 : keepScale;
      out[i] = probsBuffer[i] * mask[i];
    }
  }
}
