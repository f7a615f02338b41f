import { describe, expect, it } from 'vitest';
import { arenaOffset, arenaUsage, BlockAllocator, memory } from '../../src/kernels/arena.js';
import { allocFloat32 } from '../../src/kernels/arena.js';

describe('BlockAllocator', () => {
  it('takes from the top, then reuses the first free block that fits', () => {
    const blocks = new BlockAllocator(1000);
    expect(blocks.allocate(64, 10_000)).toBe(1000);
    expect(blocks.allocate(128, 10_000)).toBe(1064);
    expect(blocks.allocate(64, 10_000)).toBe(1192);
    blocks.release(1064, 128);
    expect(blocks.freeBytes).toBe(128);
    expect(blocks.allocate(64, 10_000)).toBe(1064); // split: the first half
    expect(blocks.allocate(64, 10_000)).toBe(1128); // the rest, exactly
    expect(blocks.freeBytes).toBe(0);
    expect(blocks.allocate(64, 1300)).toBe(-1); // past the limit: the caller must grow
  });

  it('merges neighbours and hands a free end back to the top', () => {
    const blocks = new BlockAllocator(0);
    const offsets = [0, 1, 2, 3].map(() => blocks.allocate(64, 1 << 20));
    blocks.release(offsets[1], 64);
    blocks.release(offsets[2], 64); // merges with [1]
    expect(blocks.freeBytes).toBe(128);
    expect(blocks.allocate(128, 1 << 20)).toBe(offsets[1]);
    blocks.release(offsets[1], 128);
    blocks.release(offsets[3], 64); // merges with [1..2] and reaches the top
    expect(blocks.top).toBe(64);
    expect(blocks.freeBytes).toBe(0);
    blocks.release(offsets[0], 64);
    expect(blocks.top).toBe(0);
  });
});

describe('allocFloat32', () => {
  it('returns zeroed arrays in the engine memory, aligned to 64 bytes', () => {
    expect(memory).not.toBeNull();
    for (const length of [1, 3, 16, 1000]) {
      const x = allocFloat32(length);
      expect(x.length).toBe(length);
      expect(x.every((v) => v === 0)).toBe(true);
      expect(arenaOffset(x)).toBe(x.byteOffset);
      expect(x.byteOffset % 64).toBe(0);
    }
    expect(allocFloat32(0).length).toBe(0);
  });

  it('never overlaps live arrays', () => {
    const arrays = [5, 17, 64, 3, 1000].map((n) => allocFloat32(n));
    const spans = arrays.map((x) => [x.byteOffset, x.byteOffset + x.byteLength]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it('keeps earlier arrays valid and recognised when the memory grows', () => {
    const before = allocFloat32(100).fill(7);
    const size = arenaUsage().size;
    const big = allocFloat32(size / 4); // cannot fit without growing
    expect(arenaUsage().size).toBeGreaterThan(size);
    expect(before.every((v) => v === 7)).toBe(true);
    expect(arenaOffset(before)).toBe(before.byteOffset);
    expect(arenaOffset(big)).toBe(big.byteOffset);
    big[big.length - 1] = 1;
    expect(big[big.length - 1]).toBe(1);
  });
});
