/**
 * One batch shard's copy of the layer stack (batch-shards.ts): the model's layers bound to the
 * model's parameters and to a gradient vector of the shard's own, run on the shard's rows of the
 * model's activation buffers. Every layer a shard may run (SAMPLE_WISE in batch-shards.ts) reads
 * and writes rows of one sample from rows of that sample alone, so rows [from, from + rows) of
 * the model's buffers are an ordinary batch to it; its scratch (unfolded patches, pool winners)
 * is its own, sized for the largest shard. The main thread and a shard worker
 * (shard-worker.ts) build replicas alike.
 */
import type { Layer, Mode } from './layer.js';

/**
 * The first row of shard `index` of `shards` in a batch of `batch` rows: the batch and the shard
 * count decide it, never the threads. Shards differ by at most one row, and shard 0, whose
 * gradient the others are added to, has the most, so it is never empty (a batch of fewer rows
 * than shards leaves some of the others empty).
 */
export function shardStart(batch: number, shards: number, index: number): number {
  return batch - Math.floor(((shards - index) * batch) / shards);
}

/** The rows of shard `index`. */
export function shardRows(batch: number, shards: number, index: number): number {
  return shardStart(batch, shards, index + 1) - shardStart(batch, shards, index);
}

/** The largest shard of a batch of `batch` rows. */
export function largestShard(batch: number, shards: number): number {
  return Math.ceil(batch / shards);
}

export class ShardReplica {
  /** Views of the activations and their gradients from the shard's first row on, for the last `from` they were made for. */
  private from = -1;
  private readonly acts: Float32Array[];
  private readonly actGrads: (Float32Array | null)[];

  constructor(
    private readonly layers: readonly Layer[],
    /** The model's buffers per layer boundary, [maxBatch, width]: acts[0] the input, actGrads[i] = ∂loss/∂acts[i] (none for the input). */
    private readonly modelActs: readonly Float32Array[],
    private readonly modelActGrads: readonly Float32Array[],
    private readonly widths: readonly number[],
  ) {
    this.acts = [...modelActs];
    this.actGrads = modelActGrads.map((g, i) => (i === 0 ? null : g));
  }

  forward(from: number, rows: number, mode: Mode): void {
    this.place(from);
    for (let i = 0; i < this.layers.length; i++) this.layers[i].forward(this.acts[i], this.acts[i + 1], rows, mode);
  }

  /** Backpropagates the shard's rows of the model's output gradient; writes the replica's parameter gradients. Call after forward(from, rows, 'train'). */
  backward(from: number, rows: number): void {
    this.place(from);
    for (let i = this.layers.length - 1; i >= 0; i--) this.layers[i].backward(this.acts[i], this.acts[i + 1], this.actGrads[i + 1] as Float32Array, this.actGrads[i], rows);
  }

  /** Views from row `from` on (the layers touch only the rows they are told), made again only when a batch of another size moves the shard. */
  private place(from: number): void {
    if (from === this.from) return;
    this.from = from;
    for (let i = 0; i < this.widths.length; i++) {
      this.acts[i] = this.modelActs[i].subarray(from * this.widths[i]);
      if (i > 0) this.actGrads[i] = this.modelActGrads[i].subarray(from * this.widths[i]);
    }
  }
}
