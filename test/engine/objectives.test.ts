/**
 * Objectives (engine/objectives/): every gradient against central finite differences of the
 * value, in float64 at seeded points; the known minima; and the Reddi et al. 2018 sequence's
 * indexing (step t sees c·x when t mod period = 1).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { createObjective, type ObjectiveConfig } from '../../src/engine/objectives/config.js';
import { expectedValue } from '../../src/engine/objectives/objective.js';
import { objectiveKinds } from '../../src/engine/objectives/registry.js';
import { objectiveSchema } from '../../src/config/objective-schema.js';

/** Each objective with options off their defaults where it has any, in the dimensions it takes. */
const CASES: Record<string, Record<string, unknown>> = {
  rosenbrock: { start: [0, 0, 0, 0], a: 1.5, b: 50 },
  beale: { start: [0, 0] },
  saddle: { start: [0, 0] },
  rastrigin: { start: [0, 0, 0], a: 7 },
  quadratic: { start: [0, 0, 0], condition_number: 50, rotation: 35 },
  reddi2018_online: { start: [0], domain: [-1, 1], c: 3, otherwise: -1, period: 3 },
  reddi2018_stochastic: { start: [0], domain: [-1, 1] },
};

function objectiveOf(name: string) {
  return createObjective(objectiveSchema.parse({ name, ...CASES[name] }) as ObjectiveConfig);
}

describe('objective gradients', () => {
  it('cover every registered objective', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(objectiveKinds).sort());
  });

  for (const name of Object.keys(CASES)) {
    it(`${name}: ∇f equals central differences of f at random points, for every member`, () => {
      const objective = objectiveOf(name);
      const rng = new Rng(21, 'init');
      const members = objective.family.kind === 'fixed' ? 1 : objective.family.kind === 'cycle' ? objective.family.period : objective.family.probabilities.length;
      const h = 1e-6;
      for (let trial = 0; trial < 5; trial++) {
        const x = Array.from({ length: objective.dimension }, () => rng.uniformIn(-2, 2));
        for (let member = 0; member < members; member++) {
          const grad = new Float64Array(objective.dimension);
          objective.evaluate(x, member, grad);
          for (let i = 0; i < x.length; i++) {
            const plus = x.slice();
            const minus = x.slice();
            plus[i] += h;
            minus[i] -= h;
            const numeric = (objective.evaluate(plus, member, null) - objective.evaluate(minus, member, null)) / (2 * h);
            expect(grad[i]).toBeCloseTo(numeric, Math.abs(numeric) > 100 ? 2 : 4);
          }
        }
      }
    });
  }
});

describe('objective minima', () => {
  it('are where the registry says, with value 0 and no gradient', () => {
    for (const name of ['rosenbrock', 'beale', 'rastrigin', 'quadratic']) {
      const objective = createObjective(objectiveSchema.parse({ name, ...CASES[name], ...(name === 'rosenbrock' ? { a: 1, b: 100 } : {}) }) as ObjectiveConfig);
      const grad = new Float64Array(objective.dimension);
      expect(objective.evaluate(objective.minimizer!, 0, grad), name).toBeCloseTo(0, 12);
      for (const g of grad) expect(Math.abs(g), name).toBeLessThan(1e-9);
    }
  });

  it('quadratic: the Hessian has eigenvalues 1 … condition_number however it is rotated', () => {
    const objective = objectiveOf('quadratic');
    // ½xᵀAx on the unit sphere lies in [½λmin, ½λmax]; its extremes over many directions approach them.
    const rng = new Rng(3, 'init');
    let [low, high] = [Infinity, -Infinity];
    for (let k = 0; k < 20000; k++) {
      const v = [rng.normal(), rng.normal(), rng.normal()];
      const norm = Math.hypot(...v);
      const f = objective.evaluate(v.map((c) => c / norm), 0, null);
      [low, high] = [Math.min(low, f), Math.max(high, f)];
    }
    expect(low).toBeGreaterThanOrEqual(0.5 - 1e-12);
    expect(low).toBeLessThan(0.5 * 1.05);
    expect(high).toBeLessThanOrEqual(25 + 1e-9);
    expect(high).toBeGreaterThan(25 * 0.95);
  });
});

describe('Reddi, Kale & Kumar 2018', () => {
  it('online: member 0 (step t with t mod period = 1) has slope c, the others `otherwise`; the minimizer is −1', () => {
    const objective = objectiveOf('reddi2018_online');
    expect([0, 1, 2].map((member) => objective.evaluate([1], member, null))).toEqual([3, -1, -1]);
    expect(objective.minimizer).toEqual([-1]);
    // F(x) = (C − 2)/3 · x for C = 3: the mean over a period.
    expect(expectedValue(objective, [0.5])).toBeCloseTo(1 / 6, 15);
  });

  it('stochastic: the paper defaults (c 1010 with p 0.01, else −10) have mean slope 0.2, so the minimizer is −1', () => {
    const objective = objectiveOf('reddi2018_stochastic');
    expect(expectedValue(objective, [1])).toBeCloseTo(0.01 * 1010 - 0.99 * 10, 12);
    expect(objective.minimizer).toEqual([-1]);
  });
});
