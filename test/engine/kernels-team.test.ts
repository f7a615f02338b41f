/**
 * The matmul team's hand-off (gemm-team.ts) under the conditions that once made the full
 * suite fail with "a matmul worker thread failed" while the file alone passed:
 *
 *  - a team's control block taken from recycled memory. arenaScratch handed out a block a
 *    collected array had given back without zeroing it; the kernels test fills its outputs
 *    with NaN, and when the machine was busy the test's waiting gave the FinalizationRegistry
 *    time to recycle one such output as the next team's control block, whose `failed` flag
 *    then read non-zero before any worker had run. Reproduced here deterministically in a
 *    fresh process (nothing else in its free list) with a forced collection;
 *  - the memory growing after the workers started: their views of the control block stay
 *    valid (a shared memory never detaches) and their kernel instances see the new pages;
 *  - a worker that read a job's claim word just before the job ended, then resumed while the
 *    next job's numbers were being written.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { arenaOffset, arenaScratch, arenaUsage, memory } from '../../src/kernels/arena.js';
import { builtFile, Gemm, SCRATCH_BYTES } from '../../src/kernels/gemm.js';
import { closeJob, CONTROL, CONTROL_BYTES, controlViews, JOB, postJob, workOn, type Control } from '../../src/kernels/gemm-team.js';
import { kernelChoice } from '../../src/kernels/choice.js';
import { matmulABReference } from '../../src/kernels/matmul.js';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32 } from '../../src/kernels/arena.js';
import { firstBitDifference } from '../bits.js';
import { DIST, runBuilt } from './run-built.js';

const { path: KERNEL, module: kernelModule } = kernelChoice();

const RECYCLED_CONTROL = `
import { allocFloat32 } from '${DIST}kernels/arena.js';
import { arenaOffset, arenaScratch, arenaUsage, memory } from '${DIST}kernels/arena.js';
import { CONTROL_BYTES } from '${DIST}kernels/gemm-team.js';
import { kernelChoice } from '${DIST}kernels/choice.js';
import { createTeam, matmulABReference } from '${DIST}kernels/matmul.js';

/** Drops the only reference to a NaN-filled block of 'bytes' and waits until the arena has it back; returns its offset. */
async function recycleDirty(bytes) {
  let dirty = allocFloat32(bytes / 4).fill(Number.NaN);
  const offset = dirty.byteOffset;
  const used = arenaUsage().used;
  dirty = null;
  for (let i = 0; i < 200 && arenaUsage().used >= used; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return offset;
}

const bytes = Math.ceil(CONTROL_BYTES / 64) * 64;
const first = await recycleDirty(bytes);
const scratch = arenaScratch(CONTROL_BYTES);
const scratchZeroed = new Uint8Array(memory.buffer, scratch, bytes).every((b) => b === 0);

// Freed again, the next block of that size is the recycled one again (the top of a fresh
// arena goes back to the allocator whole), and the control block is the first scratch a team reserves.
await recycleDirty(bytes);
const team = createTeam(kernelChoice().module, 2);
const [m, k, n] = [64, 300, 96];
const a = allocFloat32(m * k), b = allocFloat32(k * n), c = allocFloat32(m * n), want = allocFloat32(m * n);
for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
for (let i = 0; i < b.length; i++) b[i] = Math.cos(i);
matmulABReference(want, a, b, m, k, n);
let error = null;
let same = true;
// The stale flag failed the very first product, whoever computed its bands.
try {
  for (let repeat = 0; repeat < 3; repeat++) {
    c.fill(Number.NaN);
    team.run(arenaOffset(c), n, arenaOffset(a), k, false, arenaOffset(b), n, false, m, k, n, -1);
    for (let i = 0; i < c.length; i++) if (!Object.is(c[i], want[i])) same = false;
  }
} catch (e) {
  error = String(e);
}
console.log(JSON.stringify({ reused: first === scratch, scratchZeroed, error, same }));
`;

function filled(rng: Rng, length: number): Float32Array {
  const x = allocFloat32(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniformIn(-1, 1);
  return x;
}

/** Writes a job's fields into the control block, then posts it as job `id`, as GemmTeam.run does. */
function post(control: Control, id: number, fields: Record<keyof typeof JOB, number>): void {
  for (const key of Object.keys(JOB) as (keyof typeof JOB)[]) control.job[JOB[key]] = fields[key];
  postJob(control, id, id);
}

describe.skipIf(KERNEL === 'js')('the matmul team', () => {
  it('starts from zeroed control words even when its block is recycled memory full of NaNs', () => {
    const result = JSON.parse(runBuilt(RECYCLED_CONTROL, {}, ['--expose-gc'])) as Record<string, unknown>;
    expect(result.reused, 'the freed block came back').toBe(true);
    expect(result.error).toBeNull(); // was "a matmul worker thread failed; rerun with ADAM_LAB_THREADS=1 …"
    expect(result.scratchZeroed).toBe(true);
    expect(result.same).toBe(true);
  });

  // The worker does every band here (this thread posts and never claims), so what is tested
  // is certainly a worker's instance reading and writing memory added after it started.
  it('lets a worker started before the memory grew compute in the new memory', async () => {
    const mem = memory as NonNullable<typeof memory>;
    const control = controlViews(mem, arenaScratch(CONTROL_BYTES));
    const scratch = { packA: arenaScratch(SCRATCH_BYTES.packA), packB: arenaScratch(SCRATCH_BYTES.packB), tile: arenaScratch(SCRATCH_BYTES.tile) };
    const worker = new Worker(builtFile('gemm-worker.js') as string, { workerData: { module: kernelModule, memory: mem, scratch, control: control.ctl.byteOffset }, execArgv: [] });
    const rng = new Rng(4, 'data');
    const [m, k, n] = [20, 70, 48];
    /** Posts C = A·B as job `id` to the worker alone, waits until it has done both bands, compares with the reference. */
    const byWorker = async (id: number): Promise<void> => {
      const a = filled(rng, m * k);
      const b = filled(rng, k * n);
      const c = allocFloat32(m * n).fill(Number.NaN);
      const want = allocFloat32(m * n);
      matmulABReference(want, a, b, m, k, n);
      post(control, id, {
        c: arenaOffset(c), ldc: n, a: arenaOffset(a), lda: k, aByColumns: 0, b: arenaOffset(b), ldb: n, bByRows: 0,
        m, k, n, bias: -1, byColumns: 1, bandSize: 24, bands: 2,
      });
      const since = performance.now();
      while ((Atomics.load(control.ctl, CONTROL.finished) & 0xff) < 2 && performance.now() - since < 60_000) await new Promise((resolve) => setTimeout(resolve, 2));
      closeJob(control, id);
      expect(Atomics.load(control.ctl, CONTROL.failed), 'the worker failed').toBe(0);
      expect(Atomics.load(control.ctl, CONTROL.finished) & 0xff, 'bands done by the worker').toBe(2);
      expect(firstBitDifference(c, want)).toBe(-1);
    };
    try {
      await byWorker(1);
      const size = arenaUsage().size;
      const big = allocFloat32(size / 4); // cannot fit: the memory grows
      expect(arenaUsage().size).toBeGreaterThan(size);
      const next = allocFloat32(1);
      expect(arenaOffset(next)).toBeGreaterThanOrEqual(size); // what comes next lies past the old end
      await byWorker(2);
      expect(Atomics.load(control.ctl, CONTROL.workerBands)).toBe(4);
      expect(big.length + next.length).toBe(size / 4 + 1);
    } finally {
      await worker.terminate();
    }
  });

  it('lets a worker that read a claim word before its job ended claim nothing of the next job', () => {
    const control = controlViews(memory as NonNullable<typeof memory>, arenaScratch(CONTROL_BYTES));
    const scratch = { packA: arenaScratch(SCRATCH_BYTES.packA), packB: arenaScratch(SCRATCH_BYTES.packB), tile: arenaScratch(SCRATCH_BYTES.tile) };
    const gemm = new Gemm(kernelModule as object, memory as NonNullable<typeof memory>, scratch);
    const rng = new Rng(6, 'data');
    const [m, k, n] = [8, 16, 32];
    const a = filled(rng, m * k);
    const b = filled(rng, k * n);
    const c = allocFloat32(m * n);
    post(control, 1, {
      c: arenaOffset(c), ldc: n, a: arenaOffset(a), lda: k, aByColumns: 0, b: arenaOffset(b), ldb: n, bByRows: 0,
      m, k, n, bias: -1, byColumns: 1, bandSize: 16, bands: 2,
    });
    workOn(gemm, control, 1, true); // the caller takes both bands
    expect(Atomics.load(control.ctl, CONTROL.finished) & 0xff).toBe(2);
    closeJob(control, 1);
    const claim = Atomics.load(control.ctl, CONTROL.claim);
    // The next job's numbers are half written (more bands) when the stalled worker resumes.
    control.job[JOB.bands] = 8;
    c.fill(Number.NaN);
    workOn(gemm, control, 1, false);
    expect(Atomics.load(control.ctl, CONTROL.claim)).toBe(claim);
    expect(Atomics.load(control.ctl, CONTROL.workerBands)).toBe(0);
    expect(c.every(Number.isNaN)).toBe(true); // nothing computed
  });
});
