/**
 * The engine's memory: one shared WebAssembly.Memory that every engine buffer lives in
 * (tensor.ts's allocFloat32 allocates here), so the WebAssembly kernels work on the
 * engine's Float32Arrays in place — for them an array is just its byte offset in this
 * memory. Shared, because a shared memory never detaches the views made before it grows
 * (an ordinary one would invalidate every buffer of the model on growth), and because
 * worker threads can map the same bytes.
 *
 * Allocation: blocks aligned to 64 bytes (a cache line; SIMD loads never straddle one at
 * a block's start), first fit from a free list, otherwise from the top, growing the memory
 * by at least half again so the number of growths stays small. A block goes back to the
 * free list when the Float32Array that allocFloat32 returned is garbage-collected
 * (FinalizationRegistry). So keep that array — not only subarrays of it — reachable for as
 * long as its memory is used: a subarray alone does not keep the block reserved.
 *
 * If the memory cannot be created (an address space too small for the reservation), the
 * arena is absent, allocFloat32 falls back to ordinary arrays and the kernels to plain JS.
 *
 * A worker thread started with `workerData.arenaRegion` (a batch shard's worker,
 * engine/shard-worker.ts) has no memory of its own: its arena is that region of its parent's
 * memory, so its kernels work in place on the parent's parameters and activations (arenaView)
 * and its own buffers lie where the parent reserved room for them. The region never grows.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { AllocationError } from '../core/errors.js';
import { wasm, type WasmMemory } from './wasm-api.js';

/** Bytes [start, end) of a parent thread's engine memory, reserved for a worker's arena. */
export interface ArenaRegion {
  readonly memory: WasmMemory;
  readonly start: number;
  readonly end: number;
}

const PAGE = 65536;
const ALIGN = 64;
/** The first page is never handed out, so byte offset 0 is never an engine buffer. */
const RESERVED = PAGE;

/** Free-list bookkeeping over byte offsets, kept apart from the memory so it can be tested alone. */
export class BlockAllocator {
  /** Free blocks sorted by offset, never adjacent (neighbours are merged). */
  private readonly free: { offset: number; bytes: number }[] = [];

  constructor(
    /** First byte never handed out yet; everything from here to the end of the memory is free. */
    public top: number,
  ) {}

  /** An offset for `bytes` (a multiple of ALIGN), or -1 when it has to come from past `limit`. */
  allocate(bytes: number, limit: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.bytes < bytes) continue;
      const offset = block.offset;
      if (block.bytes === bytes) this.free.splice(i, 1);
      else {
        block.offset += bytes;
        block.bytes -= bytes;
      }
      return offset;
    }
    if (this.top + bytes > limit) return -1;
    const offset = this.top;
    this.top += bytes;
    return offset;
  }

  release(offset: number, bytes: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i].offset < offset) i++;
    this.free.splice(i, 0, { offset, bytes });
    // Merge with the next block, then with the previous one.
    const next = this.free[i + 1];
    if (next !== undefined && offset + bytes === next.offset) {
      this.free[i].bytes += next.bytes;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev !== undefined && prev.offset + prev.bytes === offset) {
      prev.bytes += this.free[i].bytes;
      this.free.splice(i, 1);
      i--;
    }
    // A free block that reaches the top gives its bytes back to the top.
    const last = this.free[this.free.length - 1];
    if (last !== undefined && last.offset + last.bytes === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  /** Bytes in free blocks below the top. */
  get freeBytes(): number {
    let sum = 0;
    for (const block of this.free) sum += block.bytes;
    return sum;
  }
}

function createMemory(): WasmMemory | null {
  // 4 GiB is all a 32-bit memory can address; a shared memory reserves its maximum up
  // front (address space only), so try smaller maxima where the reservation is refused.
  for (const maximum of [65536, 16384, 4096]) {
    try {
      return new wasm.Memory({ initial: 16, maximum, shared: true });
    } catch {
      // try the next size
    }
  }
  return null;
}

const region: ArenaRegion | null = isMainThread ? null : ((workerData as { arenaRegion?: ArenaRegion } | null)?.arenaRegion ?? null);
export const memory: WasmMemory | null = region === null ? createMemory() : region.memory;
const allocator = new BlockAllocator(region === null ? RESERVED : region.start);
/** Every SharedArrayBuffer object the memory has had: each growth yields a new one, and views made earlier keep theirs. */
const buffers: ArrayBufferLike[] = memory === null ? [] : [memory.buffer];
const released = new FinalizationRegistry<{ offset: number; bytes: number }>((block) => allocator.release(block.offset, block.bytes));

function currentBuffer(): ArrayBufferLike {
  return buffers[buffers.length - 1];
}

