import { describe, expect, it } from 'vitest';
import { resolveShard } from '../../src/cli/shard.js';
import { UsageError } from '../../src/core/errors.js';

describe('choosing the shard', () => {
  it('takes --shard K/N first', () => {
    expect(resolveShard('2/4', undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '9' })).toEqual({ index: 2, count: 4, source: '--shard 2/4' });
  });

  it('reads Slurm arrays whatever their first index and step', () => {
    expect(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '3' })).toMatchObject({ index: 1, count: 3 });
    expect(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_COUNT: '3' })).toMatchObject({ index: 3, count: 3 });
    const stepped = { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '3' };
    expect([0, 2, 4].map((id) => resolveShard(undefined, undefined, { ...stepped, SLURM_ARRAY_TASK_ID: String(id) })?.index)).toEqual([1, 2, 3]);
  });

  it('lets --shards fix the count, so one resubmitted array task keeps its slice', () => {
    expect(resolveShard(undefined, '4', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_COUNT: '1' })).toMatchObject({ index: 1, count: 4 });
    expect(resolveShard(undefined, '4', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '1' })).toMatchObject({ index: 3, count: 4 });
  });

  it("reads Kubernetes' JOB_COMPLETION_INDEX with --shards", () => {
    expect(resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4, source: 'JOB_COMPLETION_INDEX=0 of --shards 4' });
    expect(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(/--shards N/);
    expect(() => resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '4' })).toThrow(/shard 5 does not exist; shards are 1\.\.4/);
  });

  it('refuses impossible or malformed shards', () => {
    for (const bad of ['3/2', '0/2', '1/0', 'a/b', '2']) expect(() => resolveShard(bad, undefined, {})).toThrow(UsageError);
    expect(() => resolveShard(undefined, '2', {})).toThrow(/goes with a job array/);
    expect(resolveShard(undefined, undefined, {})).toBeNull();
  });
});
