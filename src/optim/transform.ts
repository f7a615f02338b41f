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
import { addScaledWasm, sumOfSquares } from '../kernels/optimizer-kernels.js';

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
  /**
   * The tensor's shape (torch's layout, e.g. linear [out, in]) when the transformation steps one
   * tensor at a time (Transform.perTensor); undefined on a merged segment, whose tensors a
   * transformation that does not ask for them never needs to tell apart.
   */
  shape: readonly number[] | undefined;
  /**
   * The step's closure, for an optimizer that evaluates the loss again within a step (L-BFGS, as
   * torch's optimizer.step(closure)); undefined when the caller gave none.
   */
  closure: Closure | undefined;
}

/** torch's closure: the loss of the evaluation whose gradient the step was given, and a new evaluation at the current parameters. */
export interface Closure {
  readonly loss: number;
  /** Evaluates the loss at the parameters as they are now and writes its gradient into the gradient vector the step was given. */
  evaluate(): number;
}

/**
 * A transformation's state under torch's names: per-element arrays the size of the vector it
 * steps (exp_avg, momentum_buffer, ...; a state torch keeps per tensor is sliced per tensor), and
 * scalars of length 1 that hold for the whole vector (a flag, NAdam's μ-product).
 */
export interface NamedState {
  /**
   * With a shape, an array that is not the tensor's shape (Adafactor's factored row_var [..., R, 1]
   * and col_var [..., 1, C]): only a per-tensor transformation has one, and it is the tensor's whole.
   */
  readonly elements: readonly (readonly [torchName: string, values: Float32Array, shape?: readonly number[]])[];
  /** Float64 where a value must keep its double precision across a checkpoint (Prodigy's d, schedule-free's weight_sum). */
  readonly scalars: readonly (readonly [name: string, value: Float32Array | Float64Array])[];
}

/**
 * A transformation with state S: typed-array buffers (the size of the parameter vector, or of
 * length 1 for scalars), so that state can be saved and restored as plain arrays.
 */
export interface Transform<S = unknown> {
  /**
   * True when the transformation must see each tensor on its own, with its shape (a trust ratio
   * per tensor as LAMB's, Adafactor's factored moments, Muon's orthogonalisation of a matrix):
   * the optimizer then gives it one segment per tensor, and `init` and the step context the
   * tensor's shape. Otherwise adjacent tensors of a group are stepped as one segment (groups.ts).
   */
  readonly perTensor?: boolean;
  /** The state for a segment of `size` elements; `shape` is the tensor's when `perTensor`. */
  init(size: number, shape?: readonly number[]): S;
  /** The state's arrays by name, for checkpoints and optimizer internals; absent on a stateless transformation. */
  named?(state: S): NamedState;
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
  /**
   * A second pass, for a transformation whose update needs a reduction over every tensor it steps
   * (Prodigy's step size d, from sums over all of them): when a chain's last link has one,
   * Optimizer.apply runs `update` on every segment first, then `finish` on every segment, and only
   * then moves each segment's parameters. Without it, each segment is updated and moved in turn.
   */
  finish?(updates: Float32Array, state: S, context: StepContext): void;
  /**
   * Present on a transformation that acts on the parameters after θ ← θ + u (context.params then
   * holds them): ASGD's and the weight averages' running means, Lookahead's synchronisation.
   */
  afterStep?(state: S, context: StepContext): void;
  /**
   * Present on a transformation whose weights to evaluate and save are not the ones it trains
   * (ASGD's ax, schedule-free's x, EMA/SWA's average): writes them into `out`, a view the length
   * of `params`, which hold the trained weights. The one mechanism behind torch users' swapping
   * in of ax, the schedulefree reference's optimizer.eval() and swa_utils' AveragedModel.
   */
  evaluationPoint?(state: S, params: Float32Array, out: Float32Array): void;
}

const NO_STATE: NamedState = { elements: [], scalars: [] };

/**
 * `named` for a state record: the keys given with their torch names are per-element arrays (one
 * left empty, as AMSGrad's maximum without amsgrad, is left out); every other key is a scalar.
 */
export function namedBy<S extends { readonly [K in keyof S]: Float32Array | Float64Array }>(torchNames: Partial<Record<keyof S & string, string>>): (state: S) => NamedState {
  return (state) => {
    const arrays = state as Readonly<Record<string, Float32Array | Float64Array>>;
    return {
      // Per-element state is float32, as the parameters it steps.
      elements: Object.entries(torchNames).flatMap(([key, torchName]) => (arrays[key].length === 0 ? [] : [[torchName as string, arrays[key] as Float32Array] as const])),
      scalars: Object.keys(arrays).filter((key) => !(key in torchNames)).map((key) => [key, arrays[key]] as const),
    };
  };
}

