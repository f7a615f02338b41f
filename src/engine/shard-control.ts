/**
 * How the main thread and the shard workers of batch-shards.ts talk: a block of Int32 words in
 * the engine memory, written with Atomics (sequentially consistent, so the parameters, inputs
 * and output gradients the main thread wrote before posting a job are what a worker reads).
 *
 *   seq      the last job posted, (job number << 3) | what it is — a forward pass in a mode
 *            (its index in MODES), BACKWARD or QUIT — in one word, so that a worker never reads
 *            one job's number with another's kind; workers wait for it to change
 *   start    the job's first row in the model's buffers (a forward round of a larger batch)
 *   batch    the rows of the job's batch, which its shards cut
 *   claim    (job number << 8) | the next shard to claim, for a forward job; a shard is taken
 *            by whichever thread moves this word on (compare-and-swap), as gemm-team.ts claims
 *            bands, so a worker that is late, slow or gone only leaves more to the main thread
 *   done     shards a worker finished in this job; the main thread waits for the workers' count
 *   failed   1 when a worker's shard threw
 *   taken    shards the workers have run forward so far (whether sharing happens, for tests)
 *   owner    per shard (from word OWNER): the thread that ran its forward pass (0 the main
 *            thread, 1, 2, … the workers), which runs its backward pass too: the layers keep
 *            what backward needs from forward in their own scratch
 */
import type { Mode } from './layer.js';
import type { ArenaRegion } from '../kernels/arena.js';
import type { Shape } from '../core/shape.js';
import type { LayerConfig } from './layers/registry.js';

export const CTL = { seq: 0, start: 1, batch: 2, claim: 3, done: 4, failed: 5, taken: 6 } as const;
export const OWNER = 8;
export const MODES: readonly Mode[] = ['train', 'eval', 'update_bn'];
export const BACKWARD = MODES.length;
export const QUIT = BACKWARD + 1;
export const MAIN_THREAD = 0;
/** Job numbers in the claim word's upper 23 bits; the shard index below them needs 8 (MAX_SHARDS is 16). */
const SHARD_BITS = 8;
const JOB_MASK = 0x7fffff;
const OP_BITS = 3;

export function controlWords(shards: number): number {
  return OWNER + shards;
}

/** The seq word of job number `job`, of kind `op`. */
export function jobWord(job: number, op: number): number {
  return ((job & JOB_MASK) << OP_BITS) | op;
}

export function jobOf(word: number): number {
  return word >>> OP_BITS;
}

export function opOf(word: number): number {
  return word & ((1 << OP_BITS) - 1);
}

/** The claim word of job number `job` that starts with shard `first` unclaimed. */
export function claimWord(job: number, first: number): number {
  return ((job & JOB_MASK) << SHARD_BITS) | first;
}

/** Claims the next shard of job number `job` for thread `thread`, recording it as the shard's owner; -1 when none is left or the job is over. */
export function claimShard(ctl: Int32Array, job: number, shards: number, thread: number): number {
  for (;;) {
    const word = Atomics.load(ctl, CTL.claim);
    const shard = word & ((1 << SHARD_BITS) - 1);
    if (word >>> SHARD_BITS !== (job & JOB_MASK) || shard >= shards) return -1;
    if (Atomics.compareExchange(ctl, CTL.claim, word, word + 1) !== word) continue;
    Atomics.store(ctl, OWNER + shard, thread);
    return shard;
  }
}

/** Byte offsets in the engine memory of what a shard worker works on. */
export interface ShardOffsets {
  readonly values: number;
  /** Per shard, its gradient (shard 0's is the model's). */
  readonly shardGrads: readonly number[];
  /** Per layer boundary, the activations and their gradients (−1 for the input's, which has none). */
  readonly acts: readonly number[];
  readonly actGrads: readonly number[];
  readonly control: number;
}

/** Everything a shard worker needs to build its replicas over its parent's memory (plain data: it is posted to the worker). */
export interface ShardWorkerSetup {
  readonly arenaRegion: ArenaRegion;
  /** The model's layer configs and input shape, planned again in the worker (a plan holds functions, which cannot be posted). */
  readonly layers: readonly LayerConfig[];
  readonly inputShape: Shape;
  readonly offsets: ShardOffsets;
  /** Parameters, the rows of the model's buffers, the rows of a replica (the largest shard of a training batch), shards. */
  readonly sizes: { readonly parameters: number; readonly maxBatch: number; readonly rows: number; readonly shards: number };
  /** This worker's number in the owner words (1, 2, …). */
  readonly thread: number;
}
