/**
 * The analytic problems of `optimizers verify`, stepped straight through the optimizer
 * (createOptimizer over a 2- or 1-element parameter vector), without data or layers:
 *  - a badly scaled quadratic ½(x² + 10y²) from (3, −2), and Rosenbrock (1−x)² + 100(y−x²)²
 *    from (−1.2, 1): optax's convergence table, as test/optim/convergence.test.ts has it;
 *  - the online problem of Reddi, Kale & Kumar 2018 ("On the Convergence of Adam and Beyond",
 *    §3): on x ∈ [−1, 1], f_t(x) = C·x when t mod 3 = 1, else −x, with C = 3; the regret is
 *    minimized at x = −1, and Adam with β2 small enough goes to +1. Projected onto [−1, 1]
 *    after every step, as the paper's algorithm does.
 * (These stand in for the objectives the `objectives` branch adds to training; verify moves to
 * them once they are on main.)
 */
import { createOptimizer, optimizerKind, type OptimizerConfig } from '../optim/registry.js';

export interface Problem {
  readonly start: readonly number[];
  value(x: Float32Array): number;
  /** Writes ∂f/∂x at x into `into`; `t` is the 1-based step (online problems change with it). */
  gradient(x: Float32Array, into: Float32Array, t: number): void;
}

export const quadratic: Problem = {
  start: [3, -2],
  value: ([x, y]) => 0.5 * (x * x + 10 * y * y),
  gradient([x, y], into) {
    into[0] = x;
    into[1] = 10 * y;
  },
};

export const rosenbrock: Problem = {
  start: [-1.2, 1],
  value: ([x, y]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient([x, y], into) {
    into[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    into[1] = 200 * (y - x * x);
  },
};

/** Reddi et al. 2018's C: any C > 2 makes x = −1 optimal; 3 is the smallest whole one. */
const REDDI_C = 3;

export const reddiOnline: Problem = {
  start: [0],
  // The average of f_t over one period of three steps: (C − 2)/3 · x.
  value: ([x]) => ((REDDI_C - 2) / 3) * x,
  gradient(_x, into, t) {
    into[0] = t % 3 === 1 ? REDDI_C : -1;
  },
};

/** Where a problem's parameters end after `steps` steps of the optimizer `config`, and f there. */
export function minimize(config: OptimizerConfig, problem: Problem, steps: number, project?: (x: Float32Array) => void): { x: Float32Array; value: number } {
  const params = Float32Array.from(problem.start);
  const optimizer = createOptimizer(config, params, {}, [{ name: 'x', shape: parameterShape(config.name, params.length), offset: 0, length: params.length }]);
  const grads = new Float32Array(params.length);
  for (let t = 1; t <= steps; t++) {
    problem.gradient(params, grads, t);
    // torch's closure, for an optimizer that evaluates again within a step (L-BFGS); the others ignore it
    const closure = {
      loss: problem.value(params),
      evaluate: (): number => {
        problem.gradient(params, grads, t);
        return problem.value(params);
      },
    };
    optimizer.apply(grads, undefined, closure);
    project?.(params);
    if (!params.every(Number.isFinite)) break;
  }
  return { x: params, value: problem.value(params) };
}

/**
 * The coordinates as one tensor: a vector [n], or a row [1, n] for an optimizer that steps only
 * matrices (Muon), as a problem's coordinates are when a model holds them.
 */
function parameterShape(name: string, n: number): number[] {
  return optimizerKind(name).tensorProblem([n]) === null ? [n] : [1, n];
}

/** The projection of the Reddi problem: x clipped to [−1, 1]. */
export function projectToUnitInterval(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(-1, x[i]));
}
