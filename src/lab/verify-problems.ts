/**
 * The analytic problems of `optimizers verify`, the engine's objectives (engine/objectives/)
 * stepped straight through the optimizer (createOptimizer over a 2- or 1-element parameter
 * vector), without a training loop:
 *  - the badly scaled quadratic ½(x² + 10y²) (condition number 10) from (3, −2), and Rosenbrock
 *    (1−x)² + 100(y−x²)² from (−1.2, 1): optax's convergence table, as test/optim/convergence.test.ts
 *    has it;
 *  - the online problem of Reddi, Kale & Kumar 2018 ("On the Convergence of Adam and Beyond",
 *    Theorem 1): on x ∈ [−1, 1], f_t(x) = C·x when t mod 3 = 1, else −x, with C = 3 (any C > 2 makes
 *    x = −1 optimal; 3 is the smallest whole one); Adam with β2 small enough goes to +1. Projected
 *    onto [−1, 1] after every step, as the paper's algorithm does.
 */
import { createObjective, domainBox, type ObjectiveConfig } from '../engine/objectives/config.js';
import { expectedValue, projectOnto, type Objective } from '../engine/objectives/objective.js';
import { createOptimizer, optimizerKind, type OptimizerConfig } from '../optim/registry.js';

export interface Problem {
  readonly start: readonly number[];
  value(x: Float32Array): number;
  /** Writes ∂f/∂x at x into `into`; `t` is the 1-based step (online problems change with it). */
  gradient(x: Float32Array, into: Float32Array, t: number): void;
  /** Puts x back into the domain after a step, where the problem has one. */
  project?(x: Float32Array): void;
}

/** An objective config (with its defaults written out) as a problem: step t sees the member training's step t would. */
function problemOf(config: ObjectiveConfig): Problem {
  const objective: Objective = createObjective(config);
  const box = domainBox(config);
  const grad = new Float64Array(objective.dimension);
  const { family } = objective;
  const member = (t: number): number => (family.kind === 'cycle' ? (t - 1) % family.period : 0);
  return {
    start: config.start,
    value: (x) => expectedValue(objective, x),
    gradient(x, into, t) {
      objective.evaluate(x, member(t), grad);
      into.set(grad);
    },
    project: box === null ? undefined : (x) => projectOnto(box, x),
  };
}

export const quadratic = problemOf({ name: 'quadratic', start: [3, -2], noise: 0, condition_number: 10, rotation: 0 });
export const rosenbrock = problemOf({ name: 'rosenbrock', start: [-1.2, 1], noise: 0, a: 1, b: 100 });
export const reddiOnline = problemOf({ name: 'reddi2018_online', start: [0], noise: 0, domain: [-1, 1], c: 3, otherwise: -1, period: 3 });

/** Where a problem's parameters end after `steps` steps of the optimizer `config`, and f there. */
export function minimize(config: OptimizerConfig, problem: Problem, steps: number): { x: Float32Array; value: number } {
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
    problem.project?.(params);
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