/**
 * Applies transformations left to right; `false` entries (an option that is off) are skipped.
 * A link listed first wraps those after it: after the step, the inner links' afterStep run first
 * (the outer ones see the parameters as the inner ones left them), and the evaluation point is the
 * outermost link's that has one.
 */
export function chain(...parts: (Transform | false)[]): Transform<unknown[]> {
  const active = parts.filter((p): p is Transform => p !== false);
  const last = active.length - 1;
  const chained: Transform<unknown[]> = {
    // One link that needs tensors one at a time makes the whole chain step them so.
    perTensor: active.some((t) => t.perTensor === true),
    init: (size, shape) => active.map((t) => t.init(size, shape)),
    named: (state) => {
      const parts = active.map((t, i) => t.named?.(state[i]) ?? NO_STATE);
      return { elements: parts.flatMap((p) => p.elements), scalars: parts.flatMap((p) => p.scalars) };
    },
    update(updates, state, context, deferScale = false) {
      for (let i = 0; i < active.length; i++) active[i].update(updates, state[i], context, deferScale && i === last);
    },
  };
  // A chain ends in a scaling when its last link does (finalScale never relies on `this`).
  const finalScale = active[last]?.finalScale;
  if (finalScale !== undefined) chained.finalScale = finalScale;
  const finish = active[last]?.finish;
  if (finish !== undefined) chained.finish = (updates, state, context) => finish(updates, state[last], context);
  const after = active.map((t, i) => [t, i] as const).filter(([t]) => t.afterStep !== undefined).reverse();
  if (after.length > 0) {
    // An indexed loop, not forEach: a callback made per step would be an allocation on the hot path.
    chained.afterStep = (state, context) => {
      for (let k = 0; k < after.length; k++) after[k][0].afterStep!(state[after[k][1]], context);
    };
  }
  const evaluated = active.findIndex((t) => t.evaluationPoint !== undefined);
  if (evaluated >= 0) chained.evaluationPoint = (state, params, out) => active[evaluated].evaluationPoint!(state[evaluated], params, out);
  return chained;
}

/** What a named optimizer builds: its transformation and the initial schedulable values. */
export interface OptimizerSetup {
  readonly transform: Transform;
  readonly hyper: Hyperparams;
}

/** Where a segment of a group lies in the flat parameter and gradient vectors. */
export interface Range {
  readonly offset: number;
  readonly length: number;
}

/** A segment as the optimizer steps it: a range, and the tensor's shape when it is one tensor of a per-tensor transformation. */
export interface Segment extends Range {
  readonly shape?: readonly number[];
}

/** One group as the optimizer steps it: its transformation and hyperparameters over its segments. */
export interface GroupSetup extends OptimizerSetup {
  /**
   * Empty for a frozen group, which keeps hyperparameters (schedules move them) but takes no step;
   * one per tensor, with its shape, when the transformation is perTensor.
   */
  readonly segments: readonly Segment[];
}

/** A segment's state and step context, with its views of the parameter and gradient vectors. */
interface SegmentStep {
  readonly range: Range;
  readonly transform: Transform;
  readonly state: unknown;
  readonly context: StepContext;
  grads: Float32Array;
}

/**
 * A configured optimizer over parameter groups (groups.ts): each group's transformation with a
 * state per segment, and the hyperparameters schedules move, one record per group. `hyper` is the
 * default group's (the last), whose rate steps.csv records.
 */
export class Optimizer {
  readonly hypers: readonly Hyperparams[];
  private readonly segments: readonly SegmentStep[];
  private grads: Float32Array | null = null;
  private count = 0;
  /** Whether a transformation has a second pass (Transform.finish). */
  private readonly twoPass: boolean;

  constructor(
    groups: readonly GroupSetup[],
    params: Float32Array,
    /** Whether a transformation needs the global gradient norm (clipping by norm). */
    private readonly needsGradNorm = false,
  ) {
    this.hypers = groups.map((g) => g.hyper);
    this.twoPass = groups.some((g) => g.transform.finish !== undefined);
    this.segments = groups.flatMap((g) =>
      g.segments.map((range) => {
        const values = params.subarray(range.offset, range.offset + range.length);
        const context: StepContext = { step: 0, params: values, hyper: g.hyper, gradNorm: undefined, shape: range.shape, closure: undefined };
        return { range, transform: g.transform, state: g.transform.init(range.length, range.shape), context, grads: values };
      }),
    );
  }

  /** The default group's hyperparameters (torch lists it last). */
  get hyper(): Hyperparams {
    return this.hypers[this.hypers.length - 1];
  }

  get step(): number {
    return this.count;
  }

