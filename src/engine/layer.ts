/**
 * The contract every layer keeps. A layer goes through two stages:
 *
 *  1. plan(options, inShape) → LayerPlan: pure shape arithmetic, no memory. The config checker
 *     runs this before any data is read, so a shape mistake is reported against the YAML.
 *  2. plan.build(parameters, context) → Layer: binds the parameter views and allocates the
 *     layer's scratch buffers once, for the largest batch it will ever see.
 *
 * forward/backward work on flat batch-major buffers owned by the model (see tensor.ts), llm.c style:
 *   forward(x, y, batch, mode)        y  = f(x)
 *   backward(x, y, dy, dx, batch)     dx = ∂L/∂x and every parameter's grad, given dy = ∂L/∂y
 * backward *writes* parameter gradients (it does not accumulate): in a Sequential every parameter
 * is used exactly once per step, so there is nothing to zero between steps.
 */
import type { Rng } from '../core/rng.js';
import type { Shape } from '../core/shape.js';

/** torch's default initializations are all of the first three forms (normal: nn.Embedding's N(0, 1)); an objective's coordinates start at given values. */
export type ParameterInit =
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'values'; readonly values: readonly number[] };

export interface ParameterSpec {
  /** Suffix of the safetensors name: the model stores it as "<layer index>.<name>". */
  readonly name: string;
  /** PyTorch layout, e.g. linear weight [out, in]. */
  readonly shape: Shape;
  readonly init: ParameterInit;
}

/** A parameter bound to its slices of the model's flat parameter and gradient vectors. */
export interface Parameter extends ParameterSpec {
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/**
 * State a layer keeps that is not trained: batch norm's running statistics. Saved with the
 * weights under "<layer index>.<name>", as torch saves module buffers.
 */
export interface BufferSpec {
  readonly name: string;
  readonly shape: Shape;
  /** I64 for counters (num_batches_tracked), stored as exact integers in a Float64Array. */
  readonly dtype: 'F32' | 'I64';
  readonly fill: number;
}

export interface ModelBuffer extends BufferSpec {
  readonly value: Float32Array | Float64Array;
}

/**
 * How a forward pass runs: 'train' and 'eval' as torch's module.train()/eval(); 'update_bn' is the
 * pass of torch.optim.swa_utils.update_bn — training mode (dropout on), with every batch norm's
 * running statistics averaged cumulatively (momentum None) instead of by its momentum.
 */
export type Mode = 'train' | 'eval' | 'update_bn';

export interface BuildContext {
  /** Largest batch the layer will be run on: scratch buffers are sized for it. */
  readonly maxBatch: number;
  /** The model's dropout stream; only stochastic layers draw from it. */
  readonly rng: Rng;
}

export interface Layer {
  forward(x: Float32Array, y: Float32Array, batch: number, mode: Mode): void;
  /** `dx` is null for the first layer: nobody needs the gradient of the data. */
  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, batch: number): void;
  /** Puts the parameters back onto their allowed set after an optimizer step (Keras's constraints), for a layer that has one. */
  project?(): void;
}

export interface LayerPlan {
  readonly outShape: Shape;
  readonly parameters: readonly ParameterSpec[];
  readonly buffers?: readonly BufferSpec[];
  build(parameters: readonly Parameter[], context: BuildContext, buffers: readonly ModelBuffer[]): Layer;
}

/** A layer that cannot follow its input: reported against the layer's place in the config. */
export class ShapeMismatch extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}
