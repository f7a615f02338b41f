/**
 * The optimizer algebra, after optax (optax/_src/base.py): a transformation maps
 * (updates, state) → (updates, state), and an optimizer is a chain of small transformations
 * ending in the learning rate. Weight decay, momentum, adaptive scaling and the learning rate
 * are each written once; sgd, rmsprop, adam and the rest are compositions of them.
 *
 * Two departures from optax, both for speed without changing the algebra:
 *  - updates and state are transformed in place (the gradient buffer becomes the update),
 *    so a step allocates nothing;
 *  - the values a schedule may change between steps (lr, momentum, β1) are read from a
 *    mutable `Hyperparams` record at every step, as torch reads its param_group, which is
 *    what optax's inject_hyperparams achieves.
 *
 * Each link is a whole pass over the vector, on a WebAssembly SIMD kernel for the hot ones
 * (pieces.ts). Fusing a chain's links into one pass was measured and left out: see
 * kernels/wasm/optimizer-kernels.wat.
 */
import { addScaledWasm } from '../kernels/optimizer-kernels.js';

/** Values a scheduler may change between steps (torch's param_group entries). */
export interface Hyperparams {
  lr: number;
  /** SGD's and RMSprop's momentum μ; one_cycle_lr cycles it. */
  momentum?: number;
  /** The Adam family's β1; one_cycle_lr cycles it in place of momentum. */
  beta1?: number;
}

export interface StepContext {
  /** 1-based count of optimizer steps, including this one (torch's state['step']). */
  step: number;
  /** Parameters before this step's update; read by weight decay. */
  params: Float32Array;
  hyper: Hyperparams;
  /**
   * The global L2 norm of the gradient handed to Optimizer.apply, when its caller computed it
   * already (the training step does, for steps.csv), so that clipByGlobalNorm need not compute
   * it again; undefined otherwise.
   */
  gradNorm: number | undefined;
}

/**
 * A transformation with state S: typed-array buffers (the size of the parameter vector, or of
 * length 1 for scalars), so that state can be saved and restored as plain arrays.
 */
export interface Transform<S = unknown> {
  init(size: number): S;
  /**
   * Transforms `updates` in place. With `deferScale`, a transformation that ends in a
   * scaling u ← s·u (see finalScale) leaves that last multiplication out.
   */
  update(updates: Float32Array, state: S, context: StepContext, deferScale?: boolean): void;
  /**
   * Present on a transformation whose last link is a plain scaling u ← s·u (the learning
   * rate): this step's s. Optimizer.apply folds that link into its θ ← θ + u pass, as
   * θ ← θ + s·u, which rounds exactly as scaling u first would (s·u is rounded to float32,
   * then added), and saves a pass over the vector.
   */
  finalScale?(context: StepContext): number;
}

/** Applies transformations left to right; `false` entries (an option that is off) are skipped. */
export function chain(...parts: (Transform | false)[]): Transform<unknown[]> {
  const active = parts.filter((p): p is Transform => p !== false);
  const last = active.length - 1;
  const chained: Transform<unknown[]> = {
    init: (size) => active.map((t) => t.init(size)),
    update(updates, state, context, deferScale = false) {
      for (let i = 0; i < active.length; i++) active[i].update(updates, state[i], context, deferScale && i === last);
    },
  };
  // A chain ends in a scaling when its last link does (finalScale never relies on `this`).
  const finalScale = active[last]?.finalScale;
  if (finalScale !== undefined) chained.finalScale = finalScale;
  return chained;
}

/** What a named optimizer builds: its transformation and the initial schedulable values. */
export interface OptimizerSetup {
  readonly transform: Transform;
  readonly hyper: Hyperparams;
}

/** A configured optimizer: the transformation, its state and the hyperparameters schedules move. */
export class Optimizer {
  readonly state: unknown;
  private readonly context: StepContext;

  constructor(
    readonly transform: Transform,
    readonly hyper: Hyperparams,
    params: Float32Array,
  ) {
    this.state = transform.init(params.length);
    this.context = { step: 0, params, hyper, gradNorm: undefined };
  }

  get step(): number {
    return this.context.step;
  }

  /**
   * One step: `grads` is turned into the update in place, then params += update — with the
   * transformation's final scaling, when it has one (the learning rate), folded into that
   * last pass (see Transform.finalScale), so `grads` is left holding the update before it.
   * `gradNorm` is the global L2 norm of `grads` as given, when the caller has computed it.
   */
  apply(grads: Float32Array, gradNorm?: number): void {
    const { transform, context } = this;
    context.step++;
    context.gradNorm = gradNorm;
    const scale = transform.finalScale === undefined ? 1 : transform.finalScale(context);
    transform.update(grads, this.state, context, transform.finalScale !== undefined);
    if (!addScaledWasm(context.params, grads, scale)) addScaledReference(context.params, grads, scale);
  }
}

/**
 * u ← u + s·x in float32, s rounded to float32 first and s·x rounded before the sum, as the
 * SIMD twin (kernels/optimizer-kernels.ts) computes it. θ ← θ + s·u here; u ← u + λθ in
 * addDecayedWeights.
 */
export function addScaledReference(u: Float32Array, x: Float32Array, s: number): void {
  const sf = Math.fround(s);
  for (let i = 0; i < u.length; i++) u[i] += Math.fround(sf * x[i]);
}
