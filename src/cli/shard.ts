/**
 * Which slice of a sweep this process runs: `--shard K/N`, or from the environment of a job
 * array — Slurm's SLURM_ARRAY_TASK_ID/_MIN/_STEP/_COUNT (any first index and step), or
 * Kubernetes' JOB_COMPLETION_INDEX — where `--shards N` fixes the count (required for
 * Kubernetes; for Slurm it replaces SLURM_ARRAY_TASK_COUNT). A Slurm task's slice is its place
 * in its own array, so a task resubmitted alone (--array=3) is the first of its array: to rerun
 * one slice, name it with --shard K/N.
 */
import { UsageError } from '../core/errors.js';
import type { Shard } from '../lab/trial-pool.js';

export interface ChosenShard extends Shard {
  /** Where the slice came from, for the first line of output. */
  readonly source: string;
}

export function resolveShard(option: string | undefined, shards: string | undefined, env: NodeJS.ProcessEnv): ChosenShard | null {
  if (option !== undefined) return { ...parseShard(option), source: `--shard ${option}` };
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  if (slurmId !== undefined) {
    const first = wholeNumber(env, 'SLURM_ARRAY_TASK_MIN', 0);
    const step = wholeNumber(env, 'SLURM_ARRAY_TASK_STEP', 1);
    const count = shards ?? env.SLURM_ARRAY_TASK_COUNT;
    const source = `SLURM_ARRAY_TASK_ID=${slurmId} (min ${first}, step ${step}) of ${shards === undefined ? `SLURM_ARRAY_TASK_COUNT=${count}` : `--shards ${shards}`}`;
    if (count === undefined) throw new UsageError(`${source}: give the number of shards with --shards N`);
    const offset = wholeNumber(env, 'SLURM_ARRAY_TASK_ID', 0) - first;
    if (offset % step !== 0) throw new UsageError(`${source}: the task id is not on the array's step`);
    return { ...checked(offset / step + 1, Number(count), source), source };
  }
  const index = env.JOB_COMPLETION_INDEX;
  if (index !== undefined) {
    if (shards === undefined) throw new UsageError("JOB_COMPLETION_INDEX is set: give the number of shards with --shards N (the Job's completions)");
    const source = `JOB_COMPLETION_INDEX=${index} of --shards ${shards}`;
    return { ...checked(wholeNumber(env, 'JOB_COMPLETION_INDEX', 0) + 1, Number(shards), source), source };
  }
  if (shards !== undefined) throw new UsageError('--shards N goes with a job array (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); otherwise use --shard K/N');
  return null;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`--shard ${text}: expected K/N, e.g. --shard 2/4 for the second of four slices`);
  return checked(Number(match[1]), Number(match[2]), `--shard ${text}`);
}

/**
 * A job array's index from the environment, or `absent` when it is not set: digits only, since
 * Number() would read an empty or blank variable as 0 and run another task's slice.
 */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, absent: number): number {
  const text = env[name];
  if (text === undefined) return absent;
  if (!/^\d+$/.test(text)) throw new UsageError(`${name}='${text}' is not a task index (a whole number); is the job array's environment set right?`);
  return Number(text);
}

function checked(index: number, count: number, source: string): Shard {
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`${source}: the number of shards must be a positive integer`);
  if (!Number.isInteger(index) || index < 1 || index > count) throw new UsageError(`${source}: shard ${index} does not exist; shards are 1..${count}`);
  return { index, count };
}
