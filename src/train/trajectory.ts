/**
 * trajectory.csv of an objective run (DESIGN.md, Objectives): the path of the coordinates.
 *
 *   step,x0,x1,…,loss[,regret]
 *
 * Row k is the point after k optimizer steps (row 0 the start, so the path can be drawn from it);
 * `loss` the objective's value there without the step's randomness — the fixed function, the mean
 * over one period of an online sequence, the expectation of a random one — which is also what
 * evaluation reports as test_loss. For an online or stochastic family with a known minimizer x*,
 * `regret` is the average regret R_k/k, R_k = Σ_{t≤k} f_t(x_t) − f_t(x*) (Reddi et al. 2018, Section 5,
 * Figure 1), over the functions the steps saw, in float64.
 */
import { expectedValue } from '../engine/objectives/objective.js';
import type { ObjectiveProblem } from '../engine/objectives/problem.js';
import { formatFloat32, formatNumber } from '../runs/numbers.js';

export type TrajectoryRow = Record<string, string>;

/** The columns of a run's trajectory.csv: the coordinates of its dimension, and the regret for an online or stochastic family. */
export function trajectoryColumns(problem: ObjectiveProblem): string[] {
  const coordinates = Array.from({ length: problem.objective.dimension }, (_, i) => `x${i}`);
  return ['step', ...coordinates, 'loss', ...(hasRegret(problem) ? ['regret'] : [])];
}

function hasRegret(problem: ObjectiveProblem): boolean {
  return problem.objective.family.kind !== 'fixed' && problem.objective.minimizer !== null;
}

export class TrajectoryRecorder {
  private rows: TrajectoryRow[] = [];
  /** R_k, carried by checkpoints (LoopPosition.regret_sum) so that a resumed run writes the same rows. */
  regretSum = 0;

  constructor(
    private readonly problem: ObjectiveProblem,
    /** The model's coordinates, the tensor x. */
    private readonly x: Float32Array,
  ) {}

  /** The row of the point after `step` steps; from step 1 on, the step's own function adds its regret. */
  record(step: number): void {
    const { objective, trace } = this.problem;
    const regret = hasRegret(this.problem);
    if (regret && step > 0) this.regretSum += trace.value - objective.evaluate(objective.minimizer!, trace.member, null);
    const row: TrajectoryRow = { step: String(step) };
    this.x.forEach((value, i) => (row[`x${i}`] = formatFloat32(value)));
    row.loss = formatNumber(expectedValue(objective, this.x));
    if (regret) row.regret = step === 0 ? '' : formatNumber(this.regretSum / step);
    this.rows.push(row);
  }

  /** The rows recorded since the last call. */
  take(): TrajectoryRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }
}
