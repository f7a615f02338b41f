/**
 * Which slice of a sweep this process runs: `--shard K/N`, or from the environment of a job
 * array — Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (whatever the array's first index),
 * or Kubernetes' JOB_COMPLETION_INDEX with `--shards N`.
 */
import { UsageError } from '../errors.js';
import type { Shard } from '../train/sweep.js';

export function resolveShard(option: string | undefined, shards: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  if (option !== undefined) return parseShard(option);
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  const slurmCount = env.SLURM_ARRAY_TASK_COUNT;
  if (slurmId !== undefined && slurmCount !== undefined) {
    const first = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    return checked(Number(slurmId) - first + 1, Number(slurmCount), `SLURM_ARRAY_TASK_ID=${slurmId}, SLURM_ARRAY_TASK_COUNT=${slurmCount}`);
  }
  const index = env.JOB_COMPLETION_INDEX;
  if (index !== undefined) {
    if (shards === undefined) throw new UsageError('JOB_COMPLETION_INDEX is set: give the number of shards with --shards N (the Job\'s completions)');
    return checked(Number(index) + 1, Number(shards), `JOB_COMPLETION_INDEX=${index} with --shards ${shards}`);
  }
  if (shards !== undefined) throw new UsageError('--shards N goes with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); otherwise use --shard K/N');
  return null;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`--shard ${text}: expected K/N, e.g. --shard 2/4 for the second of four slices`);
  return checked(Number(match[1]), Number(match[2]), `--shard ${text}`);
}

function checked(index: number, count: number, source: string): Shard {
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`${source}: the number of shards must be a positive integer`);
  if (!Number.isInteger(index) || index < 1 || index > count) throw new UsageError(`${source}: shard ${index} does not exist; shards are 1..${count}`);
  return { index, count };
}
