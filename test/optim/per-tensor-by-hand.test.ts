/**
 * The new optimizers' first two steps worked out by hand, in the style of tfjs's optimizer tests:
 * one small tensor (a 2-vector, or a 1×2 / 2×2 matrix where the optimizer needs one), fixed
 * gradients g₁ and g₂, every intermediate value written out so that a reviewer can check it with a
 * calculator (each was also confirmed in float64 with the formulas of
 * test/fixtures/torch/per_tensor_optimizers.py). θ and the state are float32, so θ is checked to
 * 6 decimals (|error| < 5e-7).
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import { createOptimizer, type OptimizerConfig } from '../../src/optim/registry.js';

/** θ after each step from θ₀ with the given gradients, the tensor of shape `shape`. */
function thetas(options: Record<string, unknown>, shape: number[], theta0: number[], grads: number[][]): number[][] {
  const config = optimizerSchema.parse(options) as OptimizerConfig;
  const theta = Float32Array.from(theta0);
  const optimizer = createOptimizer(config, theta, {}, [{ name: '0.weight', shape, offset: 0, length: theta.length }]);
  return grads.map((g) => {
    optimizer.apply(Float32Array.from(g));
    return [...theta];
  });
}

function expectClose(actual: number[][], expected: number[][]): void {
  actual.forEach((row, t) => row.forEach((x, i) => expect(x, `step ${t + 1} θ[${i}]`).toBeCloseTo(expected[t][i], 6)));
}

