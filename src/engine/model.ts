/**
 * A Sequential model (torch.nn.Sequential) over flat buffers.
 *
 * All parameters live in one flat Float32Array and all gradients in another; each layer's
 * weight and bias are views into them (bind.ts). Optimizers therefore see one vector, and a
 * global gradient norm is one loop. Activations are one buffer per layer boundary, sized for
 * the largest batch at construction: acts[0] is the input batch, acts[i+1] is layer i's output,
 * and grads[i] = ∂loss/∂acts[i]. A step (forward + backward) allocates nothing.
 *
 * With more than one batch shard (batch-shards.ts), forward and backward cut the batch into
 * shards of rows, run on one thread or several, and backward leaves the shards' gradients added
 * in `grads`; the buffers and what a caller sees are the same.
 */
import { BatchShards, ONE_SHARD, type ShardSetting } from './batch-shards.js';
import { bindLayers, type Tie } from './bind.js';
import type { Layer, Mode } from './layer.js';
import type { ModelPlan, NamedBuffer, NamedParameter } from './model-plan.js';
import { Rng } from '../core/rng.js';
import { sizeOf } from '../core/shape.js';
import { allocFloat32 } from '../kernels/arena.js';

export {
  LayerShapeError,
  ownParameters,
  parameterNames,
  plannedState,
  planModel,
  summarizeModel,
  type LayerSummary,
  type ModelPlan,
  type NamedBuffer,
  type NamedParameter,
  type PlannedLayer,
  type StateEntry,
} from './model-plan.js';

export class Model {
  readonly values: Float32Array;
  readonly grads: Float32Array;
  readonly parameters: readonly NamedParameter[];
  readonly buffers: readonly NamedBuffer[];
  readonly outputWidth: number;
  /** The stream every dropout layer draws its masks from; a checkpoint saves and restores its state. */
  readonly dropoutRng: Rng;
  private readonly layers: readonly Layer[];
  private readonly acts: readonly Float32Array[];
  private readonly actGrads: readonly Float32Array[];
  private readonly ties: readonly Tie[];
  /** The batch's shards, null for one shard (the whole batch through `layers`). */
  readonly batchShards: BatchShards | null;

  constructor(
    readonly plan: ModelPlan,
    readonly maxBatch: number,
    seed: number,
    /** How many shards a batch is cut into and on how many threads; unshardableLayer (batch-shards.ts) says whether the plan allows more than one. */
    shards: ShardSetting = ONE_SHARD,
  ) {
    this.values = allocFloat32(plan.parameterCount);
    this.grads = allocFloat32(plan.parameterCount);
    this.dropoutRng = new Rng(seed, 'dropout');
    const bound = bindLayers(plan, this.values, this.grads, { maxBatch, rng: this.dropoutRng });
    this.layers = bound.layers;
    this.parameters = bound.parameters;
    this.buffers = bound.buffers;
    this.ties = bound.ties;
    const shapes = [plan.inputShape, ...plan.layers.map((l) => l.plan.outShape)];
    this.acts = shapes.map((s) => allocFloat32(maxBatch * sizeOf(s)));
    this.actGrads = shapes.map((s, i) => (i === 0 ? allocFloat32(0) : allocFloat32(maxBatch * sizeOf(s))));
    this.outputWidth = sizeOf(plan.outShape);
    this.initialize(seed);
    this.batchShards = shards.count > 1 ? new BatchShards({ plan, values: this.values, grads: this.grads, layers: this.layers, acts: this.acts, actGrads: this.actGrads, maxBatch, rng: this.dropoutRng }, shards) : null;
  }

  /** Where the caller writes the input batch, [maxBatch, input size]. */
  get input(): Float32Array {
    return this.acts[0];
  }

  /** Where the caller writes ∂loss/∂output before calling backward. */
  get outputGrad(): Float32Array {
    return this.actGrads[this.actGrads.length - 1];
  }

  forward(batch: number, mode: Mode): Float32Array {
    this.checkBatch(batch);
    if (this.batchShards !== null) this.batchShards.forward(batch, mode);
    else for (let i = 0; i < this.layers.length; i++) this.layers[i].forward(this.acts[i], this.acts[i + 1], batch, mode);
    return this.acts[this.acts.length - 1];
  }

  /** Backpropagates outputGrad through the stack; fills `grads`. Call after forward(batch, 'train'). */
  backward(batch: number): void {
    this.checkBatch(batch);
    if (this.batchShards !== null) {
      this.batchShards.backward(batch);
      return; // no ties: a tied head is never sharded
    }
    for (let i = this.layers.length - 1; i >= 0; i--) {
      this.layers[i].backward(this.acts[i], this.acts[i + 1], this.actGrads[i + 1], i === 0 ? null : this.actGrads[i], batch);
    }
    for (const { shared, own } of this.ties) for (let j = 0; j < own.length; j++) shared[j] += own[j];
  }

  /** Puts every parameter that has an allowed set back onto it; called after each optimizer step. */
  project(): void {
    for (const layer of this.layers) layer.project?.();
  }

  /** Fresh parameters drawn as torch's defaults draw them, from the seed's init stream; buffers reset. */
  initialize(seed: number): void {
    const rng = new Rng(seed, 'init');
    for (const p of this.parameters) {
      const init = p.init;
      if (init.kind === 'constant') p.value.fill(init.value);
      else if (init.kind === 'normal') for (let i = 0; i < p.value.length; i++) p.value[i] = init.std * rng.normal();
      else if (init.kind === 'values') p.value.set(init.values);
      else for (let i = 0; i < p.value.length; i++) p.value[i] = rng.uniformIn(-init.bound, init.bound);
    }
    for (const b of this.buffers) b.value.fill(b.fill);
  }

  private checkBatch(batch: number): void {
    if (!(batch >= 1 && batch <= this.maxBatch)) throw new RangeError(`batch ${batch} outside 1..${this.maxBatch}`);
  }
}
