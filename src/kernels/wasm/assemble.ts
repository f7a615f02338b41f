/**
 * Build step (`npm run build`, after tsc): assembles the WAT sources into the modules the
 * engine loads, next to this file's compiled copy in dist/:
 *
 *   gemm-simd.wasm          the deterministic default: f32x4 multiply, then add
 *   gemm-relaxed-simd.wasm  the same kernel with every multiply-add fused (f32x4.relaxed_madd)
 *   optimizer-kernels.wasm  the optimizer's element-wise pieces and the sum of squares
 *   layer-kernels.wasm      ReLU and the data movement of conv2d and max pooling
 *   data-kernels.wasm       the batch's uint8 → float32 scaling
 *
 * Why hand-written WAT assembled by wabt rather than AssemblyScript: the micro-kernel's
 * value is in its exact instruction sequence and register count (see gemm.wat), which WAT
 * states directly and no optimizer rewrites; the source also stays outside tsc's `src/**.ts`,
 * and the toolchain is one registry package with no native parts.
 *
 * The relaxed module is derived here by rewriting each accumulate
 *   (f32x4.add (local.get $c) (f32x4.mul (local.get $a) (local.get $b)))
 * into (f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c)), so the two can
 * never drift apart; the build fails if the pattern stops matching the micro-kernel's 8.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../../..');
const source = join(root, 'src/kernels/wasm/gemm.wat');
const optimizerSource = join(root, 'src/kernels/wasm/optimizer-kernels.wat');
const layerSource = join(root, 'src/kernels/wasm/layer-kernels.wat');
const dataSource = join(root, 'src/kernels/wasm/data-kernels.wat');
const MULTIPLY_ADDS = 8;

const accumulate = /\(f32x4\.add \(local\.get (\$\w+)\) \(f32x4\.mul \(local\.get (\$\w+)\) \(local\.get (\$\w+)\)\)\)/g;

function fused(text: string): string {
  const count = text.match(accumulate)?.length ?? 0;
  if (count !== MULTIPLY_ADDS) throw new Error(`gemm.wat: expected ${MULTIPLY_ADDS} multiply-adds to fuse, found ${count}`);
  return text.replace(accumulate, '(f32x4.relaxed_madd (local.get $2) (local.get $3) (local.get $1))');
}

const wabt = await wabtInit();
const text = readFileSync(source, 'utf8');
const outputs = [
  { file: 'gemm-simd.wasm', source, text, features: { simd: true, threads: true } },
  { file: 'gemm-relaxed-simd.wasm', source, text: fused(text), features: { simd: true, threads: true, relaxed_simd: true } },
  { file: 'optimizer-kernels.wasm', source: optimizerSource, text: readFileSync(optimizerSource, 'utf8'), features: { simd: true, threads: true } },
  { file: 'layer-kernels.wasm', source: layerSource, text: readFileSync(layerSource, 'utf8'), features: { simd: true, threads: true } },
  { file: 'data-kernels.wasm', source: dataSource, text: readFileSync(dataSource, 'utf8'), features: { simd: true, threads: true } },
];
mkdirSync(here, { recursive: true });
for (const output of outputs) {
  const module = wabt.parseWat(output.source, output.text, output.features);
  try {
    // wabt's typings omit validate's features argument, without which it refuses shared memory.
    (module.validate as (features: object) => void).call(module, output.features);
    writeFileSync(join(here, output.file), module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
