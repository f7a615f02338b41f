/**
 * TensorFlow.js peer for `npm run bench`: the same workloads as adam-lab's side, on
 * @tensorflow/tfjs-core with the plain-JavaScript cpu backend or the WebAssembly (XNNPACK)
 * backend, in a process of its own so that its peak RSS is its own.
 *
 * Usage: node bench/peers/tfjs-peer.mjs <cpu|wasm> <mnist folder> <repeats> [--quick]
 * Prints one JSON object (as its last line of output): {"tfjs", "backend", "simd", "threads",
 * "results": {workload: figure} for W0–W3 named as in bench/workloads.ts, "notes": {"W1", "W2",
 * "W3"}, "gemm_gflops", "peak_rss_mb"}.
 *
 * Timed loop = gather batch (adam-lab's own gather into a Float32Array, so both sides pay the
 * same for it) + tensor creation + forward + backward + Adam step (tf.train.adam with
 * ε = 1e-8, as torch's and ours), float32; the best of `repeats` epochs. The model is written
 * with tfjs-core ops (no tfjs-layers): Linear is matMul + add, the CNN runs NHWC (TF.js's
 * layout; with one input channel the MNIST batch is the same bytes). W3 on the cpu backend
 * takes over half an hour per epoch (W2 two minutes), so an epoch stops at BUDGET_S and reports
 * the rate over the steps it did, saying so in `notes`; the wasm backend cannot train W3 at
 * all (no kernel for the convolution's filter gradient): its figure null and a note.
 *
 * Plain JavaScript beside its own package.json, so that TensorFlow.js (about 300 MB) is
 * installed only here, on demand by `npm run bench` (`npm ci --prefix bench/peers`), and never
 * by the project's own install or type-check. adam-lab's pieces it shares (the MNIST reader
 * and gather, the generator) come from the build in dist/, which `npm run bench` makes first.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node.js bundle registers no gradients, so nothing could train; the tfjs package
// does (into the registry every copy of tfjs-core shares), and registers the cpu backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { loadMnistLike } from '../../dist/src/data/mnist.js';
import { Rng } from '../../dist/src/core/rng.js';
import { peakRssMb } from '../../dist/bench/common.js';

const [backend, folder, repeatsArg] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const repeats = Number(repeatsArg);

/**
 * Longest one timed epoch may run before it is cut short (seconds): on the cpu backend an
 * epoch of W2 takes about 2 minutes and one of W3 over half an hour.
 */
const BUDGET_S = quick ? 3 : 30;

if (backend === 'wasm') {
  // In Node.js the backend cannot find its .wasm files on its own.
  const require = createRequire(import.meta.url);
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
}

await tf.setBackend(backend);
await tf.ready();

/** torch's default init for a layer of fan-in `fanIn`: U(±1/√fanIn). */
function uniform(shape, fanIn) {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -bound, bound));
}

function linear(inputs, outputs) {
  return [uniform([inputs, outputs], inputs), uniform([outputs], inputs)];
}

function applyLinear(x, [w, b]) {
  return tf.add(tf.matMul(x, w), b);
}

function adam() {
  return tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
}

function w0(steps) {
  const layers = [linear(2, 4), linear(4, 1)];
  const vars = layers.flat();
  const optimizer = adam();
  const step = () => {
    tf.tidy(() => {
      const x = tf.randomUniform([100, 2]);
      const y = tf.randomUniform([100, 1]);
      optimizer.minimize(() => tf.losses.logLoss(y, tf.sigmoid(applyLinear(tf.relu(applyLinear(x, layers[0])), layers[1]))), false, vars);
    });
  };
  for (let i = 0; i < 200; i++) step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  return ((performance.now() - start) * 1000) / steps;
}

