/**
 * optax's test table: every optimizer must minimize a badly scaled quadratic and the
 * Rosenbrock function from a fixed start, at a learning rate suited to it. A sign error, a
 * missing bias correction or a broken piece shows up as a failure to converge (or divergence).
 */
import { describe, expect, it } from 'vitest';
import { optimizerSchema } from '../../src/config/schema.js';
import type { TensorView } from '../../src/optim/groups.js';
import { createOptimizer, optimizerKinds, optimizerNames, type OptimizerConfig, type OptimizerName } from '../../src/optim/registry.js';

interface Problem {
  readonly start: [number, number];
  value(x: number, y: number): number;
  gradient(x: number, y: number): [number, number];
  /** Converged when the value is below this (the minimum is 0). */
  readonly tolerance: number;
}

const problems: Record<'quadratic' | 'rosenbrock', Problem> = {
  quadratic: {
    start: [3, -2],
    value: (x, y) => 0.5 * (x * x + 10 * y * y),
    gradient: (x, y) => [x, 10 * y],
    tolerance: 1e-6,
  },
  rosenbrock: {
    start: [-1.2, 1],
    value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    gradient: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
    tolerance: 0.1,
  },
};

/** Learning rates per optimizer and problem (sgd with momentum 0.9). */
const settings: Record<OptimizerName, { quadratic: number; rosenbrock: number }> = {
  sgd: { quadratic: 0.01, rosenbrock: 0.001 },
  rmsprop: { quadratic: 0.01, rosenbrock: 0.002 },
  adam: { quadratic: 0.1, rosenbrock: 0.1 },
  adamw: { quadratic: 0.1, rosenbrock: 0.03 },
  adamax: { quadratic: 0.1, rosenbrock: 0.3 },
  nadam: { quadratic: 0.05, rosenbrock: 0.007 },
  radam: { quadratic: 0.05, rosenbrock: 0.005 },
  adagrad: { quadratic: 0.3, rosenbrock: 0.3 },
  adadelta: { quadratic: 0.2, rosenbrock: 0.05 },
  rprop: { quadratic: 0.01, rosenbrock: 0.01 },
  lbfgs: { quadratic: 1, rosenbrock: 1 },
  asgd: { quadratic: 0.01, rosenbrock: 0.002 },
  schedule_free_sgd: { quadratic: 0.1, rosenbrock: 0.005 },
  schedule_free_adamw: { quadratic: 0.05, rosenbrock: 0.05 },
  lion: { quadratic: 0.001, rosenbrock: 0.001 },
  lamb: { quadratic: 0.01, rosenbrock: 0.01 },
  lars: { quadratic: 3, rosenbrock: 10 },
  adafactor: { quadratic: 0.01, rosenbrock: 0.01 },
  muon: { quadratic: 0.0017, rosenbrock: 0.001 },
  prodigy: { quadratic: 1, rosenbrock: 1 },
};

/**
 * Muon steps 2-D matrices only: the two coordinates are one 1×2 matrix, without its default
 * weight decay (which pulls towards 0, away from Rosenbrock's minimum at (1, 1)).
 */
const TENSORS: Partial<Record<OptimizerName, { options: object; tensors: TensorView[] }>> = {
  muon: { options: { weight_decay: 0 }, tensors: [{ name: '0.weight', shape: [1, 2], offset: 0, length: 2 }] },
};

const STEPS = 5000;

function minimize(name: OptimizerName, lr: number, problem: Problem): number {
  const config = optimizerSchema.parse({ name, lr, ...(name === 'sgd' ? { momentum: 0.9 } : {}), ...TENSORS[name]?.options }) as OptimizerConfig;
  const params = Float32Array.from(problem.start);
  const optimizer = createOptimizer(config, params, {}, TENSORS[name]?.tensors);
  const grads = new Float32Array(2);
  // The closure L-BFGS evaluates again within a step (the others ignore it).
  const evaluate = (): number => {
    [grads[0], grads[1]] = problem.gradient(params[0], params[1]);
    return problem.value(params[0], params[1]);
  };
  for (let step = 0; step < STEPS; step++) {
    const loss = evaluate();
    optimizer.apply(grads, undefined, { loss, evaluate });
  }
  // At the weights an optimizer evaluates (ASGD's average, schedule-free's x): what it converges.
  const evaluated = new Float32Array(2);
  optimizer.evaluationWeights(params, evaluated);
  return problem.value(evaluated[0], evaluated[1]);
}

describe('every optimizer converges', () => {
  it('covers every registered optimizer', () => {
    expect(Object.keys(settings).sort()).toEqual([...optimizerNames].sort());
  });

  for (const name of optimizerNames) {
    for (const [problemName, problem] of Object.entries(problems)) {
      const lr = settings[name][problemName as keyof typeof problems];
      it(`${name} on ${problemName} (lr ${lr}, ${STEPS} steps)`, () => {
        const start = problem.value(...problem.start);
        const end = minimize(name, lr, problem);
        expect(end).toBeLessThan(problem.tolerance);
        expect(end).toBeLessThan(start / 100);
      });
    }
  }

  it('maximize climbs instead (the same problem, negated)', () => {
    // torch.optim.Muon and schedule-free's reference have no maximize.
    for (const name of optimizerNames.filter((n) => 'maximize' in optimizerKinds[n].options.shape)) {
      const config = optimizerSchema.parse({ name, lr: 0.01, maximize: true }) as OptimizerConfig;
      const params = Float32Array.of(1, 1);
      const optimizer = createOptimizer(config, params);
      const grads = new Float32Array(2);
      for (let step = 0; step < 50; step++) {
        [grads[0], grads[1]] = problems.quadratic.gradient(params[0], params[1]);
        optimizer.apply(grads);
      }
      expect(problems.quadratic.value(params[0], params[1])).toBeGreaterThan(problems.quadratic.value(1, 1));
    }
  });
});
