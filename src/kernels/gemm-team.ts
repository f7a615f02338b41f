/**
 * One matrix product shared between this thread and worker threads over the shared engine
 * memory. The output is cut into bands — of columns when n ≥ m, else of rows — and a band
 * is always computed whole by one thread with the same kernel, so every element is summed
 * in the same order whoever computes it: results are identical bit for bit with 1, 2 or 8
 * threads. (Cutting the larger dimension keeps the work each band repeats, packing the
 * operand all bands share, on the smaller one.)
 *
 * Bands are claimed, not assigned: there are BANDS_PER_THREAD per thread, and each thread,
 * the caller included, takes the next unclaimed band until none is left. On a busy machine
 * a worker may not get a core for milliseconds; with fixed halves the caller would sit
 * waiting for it (training slowed several times over while other processes ran:
 * bench/NOTES.md), whereas here the caller takes over the worker's bands and waits at most
 * for one band a worker has already started.
 *
 * Hand-off without messages, so the caller can block: a control block in the memory holds
 * the job counter workers wait on, the claim word, the count of finished bands and the
 * job's numbers as float64 (byte offsets may exceed 2³¹). The claim word packs the job's
 * number with the next band. Between jobs it is closed (band field full), and the job's
 * numbers are rewritten only while it is closed: a worker that read the previous job's claim
 * word before it was closed then fails its compare-and-swap instead of claiming a band of a
 * half-written job (postJob, closeJob). The control block starts zeroed (arenaScratch):
 * recycled memory once left a stale `failed` flag there, which failed a team's first product.
 * Waiting threads poll for SPIN_MS before sleeping in Atomics.wait. Workers start on the
 * first product big enough to share and are unref'd, so they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { builtFile, Gemm, MR, NR, type GemmScratch } from './gemm.js';
import type { WasmMemory } from './wasm-api.js';

/** Int32 slots of the control block; the job's float64 fields follow from byte JOB_OFFSET. */
export const CONTROL = { posted: 0, claim: 1, finished: 2, failed: 3, workerBands: 4 } as const;
export const JOB_OFFSET = 32;
/** Where each of the job's float64 fields lies (booleans as 0/1): the product as GemmTeam.run takes it, then how it is cut into bands. */
export const JOB = { c: 0, ldc: 1, a: 2, lda: 3, aByColumns: 4, b: 5, ldb: 6, bByRows: 7, m: 8, k: 9, n: 10, bias: 11, byColumns: 12, bandSize: 13, bands: 14 } as const;
const JOB_FIELDS = Object.keys(JOB).length;
export const CONTROL_BYTES = JOB_OFFSET + JOB_FIELDS * 8;

/**
 * Job numbers live in the upper 23 bits of the claim and finished words, a band count in the
 * lower 8 (at most 16 threads × BANDS_PER_THREAD bands). A stalled worker could only be
 * fooled by a claim word that comes back to the same value, which takes 2²³ jobs.
 */
export const JOB_MASK = 0x7fffff;
const BAND_BITS = 8;
const BAND_MASK = (1 << BAND_BITS) - 1;

/** Bands per thread: enough to rebalance when a thread stalls, few enough that re-packing the shared operand stays cheap. */
export const BANDS_PER_THREAD = 2;

/**
 * How long a waiting thread polls before it sleeps in Atomics.wait: a little longer than the
 * gap between two training steps (optimizer, data), so that a worker still polling takes the
 * next product at once, since waking a sleeping one costs far more (bench/NOTES.md).
 */
export const SPIN_MS = 2;

/**
 * Below this many multiply-adds a product stays on one thread: about the smallest product
 * that sharing with a polling worker made faster (bench/NOTES.md).
 */
export const SHARE_MIN = 1 << 16;

export interface WorkerSetup {
  readonly module: object;
  readonly memory: WasmMemory;
  readonly scratch: GemmScratch;
  readonly control: number;
}

/** The control block's two views. */
export interface Control {
  readonly ctl: Int32Array;
  readonly job: Float64Array;
}

