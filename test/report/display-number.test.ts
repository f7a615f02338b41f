import { describe, expect, it } from 'vitest';
import { displayNumber } from '../../src/report/display-number.js';

describe('displayNumber', () => {
  it('gives four significant digits, plain between 1e-3 and 1e5', () => {
    expect(displayNumber(0.012345678)).toBe('0.01235');
    expect(displayNumber(2.5)).toBe('2.5');
    expect(displayNumber(0)).toBe('0');
    expect(displayNumber(1.23456e-5)).toBe('1.235e-5');
    expect(displayNumber(123456789)).toBe('1.235e+8');
    expect(displayNumber(0.0123, 2)).toBe('0.012');
    expect(displayNumber(Number.NaN)).toBe('NaN');
    expect(displayNumber(-Infinity)).toBe('−∞');
  });
});
