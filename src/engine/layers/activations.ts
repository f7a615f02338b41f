/**
 * Activation functions with torch's exact definitions (torch.nn.ReLU, LeakyReLU, Sigmoid, Tanh, GELU).
 * At the kink of ReLU and LeakyReLU the derivative is taken from the left side (x > 0 is
 * false at 0), as torch's threshold_backward does.
 */
import { z } from 'zod';
import { erfc } from '../erf.js';
import { reluBackwardWasm, reluWasm } from '../../kernels/layer-kernels.js';
import type { ScalarFunction } from './elementwise.js';

export const relu: ScalarFunction = {
  value: (x) => (x > 0 ? x : 0),
  derivative: (x) => (x > 0 ? 1 : 0),
  forwardKernel: reluWasm,
  backwardKernel: (x, _y, dy, dx, n) => reluBackwardWasm(x, dy, dx, n),
};

export const leakyReluOptions = z.strictObject({ negative_slope: z.number().finite().default(0.01) });
export type LeakyReluOptions = z.infer<typeof leakyReluOptions>;

export function leakyRelu({ negative_slope: slope }: LeakyReluOptions): ScalarFunction {
  return {
    value: (x) => (x > 0 ? x : slope * x),
    derivative: (x) => (x > 0 ? 1 : slope),
  };
}

/** σ(x) = 1/(1+e^(−x)), written so that e^(−x) never overflows for large negative x. */
export const sigmoid: ScalarFunction = {
  value: (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  derivative: (_x, y) => y * (1 - y),
};

export const tanh: ScalarFunction = {
  value: Math.tanh,
  derivative: (_x, y) => 1 - y * y,
};

/**
 * GELU, the exact form torch uses by default (approximate='none'):
 *   gelu(x) = x·Φ(x),  Φ(x) = ½·erfc(−x/√2),  gelu'(x) = Φ(x) + x·φ(x),  φ(x) = e^(−x²/2)/√(2π).
 * erfc keeps Φ accurate in the far negative tail, where 1 + erf would cancel.
 */
const INV_SQRT2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const normalCdf = (x: number): number => 0.5 * erfc(-x * INV_SQRT2);

export const gelu: ScalarFunction = {
  value: (x) => x * normalCdf(x),
  derivative: (x) => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
};