export function controlViews(memory: WasmMemory, control: number): Control {
  return { ctl: new Int32Array(memory.buffer, control, JOB_OFFSET / 4), job: new Float64Array(memory.buffer, control + JOB_OFFSET, JOB_FIELDS) };
}

/** Band size (a multiple of `align`) that cuts `extent` into about `parts` bands. */
export function bandSize(extent: number, parts: number, align: number): number {
  return Math.ceil(Math.ceil(extent / parts) / align) * align;
}

/**
 * Publishes job number `jobId`, whose numbers the caller has written into the job fields while
 * the claim word was still closed: opens the claim word and counts the job posted, and these
 * sequentially consistent stores make the numbers visible to every thread that reads them.
 */
export function postJob({ ctl }: Control, jobId: number, posted: number): void {
  Atomics.store(ctl, CONTROL.finished, jobId << BAND_BITS);
  Atomics.store(ctl, CONTROL.claim, jobId << BAND_BITS);
  Atomics.store(ctl, CONTROL.posted, posted);
  Atomics.notify(ctl, CONTROL.posted);
}

/** Closes job `jobId`'s claim word: no band of it can be claimed any more, by anyone. */
export function closeJob({ ctl }: Control, jobId: number): void {
  Atomics.store(ctl, CONTROL.claim, (jobId << BAND_BITS) | BAND_MASK);
}

/** Computes band `index` of the job in `job` (fields in JOB's order) on `gemm`. */
function runBand(gemm: Gemm, job: Float64Array, index: number): void {
  const [c, ldc, a, lda, aByColumns, b, ldb, bByRows, m, k, n, bias, byColumns, size] = job;
  const from = index * size;
  const width = Math.min(size, (byColumns === 1 ? n : m) - from);
  if (byColumns === 1) {
    // Columns [from, from+width): C's and B's columns (and the bias) move, A is whole.
    const bBand = bByRows === 1 ? b + from * ldb * 4 : b + from * 4;
    gemm.run(c + from * 4, ldc, a, lda, aByColumns === 1, bBand, ldb, bByRows === 1, m, k, width, bias >= 0 ? bias + from * 4 : bias);
  } else {
    // Rows [from, from+width): C's and A's rows move, B is whole.
    const aBand = aByColumns === 1 ? a + from * 4 : a + from * lda * 4;
    gemm.run(c + from * ldc * 4, ldc, aBand, lda, aByColumns === 1, b, ldb, bByRows === 1, width, k, n, bias);
  }
}

/**
 * Claims and computes bands of job number `jobId` until none is left (or the job is no
 * longer the current one); returns when this thread has nothing more to do. A band that
 * fails still counts as finished, with the failed flag set, so the caller never waits
 * forever; the caller's own failures simply throw.
 */
export function workOn(gemm: Gemm, { ctl, job }: Control, jobId: number, caller: boolean): void {
  for (;;) {
    const word = Atomics.load(ctl, CONTROL.claim);
    const band = word & BAND_MASK;
    if (word >>> BAND_BITS !== jobId || band === BAND_MASK) return;
    // Read after the claim word: if the job has moved on since, the numbers may be the next
    // job's, but then the word has changed too and the compare-and-swap below fails.
    const bands = job[JOB.bands];
    if (band >= bands) return;
    if (Atomics.compareExchange(ctl, CONTROL.claim, word, word + 1) !== word) continue;
    if (caller) runBand(gemm, job, band);
    else {
      try {
        runBand(gemm, job, band);
      } catch {
        Atomics.store(ctl, CONTROL.failed, 1); // the caller throws; ADAM_LAB_THREADS=1 shows the error itself
      }
      Atomics.add(ctl, CONTROL.workerBands, 1);
    }
    countFinished(ctl, jobId, bands);
  }
}

/** Counts one more finished band of job `jobId`; a count for a job that is over is dropped. */
function countFinished(ctl: Int32Array, jobId: number, bands: number): void {
  for (;;) {
    const word = Atomics.load(ctl, CONTROL.finished);
    if (word >>> BAND_BITS !== jobId) return;
    if (Atomics.compareExchange(ctl, CONTROL.finished, word, word + 1) !== word) continue;
    if ((word & BAND_MASK) + 1 === bands) Atomics.notify(ctl, CONTROL.finished);
    return;
  }
}

