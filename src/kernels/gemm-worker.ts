/**
 * A matmul worker thread (see gemm-team.ts): its own instance of the kernels over the
 * shared memory and its own scratch, claiming bands of each posted product until the
 * process ends.
 */
import { workerData } from 'node:worker_threads';
import { Gemm } from './gemm.js';
import { CONTROL, controlViews, JOB_MASK, waitWhile, workOn, type WorkerSetup } from './gemm-team.js';

const setup = workerData as WorkerSetup;
const gemm = new Gemm(setup.module, setup.memory, setup.scratch);
const control = controlViews(setup.memory, setup.control);

let seen = Atomics.load(control.ctl, CONTROL.posted);
// The job that was posted before this worker started may still have bands left.
if (seen !== 0) workOn(gemm, control, seen & JOB_MASK, false);
for (;;) {
  seen = waitWhile(control.ctl, CONTROL.posted, seen);
  workOn(gemm, control, seen & JOB_MASK, false);
}