  /** Sets the count of steps taken, when a checkpoint's state has been written back into tensorState()'s views. */
  resumeAt(step: number): void {
    this.count = step;
  }

  /**
   * One tensor's state under torch's names (exp_avg, momentum_buffer, ...): views of the part of
   * its segment's arrays that is this tensor. Empty for a frozen tensor, or before a state exists.
   */
  tensorState(tensor: Range): Map<string, Float32Array> {
    return new Map([...this.namedTensorState(tensor)].map(([name, { values }]) => [name, values]));
  }

  /** The shape of each of tensorState(tensor)'s arrays: the tensor's, but for a factored state (NamedState). */
  tensorStateShapes(tensor: Range & { readonly shape: readonly number[] }): Map<string, readonly number[]> {
    return new Map([...this.namedTensorState(tensor)].map(([name, { shape }]) => [name, shape ?? tensor.shape]));
  }

  private namedTensorState(tensor: Range): Map<string, { values: Float32Array; shape: readonly number[] | undefined }> {
    const state = new Map<string, { values: Float32Array; shape: readonly number[] | undefined }>();
    const segment = this.segments.find((s) => s.range.offset <= tensor.offset && tensor.offset + tensor.length <= s.range.offset + s.range.length);
    if (segment === undefined) return state;
    const from = tensor.offset - segment.range.offset;
    for (const [name, values, shape] of segment.transform.named?.(segment.state).elements ?? []) {
      state.set(name, { values: shape === undefined ? values.subarray(from, from + tensor.length) : values, shape });
    }
    return state;
  }

  /** Each segment's scalar state (flags, NAdam's μ-product), in group order: what a checkpoint saves besides tensors. */
  segmentScalars(): Map<string, Float32Array | Float64Array>[] {
    return this.segments.map((s) => new Map(s.transform.named?.(s.state).scalars ?? []));
  }

  /**
   * The L2 norm of the gradient over the tensors this optimizer steps (frozen tensors have no
   * gradient, as in torch), accumulated in double precision.
   */
  gradNorm(grads: Float32Array): number {
    if (grads !== this.grads) this.viewGradients(grads);
    let sum = 0;
    for (const s of this.segments) sum += sumOfSquares(s.grads);
    return Math.sqrt(sum);
  }

  /**
   * One step: each segment of `grads` is turned into its update in place, then params += update —
   * with the transformation's final scaling, when it has one (the learning rate), folded into that
   * last pass (see Transform.finalScale), so `grads` is left holding the update before it.
   * `gradNorm` is the norm gradNorm() gives, when the caller has computed it; `closure` evaluates
   * the loss again, for L-BFGS (which refuses param_groups, so its one segment is the whole vector).
   */
  apply(grads: Float32Array, gradNorm?: number, closure?: Closure): void {
    if (grads !== this.grads) this.viewGradients(grads);
    this.count++;
    const norm = gradNorm ?? (this.needsGradNorm ? this.gradNorm(grads) : undefined);
    for (const segment of this.segments) {
      const { transform, context } = segment;
      context.step = this.count;
      context.gradNorm = norm;
      context.closure = closure;
      transform.update(segment.grads, segment.state, context, transform.finalScale !== undefined);
      if (!this.twoPass) this.move(segment);
    }
    if (!this.twoPass) return;
    for (const segment of this.segments) {
      segment.transform.finish?.(segment.grads, segment.state, segment.context);
      this.move(segment);
    }
  }

  /** params += update, with the transformation's final scaling folded in; then its work after the step (Transform.afterStep). */
  private move({ transform, context, grads, state }: SegmentStep): void {
    const scale = transform.finalScale === undefined ? 1 : transform.finalScale(context);
    if (!addScaledWasm(context.params, grads, scale)) addScaledReference(context.params, grads, scale);
    transform.afterStep?.(state, context);
  }

  /** Whether the weights to evaluate and save differ from the trained ones (Transform.evaluationPoint). */
  get hasEvaluationPoint(): boolean {
    return this.segments.some((s) => s.transform.evaluationPoint !== undefined);
  }

  /**
   * The weights to evaluate and save, written into `out` (the length of the parameter vector):
   * each segment's evaluation point where its transformation has one, the trained weights elsewhere
   * (frozen tensors among them).
   */
  evaluationWeights(params: Float32Array, out: Float32Array): void {
    out.set(params);
    for (const { range, transform, state, context } of this.segments) {
      transform.evaluationPoint?.(state, context.params, out.subarray(range.offset, range.offset + range.length));
    }
  }

  /** Views of a gradient vector per segment, made once per vector (a step allocates nothing). */
  private viewGradients(grads: Float32Array): void {
    for (const s of this.segments) s.grads = grads.subarray(s.range.offset, s.range.offset + s.range.length);
    this.grads = grads;
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
