/**
 * What the separate ReLU passes cost per training step, to weigh a bias + ReLU epilogue in the
 * matrix product (issue 23, item 5). Not a test, and not part of `npm run bench`:
 *
 *   npm run build && node dist/bench/activation-cost.js
 *
 * Times the ReLU layer's forward and backward (activations.ts relu, on the engine's kernel
 * path) over each workload's activations, on engine buffers, best of REPEATS rounds of a
 * step's worth of passes each. Prints µs per step; divide by the step's time (batch ÷ the
 * samples/s of bench/peers/adam-lab.js, run in the same session) for the share. An epilogue
 * would save the forward pass only: backward still needs dy masked by y > 0.
 */
import { loadavg } from 'node:os';
import { relu } from '../src/engine/layers/activations.js';
import { allocFloat32 } from '../src/kernels/arena.js';
import { kernelChoice } from '../src/kernels/choice.js';
import { Rng } from '../src/core/rng.js';
import { W1, W2, W3, type Workload } from './workloads.js';

const REPEATS = 2000;

/** Elements of each ReLU's input in one step of the workload (batch × features). */
const RELUS: readonly [Workload, readonly number[]][] = [
  [W1, [64 * 128]],
  [W2, [128 * 256, 128 * 256]],
  [W3, [64 * 8 * 28 * 28, 64 * 16 * 14 * 14]],
];

function bestMicroseconds(pass: () => void): number {
  let best = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    pass();
    best = Math.min(best, performance.now() - start);
  }
  return best * 1000;
}

const rng = new Rng(0, 'data');
const lines = [`kernel ${kernelChoice().path}, load ${loadavg()[0].toFixed(2)}`, 'workload | ReLU forward µs/step | ReLU backward µs/step'];
for (const [workload, sizes] of RELUS) {
  const buffers = sizes.map((n) => {
    const x = allocFloat32(n);
    for (let i = 0; i < n; i++) x[i] = rng.uniformIn(-1, 1);
    return { n, x, y: allocFloat32(n), dy: x, dx: allocFloat32(n) };
  });
  const ran = (done: boolean): void => {
    if (!done) throw new Error('the ReLU kernels did not run: measure on a WebAssembly kernel path');
  };
  const forward = bestMicroseconds(() => {
    for (const { n, x, y } of buffers) ran(relu.forwardKernel!(x, y, n));
  });
  const backward = bestMicroseconds(() => {
    for (const { n, x, y, dy, dx } of buffers) ran(relu.backwardKernel!(x, y, dy, dx, n));
  });
  lines.push(`${workload.label.split(',')[0]} | ${forward.toFixed(1)} | ${backward.toFixed(1)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
