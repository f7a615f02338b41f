/**
 * What the element-wise kernel modules (optimizer-kernels.ts, layer-kernels.ts) share: their
 * WebAssembly instance, made on first use over the engine memory, and the placing of their
 * operands in that memory.
 */
import { readFileSync } from 'node:fs';
import { arenaOffset, memory } from './arena.js';
import { kernelChoice } from './choice.js';
import { builtFile } from './gemm.js';
import { wasm } from './wasm-api.js';

/**
 * A getter of the exports of the built module `file` (in dist/src/kernels/wasm/), instantiated
 * on its first call: null when the kernels are off (they follow the matmul's kernel choice:
 * ADAM_LAB_KERNEL=js, or no WebAssembly), the module is not built or this Node.js cannot run it.
 * On the wasm-relaxed-simd path `relaxedFile`, when given, replaces `file` (assemble.ts derives
 * it; the kernel choice has made sure this Node.js validates relaxed SIMD).
 */
export function lazyKernels<Exports>(file: string, relaxedFile?: string): () => Exports | null {
  let exports: Exports | null | undefined;
  return () => {
    if (exports === undefined) exports = instantiate<Exports>(relaxedFile !== undefined && kernelChoice().path === 'wasm-relaxed-simd' ? relaxedFile : file);
    return exports;
  };
}

function instantiate<Exports>(file: string): Exports | null {
  if (kernelChoice().path === 'js' || memory === null) return null;
  const path = builtFile(`wasm/${file}`);
  if (path === null) return null;
  const bytes = readFileSync(path);
  if (!wasm.validate(bytes)) return null;
  return new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as unknown as Exports;
}

/**
 * Byte offset of `array` in the engine memory when it lives there and holds at least `extent`
 * elements (the memory beyond an array is another array's); −1 else.
 */
export function placed(array: Float32Array | Int32Array | Uint8Array, extent: number): number {
  return extent > array.length ? -1 : arenaOffset(array);
}
