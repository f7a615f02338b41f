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
 */

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
}

/**
 * A transformation with state S: typed-array buffers (the size of the parameter vector, or of
 * length 1 for scalars), so that state can be saved and restored as plain arrays.
 */
export interface Transform<S = unknown> {
  init(size: number): S;
  update(updates: Float32Array, state: S, context: StepContext): void;
}

/** Applies transformations left to right; `false` entries (an option that is off) are skipped. */
export function chain(...parts: (Transform | false)[]): Transform<unknown[]> {
  const active = parts.filter((p): p is Transform => p !== false);
  return {
    init: (size) => active.map((t) => t.init(size)),
    update(updates, state, context) {
      for (let i = 0; i < active.length; i++) active[i].update(updates, state[i], context);
    },
  };
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
    this.context = { step: 0, params, hyper };
  }

  get step(): number {
    return this.context.step;
  }

  /** One step: `grads` is turned into the update in place, then params += update. */
  apply(grads: Float32Array): void {
    const { params } = this.context;
    this.context.step++;
    this.transform.update(grads, this.state, this.context);
    for (let i = 0; i < params.length; i++) params[i] += grads[i];
  }
}