/** Polls `ctl[slot]` while it equals `value`, then sleeps on it; returns its new value. */
export function waitWhile(ctl: Int32Array, slot: number, value: number): number {
  const since = performance.now();
  for (;;) {
    const now = Atomics.load(ctl, slot);
    if (now !== value) return now;
    if (performance.now() - since > SPIN_MS) Atomics.wait(ctl, slot, value, 1000);
  }
}

export class GemmTeam {
  private control: Control | null = null;
  private posted = 0;

  constructor(
    private readonly own: Gemm,
    /** Scratch for each worker, and one control block (the same in every setup), allocated by the caller. */
    private readonly workerSetups: readonly WorkerSetup[],
  ) {}

  get threads(): number {
    return this.workerSetups.length + 1;
  }

  /** Bands computed by worker threads so far: whether sharing actually happens. */
  get workerBands(): number {
    return this.control === null ? 0 : Atomics.load(this.control.ctl, CONTROL.workerBands);
  }

  /** Same contract as Gemm.run. */
  run(c: number, ldc: number, a: number, lda: number, aByColumns: boolean, b: number, ldb: number, bByRows: boolean, m: number, k: number, n: number, bias: number): void {
    if (this.workerSetups.length === 0 || m * k * n < SHARE_MIN) {
      this.own.run(c, ldc, a, lda, aByColumns, b, ldb, bByRows, m, k, n, bias);
      return;
    }
    const control = this.startWorkers();
    const { ctl, job } = control;
    const byColumns = n >= m;
    const extent = byColumns ? n : m;
    const size = bandSize(extent, this.threads * BANDS_PER_THREAD, byColumns ? NR : MR);
    const bands = Math.ceil(extent / size);
    this.posted++;
    const jobId = this.posted & JOB_MASK;
    // Written while no band can be claimed: the claim word is still the last job's, closed
    // (closeJob), or zero before the first job, which no thread works on.
    job[JOB.c] = c;
    job[JOB.ldc] = ldc;
    job[JOB.a] = a;
    job[JOB.lda] = lda;
    job[JOB.aByColumns] = aByColumns ? 1 : 0;
    job[JOB.b] = b;
    job[JOB.ldb] = ldb;
    job[JOB.bByRows] = bByRows ? 1 : 0;
    job[JOB.m] = m;
    job[JOB.k] = k;
    job[JOB.n] = n;
    job[JOB.bias] = bias;
    job[JOB.byColumns] = byColumns ? 1 : 0;
    job[JOB.bandSize] = size;
    job[JOB.bands] = bands;
    postJob(control, jobId, this.posted);
    workOn(this.own, control, jobId, true);
    const done = (jobId << BAND_BITS) | bands;
    for (let finished = Atomics.load(ctl, CONTROL.finished); finished !== done; ) finished = waitWhile(ctl, CONTROL.finished, finished);
    closeJob(control, jobId);
    if (Atomics.load(ctl, CONTROL.failed) !== 0) {
      Atomics.store(ctl, CONTROL.failed, 0);
      throw new Error('a matmul worker thread failed; rerun with ADAM_LAB_THREADS=1 to see the error on this thread');
    }
  }

  private startWorkers(): Control {
    if (this.control !== null) return this.control;
    const path = builtFile('gemm-worker.js');
    if (path === null) throw new Error('gemm-worker.js not built (npm run build)');
    for (const setup of this.workerSetups) {
      // No inherited execArgv: under `node -e …` it would make the worker run that code
      // instead of its file. (V8 flags such as relaxed SIMD are process-wide anyway.)
      const worker = new Worker(path, { workerData: setup, execArgv: [] });
      // A worker that cannot start (or dies) leaves its bands to the others: every product
      // still completes on this thread, so its error event only needs a listener.
      worker.on('error', () => {});
      worker.unref();
    }
    const first = this.workerSetups[0];
    this.control = controlViews(first.memory, first.control);
    return this.control;
  }
}
