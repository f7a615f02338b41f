/**
 * Build step (`npm run build`, after tsc): assembles the WAT sources into the modules the
 * engine loads, next to this file's compiled copy in dist/:
 *
 *   gemm-simd.wasm                   the deterministic default: f32x4 multiply, then add
 *   gemm-relaxed-simd.wasm           the same kernel with every multiply-add fused (f32x4.relaxed_madd)
 *   optimizer-kernels.wasm           the optimizer's element-wise pieces and the sum of squares
 *   layer-kernels.wasm               ReLU, conv2d's batched product, the data movement of conv2d and max pooling
 *   layer-kernels-relaxed-simd.wasm  the same with the batched product's vector multiply-adds fused
 *   data-kernels.wasm                the batch's uint8 → float32 scaling
 *
 * Why hand-written WAT assembled by wabt rather than AssemblyScript: the micro-kernel's
 * value is in its exact instruction sequence and register count (see gemm.wat), which WAT
 * states directly and no optimizer rewrites; the source also stays outside tsc's `src/**.ts`,
 * and the toolchain is one registry package with no native parts.
 *
 * The relaxed modules are derived here by rewriting each accumulate
 *   (f32x4.add (local.get $c) (f32x4.mul (local.get $a) B)),  B a local or a v128.load,
 * into (f32x4.relaxed_madd (local.get $a) B (local.get $c)), so a kernel and its relaxed
 * variant can never drift apart; the build fails if the pattern stops matching the count
 * expected (the GEMM micro-kernel's 8; the batched product's 8 in its tile and 2 in its edge
 * loop). Scalar f32 code has no relaxed multiply-add and stays as it is. The optimizer
 * kernels have no relaxed variant: fusing Adam's two moment updates did not make its pass
 * faster (bench/NOTES.md, "Relaxed SIMD").
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

const accumulate = /\(f32x4\.add \(local\.get (\$\w+)\) \(f32x4\.mul \(local\.get (\$\w+)\) (\(local\.get \$\w+\)|\(v128\.load(?: offset=\d+)? \(local\.get \$\w+\)\))\)\)/g;

/**
 * `text` with the multiply-adds of its function `only` fused (of every function when absent): a
 * fused kernel needs a fused twin, and only the batched product of the layer kernels has one
 * (reference-fused.ts), so conv2d's convWeightGrad3x3 stays unfused there.
 */
function fused(file: string, text: string, expected: number, only?: string): string {
  const start = only === undefined ? 0 : text.indexOf(`(func (export "${only}")`);
  if (start < 0) throw new Error(`${file}: no function ${only}`);
  const next = only === undefined ? -1 : text.indexOf('(func ', start + 1);
  const end = next < 0 ? text.length : next;
  const body = text.slice(start, end);
  const count = body.match(accumulate)?.length ?? 0;
  if (count !== expected) throw new Error(`${file}: expected ${expected} multiply-adds to fuse, found ${count}`);
  return text.slice(0, start) + body.replace(accumulate, '(f32x4.relaxed_madd (local.get $2) $3 (local.get $1))') + text.slice(end);
}

const wabt = await wabtInit();
const text = readFileSync(source, 'utf8');
const layerText = readFileSync(layerSource, 'utf8');
const simd = { simd: true, threads: true };
const relaxed = { ...simd, relaxed_simd: true };
const outputs = [
  { file: 'gemm-simd.wasm', source, text, features: simd },
  { file: 'gemm-relaxed-simd.wasm', source, text: fused('gemm.wat', text, 8), features: relaxed },
  { file: 'optimizer-kernels.wasm', source: optimizerSource, text: readFileSync(optimizerSource, 'utf8'), features: simd },
  { file: 'layer-kernels.wasm', source: layerSource, text: layerText, features: simd },
  { file: 'layer-kernels-relaxed-simd.wasm', source: layerSource, text: fused('layer-kernels.wat', layerText, 10, 'batchedProduct'), features: relaxed },
  { file: 'data-kernels.wasm', source: dataSource, text: readFileSync(dataSource, 'utf8'), features: simd },
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
