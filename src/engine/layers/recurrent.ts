/**
 * What LSTM and GRU share (torch.nn.LSTM / nn.GRU with batch_first=True, zero initial state):
 * the options, torch's parameters, a stack of num_layers layers run through time, and backward
 * through time. The cells (lstm.ts, gru.ts) supply only their element-wise gate arithmetic.
 *
 * Per sample x [T, I] → y [T, H], the last layer's h_t at every step. Layer l (input width
 * I_l = I for l = 0, else H) has G gate blocks of H rows each (LSTM G = 4: i, f, g, o; GRU
 * G = 3: r, z, n), in torch's names and layouts:
 *   weight_ih_l{l} [G·H, I_l], weight_hh_l{l} [G·H, H], bias_ih_l{l} [G·H], bias_hh_l{l} [G·H]
 * all initialized U(−1/√H, 1/√H) as torch does.
 *
 * Layout. Inside the layer everything is time-major with one slot per sample of the largest
 * batch S: row (t, b) of a [T, S, ·] buffer is t·S + b. So step t's rows for the batch are one
 * contiguous block (the recurrent products are plain GEMMs on it), and with a full batch the
 * input products of all steps are one GEMM over T·S rows:
 *   gates = x·W_ihᵀ + b_ih   for all t at once (per step when the batch is short)
 *   step t: hProj = h_{t−1}·W_hhᵀ + b_hh, then the cell's gate arithmetic gives h_t
 * h is kept as [T + 1, S, H] with h_{−1} = 0 in its first block, so h_{t−1} of every step is
 * one block and h_{−1..T−2} is the first T·S rows.
 *
 * backward through time, per layer from the top, with dOut = ∂L/∂h_t from above:
 *   t = T−1 … 0: the cell turns dh_t = dOut_t + ∂L/∂h_t via step t+1 into the gate gradients
 *                dX_t (of the input-side pre-activations) and dH_t (hidden side; the same buffer
 *                as dX for LSTM), then dh_{t−1} += dH_t·W_hh
 *   dW_ih = dXᵀ·input,  dW_hh = dHᵀ·h_{−1..T−2},  db_ih = Σ dX,  db_hh = Σ dH
 *   ∂L/∂input = dX·W_ih   (dOut of the layer below, or dx)
 * The weight products run over all T·S rows; rows of slots past a short batch are zeroed in
 * dX and dH first, so they add exact zeros.
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter, type ParameterSpec } from '../layer.js';
import { formatShape, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';
import { matmulAB, matmulABt, matmulAtB } from '../../kernels/matmul.js';

export const recurrentOptions = z.strictObject({
  hidden_size: z.int().positive().describe('width H of the hidden state (and of the output at every step)'),
  // Planning lists every layer's tensors, so a count of billions would hang validation; 1024 is far past any real stack.
  num_layers: z.int().positive().max(1024).default(1).describe('stacked layers, each reading the sequence of the one below (at most 1024)'),
  bias: z.boolean().default(true).describe('learn bias_ih and bias_hh'),
});
export type RecurrentOptions = z.output<typeof recurrentOptions>;

/** One layer's buffers, time-major with S slots (see the header); a cell reads and writes them by row. */
export interface StepBuffers {
  readonly steps: number;
  readonly slots: number;
  readonly hidden: number;
  /** [T, S, G·H]: x·W_ihᵀ + b_ih on entry to the cell's forward step; the cell may overwrite its row. */
  readonly gates: Float32Array;
  /** [T + 1, S, H]: h_{t} at block t + 1, block 0 all zeros. */
  readonly h: Float32Array;
  /** [S, G·H]: h_{t−1}·W_hhᵀ + b_hh for the current step. */
  readonly hProj: Float32Array;
  /** [T, S, G·H]: ∂L/∂(input-side pre-activations), written by the cell's backward step. */
  readonly dX: Float32Array;
  /** [T, S, G·H]: ∂L/∂(hidden-side pre-activations); the same array as dX when the cell has one kind. */
  readonly dH: Float32Array;
}

