/**
 * A batch shard worker (batch-shards.ts): replicas of the model's layers for shards 1 … count−1,
 * built in the region of its parent's engine memory that the parent reserved for it (the arena
 * adopts it from workerData, kernels/arena.ts), over the parent's parameters and activations.
 * It claims shards of each forward job, runs the backward pass of the shards it claimed, and
 * ends on QUIT. A shard that throws (or a replica that cannot be built) sets the failed word,
 * and the main thread stops the run saying so.
 */
import { workerData } from 'node:worker_threads';
import { bindLayers } from './bind.js';
import { planModel } from './model-plan.js';
import { BACKWARD, claimShard, controlWords, CTL, jobOf, MODES, opOf, OWNER, QUIT, type ShardWorkerSetup } from './shard-control.js';
import { ShardReplica, shardRows, shardStart } from './shard-replica.js';
import { Rng } from '../core/rng.js';
import { sizeOf } from '../core/shape.js';
import { arenaView } from '../kernels/arena.js';
import { waitWhile } from '../kernels/gemm-team.js';

const { layers: configs, inputShape, offsets, sizes, thread } = workerData as ShardWorkerSetup;
const { shards, maxBatch, rows, parameters } = sizes;
const ctl = new Int32Array(arenaView(offsets.control, controlWords(shards)).buffer, offsets.control, controlWords(shards));

function buildReplicas(): ShardReplica[] {
  const plan = planModel(configs, inputShape);
  const widths = [plan.inputShape, ...plan.layers.map((l) => l.plan.outShape)].map(sizeOf);
  const acts = offsets.acts.map((offset, i) => arenaView(offset, maxBatch * widths[i]));
  const actGrads = offsets.actGrads.map((offset, i) => (offset < 0 ? acts[0].subarray(0, 0) : arenaView(offset, maxBatch * widths[i])));
  const values = arenaView(offsets.values, parameters);
  // No layer a shard runs draws from the dropout stream; the context still has to name one.
  const rng = new Rng(0, 'dropout');
  const replicas: ShardReplica[] = [];
  for (let s = 0; s < shards; s++) {
    // Shard 0 always runs on the main thread: no layers for it here.
    const layers = s === 0 ? [] : bindLayers(plan, values, arenaView(offsets.shardGrads[s], parameters), { maxBatch: rows, rng }).layers;
    replicas.push(new ShardReplica(layers, acts, actGrads, widths));
  }
  return replicas;
}

/** Does this thread's part of the job in `word`; false on QUIT. */
function serve(replicas: readonly ShardReplica[], word: number): boolean {
  const op = opOf(word);
  if (op === QUIT) return false;
  const start = Atomics.load(ctl, CTL.start);
  const batch = Atomics.load(ctl, CTL.batch);
  if (op === BACKWARD) {
    for (let s = 1; s < shards; s++) if (Atomics.load(ctl, OWNER + s) === thread) finish(replicas[s], op, start, batch, s);
  } else {
    for (let s = claimShard(ctl, jobOf(word), shards, thread); s >= 0; s = claimShard(ctl, jobOf(word), shards, thread)) {
      Atomics.add(ctl, CTL.taken, 1);
      finish(replicas[s], op, start, batch, s);
    }
  }
  return true;
}

/** Runs job `op` on shard `s` (nothing for an empty shard) and counts it done, failed or not, so that the main thread never waits forever. */
function finish(replica: ShardReplica, op: number, start: number, batch: number, s: number): void {
  const count = shardRows(batch, shards, s);
  const from = start + shardStart(batch, shards, s);
  try {
    if (count > 0 && op === BACKWARD) replica.backward(from, count);
    else if (count > 0) replica.forward(from, count, MODES[op]);
  } catch {
    Atomics.store(ctl, CTL.failed, 1);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}

let replicas: ShardReplica[] | null = null;
try {
  replicas = buildReplicas();
} catch {
  Atomics.store(ctl, CTL.failed, 1);
}
if (replicas !== null) {
  for (let handled = 0; ; ) {
    handled = waitWhile(ctl, CTL.seq, handled);
    if (!serve(replicas, handled)) break;
  }
}