function reserve(bytes: number): number {
  if (region !== null) {
    const offset = allocator.allocate(bytes, region.end);
    if (offset < 0) throw new RangeError(`engine memory: the ${region.end - region.start} bytes reserved for this worker cannot hold ${bytes} more`);
    return offset;
  }
  const mem = memory as WasmMemory;
  let offset = allocator.allocate(bytes, currentBuffer().byteLength);
  if (offset >= 0) return offset;
  const size = currentBuffer().byteLength;
  const needed = allocator.top + bytes - size;
  const pages = Math.max(Math.ceil(needed / PAGE), Math.ceil(size / 2 / PAGE));
  try {
    mem.grow(pages);
  } catch {
    mem.grow(Math.ceil(needed / PAGE)); // at least what this block needs, or throw RangeError
  }
  buffers.push(mem.buffer);
  offset = allocator.allocate(bytes, currentBuffer().byteLength);
  if (offset < 0) throw new RangeError(`engine memory: cannot allocate ${bytes} bytes`);
  return offset;
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/**
 * The one place engine buffers are allocated: a zeroed Float32Array in the engine memory,
 * where the WebAssembly kernels read and write it in place. Its memory is recycled once the
 * returned array is garbage-collected, so keep the returned array itself reachable while any
 * subarray of it is in use. An AllocationError when it cannot.
 */
export function allocFloat32(length: number): Float32Array {
  return arenaArray(Float32Array, length);
}

/**
 * A zeroed Int32Array in the arena (index maps the layer kernels read), returned to the free
 * list when it is collected — registered itself, so keep this array reachable while it is used.
 */
export function arenaInt32(length: number): Int32Array {
  return arenaArray(Int32Array, length);
}

interface ArrayKind<T> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
}

/**
 * A zeroed array of 4-byte elements in the arena (an ordinary one when there is no arena). A
 * size past the memory's reach fails in more than one way (a RangeError from a typed array or
 * from growing, a TypeError from grow's argument check); to callers it is one AllocationError.
 */
function arenaArray<T extends Float32Array | Int32Array>(Kind: ArrayKind<T>, length: number): T {
  try {
    return placeArray(Kind, length);
  } catch (error) {
    throw new AllocationError(`cannot allocate ${length * 4} bytes in the engine's memory (${(error as Error).message})`);
  }
}

function placeArray<T extends Float32Array | Int32Array>(Kind: ArrayKind<T>, length: number): T {
  if (memory === null) return new Kind(length);
  if (length === 0) return new Kind(currentBuffer(), RESERVED, 0);
  const bytes = roundUp(length * 4);
  const offset = reserve(bytes);
  const view = new Kind(currentBuffer(), offset, length);
  view.fill(0); // a recycled block still holds its previous owner's numbers
  released.register(view, { offset, bytes });
  return view;
}

/**
 * Kernel scratch that lives as long as the process: never released. Returns a byte offset.
 * Zeroed, like allocFloat32's arrays: the block may be one a collected array gave back, and
 * a control block that started with its previous owner's bytes (a NaN where the `failed`
 * flag lives) made the first product of a new matmul team fail (gemm-team.ts).
 */
export function arenaScratch(bytes: number): number {
  if (memory === null) throw new Error('engine memory unavailable');
  const rounded = roundUp(bytes);
  const offset = reserve(rounded);
  new Uint8Array(currentBuffer(), offset, rounded).fill(0);
  return offset;
}

/**
 * A Float32Array over `length` floats at `byteOffset` of the engine memory that another thread
 * allocated (a worker's view of its parent's parameters and activations), which the kernels
 * then find in the arena like this thread's own arrays. The memory may have grown since this
 * thread last looked at it.
 */
export function arenaView(byteOffset: number, length: number): Float32Array {
  const mem = memory as WasmMemory;
  if (mem.buffer.byteLength > currentBuffer().byteLength) buffers.push(mem.buffer);
  return new Float32Array(currentBuffer(), byteOffset, length);
}

/** Byte offset of `array` in the arena, or -1 when it lives anywhere else. */
export function arenaOffset(array: Float32Array | Int32Array | Uint8Array): number {
  const buffer = array.buffer;
  for (let i = buffers.length - 1; i >= 0; i--) if (buffers[i] === buffer) return array.byteOffset;
  return -1;
}

/** Bytes in use and the memory's size, for tests and diagnostics. */
export function arenaUsage(): { readonly used: number; readonly size: number } {
  if (memory === null) return { used: 0, size: 0 };
  return { used: allocator.top - RESERVED - allocator.freeBytes, size: currentBuffer().byteLength };
}
