import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { formatFloat32, formatNumber, formatSeconds } from '../../src/runs/numbers.js';

describe('numbers in CSV files', () => {
  it('write float32 values with the fewest digits that read back to the same float32', () => {
    expect(formatFloat32(0.1)).toBe('0.1');
    expect(formatFloat32(Math.fround(2.3164706))).toBe('2.3164706');
    expect(formatFloat32(1e-8)).toBe('1e-8');
    expect(formatFloat32(-0)).toBe('0');
    expect(formatFloat32(NaN)).toBe('NaN');
    expect(formatFloat32(Infinity)).toBe('Infinity');
    const rng = new Rng(11, 'data');
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < 20_000; i++) {
      u32[0] = rng.nextUint32();
      if (!Number.isFinite(f32[0])) continue;
      const text = formatFloat32(f32[0]);
      expect(Math.fround(Number(text))).toBe(f32[0]);
      const significant = text.replace(/^-|e.*$|\./g, '').replace(/^0+|0+$/g, '');
      expect(significant.length).toBeLessThanOrEqual(9);
    }
  });

  it('write doubles in their shortest round-trip form', () => {
    for (const x of [0.001, 1 / 3, 3e-4, 1e21, 123456789.123]) expect(Number(formatNumber(x))).toBe(x);
    expect(formatNumber(null)).toBe('');
  });

  it('write elapsed seconds to the microsecond without trailing zeros', () => {
    expect(formatSeconds(3.14168)).toBe('3.14168');
    expect(formatSeconds(0.24824512345)).toBe('0.248245');
    expect(formatSeconds(2)).toBe('2');
    expect(formatSeconds(0.0000004)).toBe('0');
  });
});
