/**
 * Data parallelism inside one training step: the batch is cut into `count` shards of rows
 * (shardStart: fixed by the batch and the count, never by the threads), each shard goes forward
 * and backward through a replica of the layers of its own (shard-replica.ts) on its rows of the
 * model's activation buffers, and the shards' parameter gradients are added in shard order into
 * the model's gradient: g = ((g0 + g1) + g2) + …. The loss between forward and backward is the
 * caller's, over the whole batch and its mean as before, so the output gradient each shard
 * backpropagates is already scaled by the full batch.
 *
 * What the shard count changes and what it does not: a row's forward and its input gradient come
 * from that row alone, the same bits for any cut; a parameter gradient is a sum over the batch,
 * which the cut splits into partial sums, so `count` decides bits and is recorded as a run
 * setting (kernels/choice.ts). The threads decide none: a shard computes the same bits on any
 * thread, and the sum's order is the shards' order. Evaluation (eval mode) is cut the same way,
 * with the same bits as an uncut pass, in rounds when its batch is larger than a training one.
 *
 * Threads: shard 0 always runs on the main thread, on the model's own layers (writing the model's
 * gradient); every other shard is claimed by whichever thread takes it first — the main thread,
 * which keeps a replica of every shard, or one of `threads − 1` shard workers (shard-worker.ts),
 * which keep theirs in a region of the engine memory reserved for them here. On one thread the
 * shards run one after the other. Only layers that treat every sample on its own and draw no
 * randomness can be split (SAMPLE_WISE); unshardableLayer names the first that cannot, for the
 * run to refuse the setting with a message.
 */
import { Worker } from 'node:worker_threads';
import { bindLayers } from './bind.js';
import type { Layer, Mode } from './layer.js';
import { layerName, tiedEmbedding } from './layers/registry.js';
import type { ModelPlan } from './model-plan.js';
import { BACKWARD, claimShard, claimWord, controlWords, CTL, jobOf, jobWord, MAIN_THREAD, MODES, OWNER, QUIT, type ShardWorkerSetup } from './shard-control.js';
import { largestShard, ShardReplica, shardRows, shardStart } from './shard-replica.js';
import type { Rng } from '../core/rng.js';
import { allocFloat32, arenaInt32, arenaOffset, arenaScratch, arenaUsage, memory } from '../kernels/arena.js';
import { kernelChoice, SHARDS_VARIABLE, teamThreads } from '../kernels/choice.js';
import { builtFile, SCRATCH_BYTES } from '../kernels/gemm.js';
import { CONTROL_BYTES, waitWhile } from '../kernels/gemm-team.js';
import { addScaledWasm } from '../kernels/optimizer-kernels.js';

export interface ShardSetting {
  /** Shards a batch is cut into (kernelChoice().shards). */
  readonly count: number;
  /** Threads that run them at once, this one included (kernelChoice().shardThreads). */
  readonly threads: number;
  /**
   * The largest batch a training step gives (the model's maxBatch when absent): the replicas are
   * sized for its shards, and a larger batch — evaluation's — goes forward in rounds of that many
   * rows, which a row-wise forward pass does not notice. Evaluation batches are often far larger
   * than training ones, and replicas sized for them would hold most of the model's memory again.
   */
  readonly trainBatch?: number;
}

export const ONE_SHARD: ShardSetting = { count: 1, threads: 1 };

/** The setting kernelChoice() made: ADAM_LAB_SHARDS, and the threads that run the shards. */
export function chosenShards(): ShardSetting {
  const { shards, shardThreads } = kernelChoice();
  return shards === 1 ? ONE_SHARD : { count: shards, threads: shardThreads };
}

/**
 * Layers whose output rows and input gradient rows for a sample depend on that sample alone and
 * that draw no randomness. Batch norm (statistics over the batch) and dropout (masks drawn in
 * order over the batch) are not; sequence layers and tied weights are left out until tested.
 */