/** Trains one epoch per repeat with `forward` on batches of `batch`; best samples/s, and whether the budget cut an epoch short. */
function epochs(train, batch, inputShape, forward, vars) {
  const optimizer = adam();
  const input = new Float32Array(batch * 784);
  const targets = new Float32Array(batch);
  const labels = new Int32Array(batch);
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  const rng = new Rng(0, 'shuffle');
  let best = { rate: 0, steps: 0, cut: false };
  for (let epoch = 0; epoch < repeats; epoch++) {
    rng.shuffle(order);
    const start = performance.now();
    let samples = 0;
    let steps = 0;
    let cut = false;
    for (let s = 0; s < train.size; s += batch) {
      const count = Math.min(batch, train.size - s);
      train.gather(order, s, count, input, targets, 'index', 1);
      for (let i = 0; i < count; i++) labels[i] = targets[i];
      tf.tidy(() => {
        const x = tf.tensor(input.subarray(0, count * 784), [count, ...inputShape]);
        const y = tf.oneHot(tf.tensor1d(labels.subarray(0, count), 'int32'), 10);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), false, vars);
      });
      samples += count;
      steps++;
      if ((performance.now() - start) / 1000 > BUDGET_S) {
        cut = s + batch < train.size;
        break;
      }
    }
    const rate = samples / ((performance.now() - start) / 1000);
    if (rate > best.rate) best = { rate, steps, cut };
    if (cut) break; // one cut pass is all the time a slow backend gets
  }
  optimizer.dispose();
  return best;
}

/** What a cut epoch reports beside its rate. */
function cutNote(result) {
  return result.cut ? `${result.steps} steps (not a whole epoch: one takes over ${BUDGET_S} s on TF.js ${backend})` : null;
}

function mlp(train, hidden, batch) {
  const layers = [];
  let width = 784;
  for (const h of hidden) {
    layers.push(linear(width, h));
    width = h;
  }
  layers.push(linear(width, 10));
  const forward = (x) => {
    let h = x;
    layers.forEach((layer, i) => {
      h = applyLinear(h, layer);
      if (i < layers.length - 1) h = tf.relu(h);
    });
    return h;
  };
  const result = epochs(train, batch, [784], forward, layers.flat());
  return { rate: result.rate, note: cutNote(result) };
}

/** W3: conv(1→8,3,p1) relu pool2 conv(8→16,3,p1) relu pool2 linear(784→10), NHWC. */
function cnn(train) {
  const conv1 = [uniform([3, 3, 1, 8], 9), uniform([8], 9)];
  const conv2 = [uniform([3, 3, 8, 16], 72), uniform([16], 72)];
  const fc = linear(784, 10);
  const forward = (x) => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, conv1[0], 1, 'same'), conv1[1])), 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, conv2[0], 1, 'same'), conv2[1])), 2, 2, 'valid');
    return applyLinear(tf.reshape(h, [-1, 784]), fc);
  };
  const result = epochs(train, 64, [28, 28, 1], forward, [...conv1, ...conv2, ...fc]);
  return { rate: result.rate, note: cutNote(result) };
}

/** tf.matMul on n×n float32, best of several, GFLOP/s (the result is read back, as it must be for timing). */
function gemm(size) {
  const a = tf.randomUniform([size, size]);
  const b = tf.randomUniform([size, size]);
  let best = Infinity;
  for (let r = 0; r < (quick ? 3 : 10); r++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    best = Math.min(best, performance.now() - start);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * size ** 3) / (best / 1000) / 1e9;
}

const scale = Float64Array.of(1 / 255);
const train = loadMnistLike('mnist', folder, { channels: 1, scale, shift: Float64Array.of(0) }).train.limit(quick ? 6000 : 60000);
let w3;
try {
  w3 = cnn(train);
} catch (error) {
  // The wasm backend has no Conv2DBackpropFilter kernel: it cannot train a convolution.
  w3 = { rate: null, note: `unsupported on TF.js ${backend}: ${error.message}` };
}
const w1 = mlp(train, [128], 64);
const w2 = mlp(train, [256, 256], 128);
const result = {
  tfjs: tf.version_core,
  backend,
  simd: backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : false,
  threads: backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'several' : 1,
  results: { toy: w0(quick ? 2000 : 20000), 'mlp:128:64': w1.rate, 'mlp:256-256:128': w2.rate, 'cnn:8-16:64': w3.rate },
  notes: { W1: w1.note, W2: w2.note, W3: w3.note },
  gemm_gflops: { 512: gemm(512), 1024: gemm(1024) },
  peak_rss_mb: peakRssMb(),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