/** One layer's gate arithmetic over the rows of one step, slots 0 … batch−1. */
export interface CellSteps {
  /** gates[t] and hProj → h_t (and whatever the cell keeps for backward). */
  forward(t: number, batch: number): void;
  /**
   * dh_t = dOut[t] + (carry ? dhRecurrent + the cell's own path from step t+1 : 0) → dX[t], dH[t].
   * dOut is [T, S, H]; dhRecurrent [S, H] is dH_{t+1}·W_hh.
   */
  backward(t: number, batch: number, dOut: Float32Array, dhRecurrent: Float32Array, carry: boolean): void;
}

export interface Cell {
  /** 'lstm' or 'gru', for messages. */
  readonly name: string;
  /** Gate blocks G. */
  readonly gates: number;
  /** Whether dH differs from dX (GRU: the reset gate multiplies W_hn·h + b_hn only). */
  readonly separateHiddenGrad: boolean;
  /** The cell's arithmetic bound to one layer's buffers; allocates what it keeps, once. */
  bind(buffers: StepBuffers): CellSteps;
}

interface StackLayer {
  readonly inWidth: number;
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly biasIh: Parameter | undefined;
  readonly biasHh: Parameter | undefined;
  readonly buffers: StepBuffers;
  readonly steps: CellSteps;
  /** The layer's input as T·S rows, and per step (views made once: a subarray per step would allocate). */
  readonly input: Float32Array;
  readonly inputAt: readonly Float32Array[];
  readonly gatesAt: readonly Float32Array[];
  /** h_{t−1} per step t. */
  readonly hPreviousAt: readonly Float32Array[];
}

export function planRecurrent(cell: Cell, options: RecurrentOptions, inShape: Shape): LayerPlan {
  if (inShape.length !== 2) throw new ShapeMismatch(`${cell.name} needs a sequence [T, features] per sample, got ${formatShape(inShape)}`);
  const [steps, inFeatures] = inShape;
  const hidden = options.hidden_size;
  const rows = cell.gates * hidden;
  const init = { kind: 'uniform', bound: 1 / Math.sqrt(hidden) } as const;
  const parameters: ParameterSpec[] = [];
  for (let l = 0; l < options.num_layers; l++) {
    parameters.push({ name: `weight_ih_l${l}`, shape: [rows, l === 0 ? inFeatures : hidden], init });
    parameters.push({ name: `weight_hh_l${l}`, shape: [rows, hidden], init });
    if (options.bias) {
      parameters.push({ name: `bias_ih_l${l}`, shape: [rows], init });
      parameters.push({ name: `bias_hh_l${l}`, shape: [rows], init });
    }
  }
  return {
    outShape: [steps, hidden],
    parameters,
    build: (bound, { maxBatch }) => buildStack(cell, options, steps, inFeatures, bound, maxBatch),
  };
}

/** Views of `buffer`, one per block of `size` floats, `count` of them. */
function blocks(buffer: Float32Array, size: number, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => buffer.subarray(i * size, (i + 1) * size));
}