export const SAMPLE_WISE: readonly string[] = ['linear', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu', 'flatten', 'conv2d', 'maxpool2d', 'avgpool2d'];

/** The index of the first layer a batch cannot be cut across, or null when every layer can be (an objective's parameters are no layers of a batch: 0). */
export function unshardableLayer(plan: ModelPlan): number | null {
  if (plan.naming === 'bare') return 0;
  const index = plan.layers.findIndex((l) => !SAMPLE_WISE.includes(layerName(l.config)) || tiedEmbedding(l.config) !== undefined);
  return index < 0 ? null : index;
}

/** What BatchShards takes from the model it cuts batches for. */
export interface ShardedModel {
  readonly plan: ModelPlan;
  /** The flat parameters every replica reads, and the gradient shard 0 writes. */
  readonly values: Float32Array;
  readonly grads: Float32Array;
  /** The model's own layers: shard 0's replica. */
  readonly layers: readonly Layer[];
  /** Per layer boundary, [maxBatch, width]: the activations and their gradients, whose rows the shards share out. */
  readonly acts: readonly Float32Array[];
  readonly actGrads: readonly Float32Array[];
  readonly maxBatch: number;
  /** The dropout stream a layer's build takes (no layer a shard runs draws from it). */
  readonly rng: Rng;
}

/** Room for a worker's GEMM team of one thread (its control block and packing scratch) and for the arena's rounding, beside its replicas. */
const WORKER_EXTRA_BYTES = CONTROL_BYTES + SCRATCH_BYTES.packA + SCRATCH_BYTES.packB + SCRATCH_BYTES.tile + (1 << 20);

/** Tells a model's workers to end once the model is collected. */
const retired = new FinalizationRegistry<Int32Array>((ctl) => {
  Atomics.store(ctl, CTL.seq, jobWord(jobOf(Atomics.load(ctl, CTL.seq)) + 1, QUIT));
  Atomics.notify(ctl, CTL.seq);
});

export class BatchShards {
  readonly count: number;
  private readonly replicas: readonly ShardReplica[];
  /** Per shard, the gradient its replica writes: shard 0's is the model's. */
  private readonly shardGrads: readonly Float32Array[];
  /** The control block (shard-control.ts), null when no worker runs shards. */
  private readonly ctl: Int32Array | null;
  /** Rows a forward round takes: the training batch, whose shards the replicas are sized for. */
  private readonly round: number;
  private job = 0;

  constructor(model: ShardedModel, setting: ShardSetting) {
    const { count } = setting;
    const unshardable = unshardableLayer(model.plan);
    if (unshardable !== null) throw new RangeError(`layer ${unshardable} cannot run on shards of a batch`);
    this.count = count;
    const widths = model.acts.map((a) => a.length / model.maxBatch);
    const trainBatch = Math.min(setting.trainBatch ?? model.maxBatch, model.maxBatch);
    const largest = largestShard(trainBatch, count);
    this.round = trainBatch;
    const used = arenaUsage().used;
    const shardGrads = [model.grads];
    const replicas = [new ShardReplica(model.layers, model.acts, model.actGrads, widths)];
    for (let s = 1; s < count; s++) {
      const grads = allocFloat32(model.plan.parameterCount);
      const { layers } = bindLayers(model.plan, model.values, grads, { maxBatch: largest, rng: model.rng });
      shardGrads.push(grads);
      replicas.push(new ShardReplica(layers, model.acts, model.actGrads, widths));
    }
    // No collection runs within this synchronous stretch, so the growth is exactly the replicas' bytes.
    const replicaBytes = arenaUsage().used - used;
    this.replicas = replicas;
    this.shardGrads = shardGrads;
    this.ctl = setting.threads > 1 && count > 1 ? this.startWorkers(model, largest, Math.min(setting.threads, count) - 1, replicaBytes + WORKER_EXTRA_BYTES) : null;
  }

  /** Shards the worker threads have run forward so far: whether sharing between threads actually happens. */
  get workerShards(): number {
    return this.ctl === null ? 0 : Atomics.load(this.ctl, CTL.taken);
  }

  /** Runs every shard of a batch of `batch` rows forward, in rounds of a training batch; the output lands in the model's last activation buffer, whole. */
  forward(batch: number, mode: Mode): void {
    if (mode !== 'eval' && batch > this.round) throw new RangeError(`a ${mode} batch of ${batch} rows, more than the ${this.round} the shards were made for`);
    for (let start = 0; start < batch; start += this.round) this.forwardRound(start, Math.min(this.round, batch - start), mode);
  }

  /** Rows [start, start + batch) forward, cut into the shards. */
  private forwardRound(start: number, batch: number, mode: Mode): void {
    const { ctl, count } = this;
    if (ctl === null) {
      for (let s = 0; s < count; s++) this.forwardShard(s, start, batch, mode);
      return;
    }
    this.post(ctl, MODES.indexOf(mode), start, batch, 1);
    this.forwardShard(0, start, batch, mode);
    let mine = 0;
    for (let s = claimShard(ctl, this.job, count, MAIN_THREAD); s >= 0; s = claimShard(ctl, this.job, count, MAIN_THREAD), mine++) this.forwardShard(s, start, batch, mode);
    this.waitForWorkers(ctl, count - 1 - mine);
  }

  /** Backpropagates every shard on the thread that ran its forward pass, then adds the shards' gradients into the model's in shard order. */
  backward(batch: number): void {
    const { ctl, count } = this;
    if (ctl === null) for (let s = 0; s < count; s++) this.backwardShard(s, batch);
    else {
      let theirs = 0;
      for (let s = 1; s < count; s++) if (Atomics.load(ctl, OWNER + s) !== MAIN_THREAD) theirs++;
      if (theirs > 0) this.post(ctl, BACKWARD, 0, batch, count);
      for (let s = 0; s < count; s++) if (Atomics.load(ctl, OWNER + s) === MAIN_THREAD) this.backwardShard(s, batch);
      if (theirs > 0) this.waitForWorkers(ctl, theirs);
    }
    const total = this.shardGrads[0];
    for (let s = 1; s < count; s++) {
      if (shardRows(batch, count, s) === 0) continue;
      const grads = this.shardGrads[s];
      // 1·g is g exactly, so this is the plain sum's bits on either kernel.
      if (!addScaledWasm(total, grads, 1)) for (let j = 0; j < total.length; j++) total[j] += grads[j];
    }
  }

  private forwardShard(s: number, start: number, batch: number, mode: Mode): void {
    const rows = shardRows(batch, this.count, s);
    if (rows > 0) this.replicas[s].forward(start + shardStart(batch, this.count, s), rows, mode);
  }

  private backwardShard(s: number, batch: number): void {
    const rows = shardRows(batch, this.count, s);
    if (rows > 0) this.replicas[s].backward(shardStart(batch, this.count, s), rows);
  }

  /** Posts job `op` on a batch of `batch` rows from row `start` on, its shards claimable from `first` on. */
  private post(ctl: Int32Array, op: number, start: number, batch: number, first: number): void {
    if (Atomics.load(ctl, CTL.failed) !== 0) throw new Error(WORKER_FAILED);
    this.job++;
    Atomics.store(ctl, CTL.start, start);
    Atomics.store(ctl, CTL.batch, batch);
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.claim, claimWord(this.job, first));
    Atomics.store(ctl, CTL.seq, jobWord(this.job, op));
    Atomics.notify(ctl, CTL.seq);
  }

  private waitForWorkers(ctl: Int32Array, shards: number): void {
    for (let done = Atomics.load(ctl, CTL.done); done !== shards; ) done = waitWhile(ctl, CTL.done, done);
    if (Atomics.load(ctl, CTL.failed) !== 0) throw new Error(WORKER_FAILED);
  }

  /** Starts `workers` shard workers, each with `regionBytes` of the memory for its replicas of `rows` rows; null when there is no shared memory or no built worker. */
  private startWorkers(model: ShardedModel, rows: number, workers: number, regionBytes: number): Int32Array | null {
    const file = builtFile('../engine/shard-worker.js');
    if (memory === null || file === null) return null;
    const control = arenaInt32(controlWords(this.count));
    const choice = kernelChoice();
    // Each worker's kernels: the path this thread has, and its share of the threads for large products.
    const env = { ...process.env, ADAM_LAB_KERNEL: choice.path, ADAM_LAB_THREADS: String(teamThreads(choice)), [SHARDS_VARIABLE]: '' };
    for (let thread = 1; thread <= workers; thread++) {
      const start = arenaScratch(regionBytes);
      const setup: ShardWorkerSetup = {
        arenaRegion: { memory, start, end: start + regionBytes },
        layers: model.plan.layers.map((l) => l.config),
        inputShape: model.plan.inputShape,
        offsets: {
          values: arenaOffset(model.values),
          shardGrads: this.shardGrads.map(arenaOffset),
          acts: model.acts.map(arenaOffset),
          actGrads: model.actGrads.map((g, i) => (i === 0 ? -1 : arenaOffset(g))),
          control: arenaOffset(control),
        },
        sizes: { parameters: model.plan.parameterCount, maxBatch: model.maxBatch, rows, shards: this.count },
        thread,
      };
      // No inherited execArgv, as for the matmul workers (gemm-team.ts).
      const worker = new Worker(file, { workerData: setup, execArgv: [], env });
      worker.on('error', () => Atomics.store(control, CTL.failed, 1));
      worker.unref();
    }
    retired.register(this, control);
    return control;
  }
}

const WORKER_FAILED = 'a batch shard worker thread failed; rerun with ADAM_LAB_THREADS=1 to see the error on this thread';
