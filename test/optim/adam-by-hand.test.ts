/**
 * Optimizer steps worked out by hand, in the style of tfjs's optimizer tests: one parameter θ,
 * the objective f(θ) = θ² (so g = 2θ), θ₀ = 1, two steps. Every intermediate value is written
 * below so that a reviewer can check it with a calculator; each was also confirmed against
 * torch.optim (1.13) in float64. No fixture is involved (the torch comparisons on real
 * trajectories are in torch-trajectories.test.ts, from test/fixtures/torch/generate.py).
 *
 * The engine keeps θ and the optimizer state in float32, so the expected θ is checked to
 * 6 decimals (|error| < 5e-7, a few float32 ulps at these magnitudes).
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';

/** Runs `steps` steps on f(θ) = θ² from θ₀ = 1 and returns θ after each. */
function thetas(options: Record<string, unknown>, steps: number): number[] {
  const config = optimizerSchema.parse(options) as OptimizerConfig;
  const theta = Float32Array.of(1);
  const grad = new Float32Array(1);
  const optimizer = createOptimizer(config, theta);
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    grad[0] = 2 * theta[0]; // ∂(θ²)/∂θ
    optimizer.apply(grad);
    out.push(theta[0]);
  }
  return out;
}

describe('optimizer steps checked by hand (f(θ) = θ², θ₀ = 1)', () => {
  it('adam, lr 0.1, betas (0.9, 0.999), eps 1e-8', () => {
    // step 1: g = 2θ₀ = 2
    //   m  = 0.9·0 + 0.1·2            = 0.2
    //   v  = 0.999·0 + 0.001·2²       = 0.004
    //   m̂  = m / (1 − 0.9¹)  = 0.2 / 0.1      = 2
    //   v̂  = v / (1 − 0.999¹) = 0.004 / 0.001 = 4,   √v̂ = 2
    //   θ₁ = 1 − 0.1 · 2 / (2 + 1e-8)           = 0.9   (0.9000000005)
    // step 2: g = 2θ₁ = 1.8
    //   m  = 0.9·0.2 + 0.1·1.8        = 0.36
    //   v  = 0.999·0.004 + 0.001·1.8² = 0.003996 + 0.00324 = 0.007236
    //   m̂  = 0.36 / (1 − 0.9²)   = 0.36 / 0.19         = 1.8947368
    //   v̂  = 0.007236 / (1 − 0.999²) = 0.007236 / 0.001999 = 3.6198099,  √v̂ = 1.9025798
    //   θ₂ = 0.9 − 0.1 · 1.8947368 / (1.9025798 + 1e-8) = 0.9 − 0.0995878 = 0.8004122
    const [theta1, theta2] = thetas({ name: 'adam', lr: 0.1 }, 2);
    expect(theta1).toBeCloseTo(0.9, 6);
    expect(theta2).toBeCloseTo(0.8004122, 6);
  });

  it('sgd, lr 0.1, momentum 0.9 (dampening 0)', () => {
    // step 1: g = 2;   b = g (the first step copies the gradient)  = 2
    //   θ₁ = 1 − 0.1·2   = 0.8
    // step 2: g = 2θ₁ = 1.6;   b = 0.9·2 + (1 − 0)·1.6 = 1.8 + 1.6 = 3.4
    //   θ₂ = 0.8 − 0.1·3.4 = 0.46
    const [theta1, theta2] = thetas({ name: 'sgd', lr: 0.1, momentum: 0.9 }, 2);
    expect(theta1).toBeCloseTo(0.8, 6);
    expect(theta2).toBeCloseTo(0.46, 6);
  });

  it('rmsprop, lr 0.01, alpha 0.99, eps 1e-8', () => {
    // step 1: g = 2
    //   v  = 0.99·0 + 0.01·2²  = 0.04,   √v = 0.2
    //   θ₁ = 1 − 0.01 · 2 / (0.2 + 1e-8)     = 1 − 0.1 = 0.9
    // step 2: g = 2θ₁ = 1.8
    //   v  = 0.99·0.04 + 0.01·1.8² = 0.0396 + 0.0324 = 0.072,   √v = 0.2683282
    //   θ₂ = 0.9 − 0.01 · 1.8 / (0.2683282 + 1e-8) = 0.9 − 0.0670820 = 0.8329180
    const [theta1, theta2] = thetas({ name: 'rmsprop', lr: 0.01 }, 2);
    expect(theta1).toBeCloseTo(0.9, 6);
    expect(theta2).toBeCloseTo(0.832918, 6);
  });
});