function buildStack(cell: Cell, options: RecurrentOptions, steps: number, inFeatures: number, parameters: readonly Parameter[], slots: number): Layer {
  const hidden = options.hidden_size;
  const rows = cell.gates * hidden;
  const perLayer = options.bias ? 4 : 2;
  // Shared by the layers: only one layer runs at a time.
  const timeMajorInput = allocFloat32(steps * slots * inFeatures);
  const hProj = allocFloat32(slots * rows);
  const dX = allocFloat32(steps * slots * rows);
  const dH = cell.separateHiddenGrad ? allocFloat32(steps * slots * rows) : dX;
  const dHAt = blocks(dH, slots * rows, steps);
  const dhRecurrent = allocFloat32(slots * hidden);
  const dOut = [allocFloat32(steps * slots * hidden), allocFloat32(steps * slots * hidden)];
  const dInput = allocFloat32(steps * slots * inFeatures);

  const layers: StackLayer[] = [];
  for (let l = 0; l < options.num_layers; l++) {
    const [weightIh, weightHh, biasIh, biasHh] = parameters.slice(l * perLayer, (l + 1) * perLayer);
    const h = allocFloat32((steps + 1) * slots * hidden);
    const gates = allocFloat32(steps * slots * rows);
    const buffers: StepBuffers = { steps, slots, hidden, gates, h, hProj, dX, dH };
    const below = layers[l - 1];
    const input = below === undefined ? timeMajorInput : below.buffers.h.subarray(slots * hidden);
    const inWidth = l === 0 ? inFeatures : hidden;
    layers.push({
      inWidth,
      weightIh,
      weightHh,
      biasIh,
      biasHh,
      buffers,
      steps: cell.bind(buffers),
      input,
      inputAt: blocks(input, slots * inWidth, steps),
      gatesAt: blocks(gates, slots * rows, steps),
      hPreviousAt: blocks(h, slots * hidden, steps),
    });
  }
  const top = layers[layers.length - 1].buffers.h;

  return {
    forward(x, y, batch) {
      toTimeMajor(timeMajorInput, x, batch, steps, slots, inFeatures);
      for (const layer of layers) {
        const biasIh = layer.biasIh?.value ?? null;
        if (batch === slots) matmulABt(layer.buffers.gates, layer.input, layer.weightIh.value, steps * slots, layer.inWidth, rows, biasIh);
        else for (let t = 0; t < steps; t++) matmulABt(layer.gatesAt[t], layer.inputAt[t], layer.weightIh.value, batch, layer.inWidth, rows, biasIh);
        for (let t = 0; t < steps; t++) {
          matmulABt(hProj, layer.hPreviousAt[t], layer.weightHh.value, batch, hidden, rows, layer.biasHh?.value ?? null);
          layer.steps.forward(t, batch);
        }
      }
      fromTimeMajor(y, top, slots * hidden, batch, steps, slots, hidden);
    },

    backward(_x, _y, dy, dx, batch) {
      toTimeMajor(dOut[0], dy, batch, steps, slots, hidden);
      for (let l = layers.length - 1; l >= 0; l--) {
        const layer = layers[l];
        const above = dOut[(layers.length - 1 - l) % 2];
        if (batch < slots) zeroPaddingRows(dX, dH, batch, steps, slots, rows);
        for (let t = steps - 1; t >= 0; t--) {
          layer.steps.backward(t, batch, above, dhRecurrent, t < steps - 1);
          if (t > 0) matmulAB(dhRecurrent, dHAt[t], layer.weightHh.value, batch, rows, hidden);
        }
        matmulAtB(layer.weightIh.grad, dX, layer.input, rows, steps * slots, layer.inWidth);
        matmulAtB(layer.weightHh.grad, dH, layer.buffers.h, rows, steps * slots, hidden);
        if (layer.biasIh !== undefined) sumRows(layer.biasIh.grad, dX, batch, steps, slots, rows);
        if (layer.biasHh !== undefined) sumRows(layer.biasHh.grad, dH, batch, steps, slots, rows);
        if (l > 0) matmulAB(dOut[(layers.length - l) % 2], dX, layer.weightIh.value, steps * slots, rows, hidden);
        else if (dx !== null) {
          matmulAB(dInput, dX, layer.weightIh.value, steps * slots, rows, inFeatures);
          fromTimeMajor(dx, dInput, 0, batch, steps, slots, inFeatures);
        }
      }
    },
  };
}

/** Batch-major [B, T, W] → time-major [T, S, W] (slots past the batch untouched). */
function toTimeMajor(to: Float32Array, from: Float32Array, batch: number, steps: number, slots: number, width: number): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const src = (b * steps + t) * width;
      const dst = (t * slots + b) * width;
      for (let j = 0; j < width; j++) to[dst + j] = from[src + j];
    }
  }
}

/** Time-major [T, S, W] starting at `offset` → batch-major [B, T, W]. */
function fromTimeMajor(to: Float32Array, from: Float32Array, offset: number, batch: number, steps: number, slots: number, width: number): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const src = offset + (t * slots + b) * width;
      const dst = (b * steps + t) * width;
      for (let j = 0; j < width; j++) to[dst + j] = from[src + j];
    }
  }
}

function zeroPaddingRows(dX: Float32Array, dH: Float32Array, batch: number, steps: number, slots: number, width: number): void {
  for (let t = 0; t < steps; t++) {
    dX.fill(0, (t * slots + batch) * width, (t + 1) * slots * width);
    dH.fill(0, (t * slots + batch) * width, (t + 1) * slots * width);
  }
}

/** out[j] = Σ over the batch's rows of every step of grad[row, j]. */
function sumRows(out: Float32Array, grad: Float32Array, batch: number, steps: number, slots: number, width: number): void {
  out.fill(0);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const at = (t * slots + b) * width;
      for (let j = 0; j < width; j++) out[j] += grad[at + j];
    }
  }
}