describe('per-tensor optimizers checked by hand', () => {
  it('lion, lr 0.1, betas (0.9, 0.99), θ₀ = 1, g = 0.5 then −0.2', () => {
    // step 1: c = 0.9·0 + 0.1·0.5 = 0.05, sign +1        θ₁ = 1 − 0.1·1 = 0.9
    //         m = 0.99·0 + 0.01·0.5 = 0.005
    // step 2: c = 0.9·0.005 + 0.1·(−0.2) = −0.0155, sign −1   θ₂ = 0.9 + 0.1 = 1.0
    //         m = 0.99·0.005 + 0.01·(−0.2) = 0.00295
    expectClose(thetas({ name: 'lion', lr: 0.1 }, [1], [1], [[0.5], [-0.2]]), [[0.9], [1]]);
  });

  it('lamb, lr 0.1, eps 0, θ₀ = (3, 4), g = (1, 1) then (1, −1)', () => {
    // step 1: m = (0.1, 0.1), v = (0.001, 0.001), m̂ = (1, 1), v̂ = (1, 1), r = (1, 1)
    //         ‖θ‖ = 5, ‖r‖ = √2, ratio = 5/√2 = 3.5355339
    //         θ₁ = (3, 4) − 0.1·3.5355339·(1, 1) = (2.6464466, 3.6464466)
    // step 2: m = 0.9·0.1 + 0.1·(1, −1) = (0.19, −0.01),  v = 0.999·0.001 + 0.001 = 0.001999
    //         m̂ = m/0.19 = (1, −0.0526316),  v̂ = 0.001999/(1 − 0.999²) = 1,  r = m̂
    //         ‖θ₁‖ = √(2.6464466² + 3.6464466²) = 4.5055806,  ‖r‖ = 1.0013841,  ratio = 4.4993527
    //         θ₂ = θ₁ − 0.1·4.4993527·(1, −0.0526316) = (2.1965113, 3.6701274)
    expectClose(thetas({ name: 'lamb', lr: 0.1, eps: 0 }, [2], [3, 4], [[1, 1], [1, -1]]), [
      [2.6464466, 3.6464466],
      [2.1965113, 3.6701274],
    ]);
  });

  it('lars, lr 1, momentum 0.9, trust_coefficient 0.01, eps 0, θ₀ = (3, 4), g = (0.6, 0.8) then (0.8, −0.6)', () => {
    // step 1: r = 0.01·‖θ‖/‖g‖ = 0.01·5/1 = 0.05, d = r·g = (0.03, 0.04), b = d (first step)
    //         θ₁ = (3, 4) − (0.03, 0.04) = (2.97, 3.96)
    // step 2: ‖θ₁‖ = √(8.8209 + 15.6816) = 4.95, r = 0.0495, d = (0.0396, −0.0297)
    //         b = 0.9·(0.03, 0.04) + d = (0.0666, 0.0063)
    //         θ₂ = (2.97 − 0.0666, 3.96 − 0.0063) = (2.9034, 3.9537)
    expectClose(thetas({ name: 'lars', lr: 1, momentum: 0.9, trust_coefficient: 0.01, eps: 0 }, [2], [3, 4], [[0.6, 0.8], [0.8, -0.6]]), [
      [2.97, 3.96],
      [2.9034, 3.9537],
    ]);
  });

  it('adafactor (defaults: lr 0.01, beta2_decay −0.8, d 1), θ₀ = [[1, 1], [1, 1]], g = [[1, 0], [0, 2]] twice', () => {
    // step 1: t^c = 1, ρ = min(0.01, 1/√1) = 0.01, RMS(θ₀) = 1, α = max(1e-3, 1)·0.01 = 0.01
    //         row_var = mean over columns of g² = (0.5, 2), col_var = mean over rows = (0.5, 2)
    //         v̂ = row·colᵀ / mean(row_var) = [[0.25, 1], [1, 4]] / 1.25 = [[0.2, 0.8], [0.8, 3.2]]
    //           (factored: unfactored v would be g² = [[1, 0], [0, 4]])
    //         u = g/√v̂ = [[1/√0.2, 0], [0, 2/√3.2]] = [[2.2360680, 0], [0, 1.1180340]]
    //         RMS(u) = √((5 + 1.25)/4) = 1.25, so u/1.25
    //         θ₁ = θ₀ − 0.01·u/1.25 = [[0.9821115, 1], [1, 0.9910557]]
    // step 2: t^c = 2^−0.8 = 0.5743492, but the same g leaves row_var and col_var, hence u, as they are
    //         RMS(θ₁) = √((0.9821115² + 1 + 1 + 0.9910557²)/4) = 0.9933194, α = 0.009933194
    //         θ₂ = θ₁ − 0.009933194·u/1.25 = [[0.9643424, 1], [1, 0.9821712]]
    expectClose(thetas({ name: 'adafactor' }, [2, 2], [1, 1, 1, 1], [[1, 0, 0, 2], [1, 0, 0, 2]]), [
      [0.9821115, 1, 1, 0.9910557],
      [0.9643424, 1, 1, 0.9821712],
    ]);
  });

  it('muon (lr 0.1, μ 0.95 nesterov, λ 0.1, ns_steps 1), θ₀ = [[1, 1]], g = [[0.3, 0.4]] then [[0.4, −0.3]]', () => {
    // A 1×2 matrix has one singular value, 1 after normalising; one Newton–Schulz step maps it to
    // a + b + c = 3.4445 − 4.775 + 2.0315 = 0.701. s = √max(1, 1/2) = 1.
    // step 1: B = 0.05·g = (0.015, 0.02), u = 0.05·g + 0.95·B = (0.02925, 0.039), u/‖u‖ = (0.6, 0.8)
    //         X = 0.701·(0.6, 0.8) = (0.4206, 0.5608)
    //         θ₁ = θ₀ − 0.1·(X + 0.1·θ₀) = (0.94794, 0.93392)
    // step 2: B = 0.95·(0.015, 0.02) + 0.05·(0.4, −0.3) = (0.03425, 0.004)
    //         u = 0.05·g + 0.95·B = (0.0525375, −0.0112), ‖u‖ = 0.0537181
    //         X = 0.701·u/‖u‖ = (0.6855943, −0.1461557)
    //         θ₂ = θ₁ − 0.1·(X + 0.1·θ₁) = (0.8699012, 0.9391964)
    expectClose(thetas({ name: 'muon', lr: 0.1, ns_steps: 1 }, [1, 2], [1, 1], [[0.3, 0.4], [0.4, -0.3]]), [
      [0.94794, 0.93392],
      [0.8699012, 0.9391964],
    ]);
  });

  it('prodigy (lr 1, d0 0.1, eps 0), θ₀ = 1, g = 0.5 then 0.4', () => {
    // β3 = √0.999 = 0.9994999
    // step 1: d = 0.1, dγ = d·γ = 0.1, r = (d/d₀)·dγ·g·(θ₀ − θ) = 0 (θ has not moved)
    //         m = 0.1·(0.1·0.5) = 0.005,  v = 0.001·(0.01·0.25) = 2.5e-6,  s = 1·0.1·0.5 = 0.05
    //         d̂ = 0/0.05 = 0, so d stays 0.1;  θ₁ = 1 − 0.1·0.005/√2.5e-6 = 1 − 0.3162278 = 0.6837722
    // step 2: dγ = 0.1,  r = 0.9994999·0 + 1·0.1·0.4·(1 − 0.6837722) = 0.0126491
    //         m = 0.9·0.005 + 0.1·0.1·0.4 = 0.0085,  v = 0.999·2.5e-6 + 0.001·0.01·0.16 = 4.0975e-6
    //         s = 0.9994999·0.05 + 0.1·0.4 = 0.0899750
    //         d̂ = 0.0126491/0.0899750 = 0.1405847; d = d₀, so d ← max(d, d̂) = 0.1405847 (= d_max)
    //         θ₂ = 0.6837722 − 0.1·0.0085/√4.0975e-6 = 0.6837722 − 0.4199131 = 0.2638591 (dγ used d before the step)
    const config = optimizerSchema.parse({ name: 'prodigy', lr: 1, d0: 0.1, eps: 0 }) as OptimizerConfig;
    const theta = Float32Array.of(1);
    const optimizer = createOptimizer(config, theta);
    optimizer.apply(Float32Array.of(0.5));
    expect(theta[0]).toBeCloseTo(0.6837722, 6);
    expect(optimizer.segmentScalars()[0].get('d')?.[0]).toBeCloseTo(0.1, 12);
    optimizer.apply(Float32Array.of(0.4));
    expect(theta[0]).toBeCloseTo(0.2638591, 6);
    expect(optimizer.segmentScalars()[0].get('d')?.[0]).toBeCloseTo(0.1405847, 6);
  });
});
