/**
 * conv2d's own time: forward and backward of each conv layer of the benchmark's CNNs (W3 8/16
 * and the 32/64 scaling row, and a 1 → 16 first layer between them), batch 64, on this process's kernel path, in µs per step (best of
 * 20 after 5 warm-up steps), with the load average beside them. Behind conv2d.ts's choices
 * (bench/NOTES.md, "Engine layers").
 *
 *   node dist/bench/conv.js                      (the default path)
 *   ADAM_LAB_KERNEL=blas node dist/bench/conv.js (the blas path)
 */
import { loadavg } from 'node:os';
import { layerSchema } from '../src/config/schema.js';
import { Rng } from '../src/core/rng.js';
import { sizeOf, type Shape } from '../src/core/shape.js';
import type { Parameter } from '../src/engine/layer.js';
import { planLayer, type LayerConfig } from '../src/engine/layers/registry.js';
import { allocFloat32 } from '../src/kernels/arena.js';
import { kernelChoice } from '../src/kernels/choice.js';

const BATCH = 64;

/** [label, out channels, input shape]: the conv layers of cnn:8-16 and cnn:32-64 (3×3, padding 1). */
const LAYERS: readonly [string, number, Shape][] = [
  ['W3 conv1  1→8  28×28', 8, [1, 28, 28]],
  ['W3 conv2  8→16 14×14', 16, [8, 14, 14]],
  ['conv1  1→16 28×28', 16, [1, 28, 28]],
  ['32/64 conv1  1→32 28×28', 32, [1, 28, 28]],
  ['32/64 conv2 32→64 14×14', 64, [32, 14, 14]],
];

function filled(rng: Rng, n: number): Float32Array {
  const a = allocFloat32(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformIn(-1, 1);
  return a;
}

/** Best µs of forward, and of backward (with dx unless the layer is a first layer, as conv1 is). */
function time(outChannels: number, inShape: Shape, first: boolean): [number, number] {
  const config = layerSchema.parse({ conv2d: { out_channels: outChannels, kernel_size: 3, padding: 1 } }) as LayerConfig;
  const plan = planLayer(config, inShape);
  const rng = new Rng(0, 'data');
  const parameters: Parameter[] = plan.parameters.map((spec) => ({ ...spec, value: filled(rng, sizeOf(spec.shape)), grad: allocFloat32(sizeOf(spec.shape)) }));
  const layer = plan.build(parameters, { maxBatch: BATCH, rng }, []);
  const x = filled(rng, BATCH * sizeOf(inShape));
  const y = allocFloat32(BATCH * sizeOf(plan.outShape));
  const dy = filled(rng, y.length);
  const dx = first ? null : allocFloat32(x.length);
  const best = [Infinity, Infinity];
  for (let step = 0; step < 25; step++) {
    const start = performance.now();
    layer.forward(x, y, BATCH, 'train');
    const middle = performance.now();
    layer.backward(x, y, dy, dx, BATCH);
    const end = performance.now();
    if (step >= 5) {
      best[0] = Math.min(best[0], (middle - start) * 1000);
      best[1] = Math.min(best[1], (end - middle) * 1000);
    }
  }
  return [best[0], best[1]];
}

console.log(`kernel ${kernelChoice().path}, batch ${BATCH}, load average ${loadavg()[0].toFixed(2)}`);
for (const [label, outChannels, inShape] of LAYERS) {
  const [forward, backward] = time(outChannels, inShape, inShape[0] === 1);
  console.log(`${label.padEnd(26)} forward ${forward.toFixed(0).padStart(6)} µs   backward ${backward.toFixed(0).padStart(6)} µs`);
}
