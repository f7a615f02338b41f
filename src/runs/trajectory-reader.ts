/**
 * Reading an objective run's trajectory.csv (train/trajectory.ts writes it): the path column by
 * column, as checks (check/verdict.ts) and the contour plots read it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import { RUN_FILES } from './layout.js';

export interface Trajectory {
  /** Steps taken at each point: 0 (the start), 1, 2, … */
  readonly steps: Float64Array;
  /** coordinates[i][k]: x_i after steps[k] steps. */
  readonly coordinates: readonly Float64Array[];
  /** The objective's noiseless value at each point. */
  readonly loss: Float64Array;
}

/** A run folder's trajectory.csv, or null when the run has none (a run on data). */
export function readTrajectory(runDir: string): Trajectory | null {
  const file = join(runDir, RUN_FILES.trajectory);
  if (!existsSync(file)) return null;
  const [header, ...lines] = readTextBounded(file, { maxBytes: 1 << 30 }).trimEnd().split('\n');
  const columns = header.split(',');
  const dimension = columns.filter((c) => /^x\d+$/.test(c)).length;
  const steps = new Float64Array(lines.length);
  const coordinates = Array.from({ length: dimension }, () => new Float64Array(lines.length));
  const loss = new Float64Array(lines.length);
  const lossAt = columns.indexOf('loss');
  if (columns[0] !== 'step' || lossAt !== dimension + 1) throw new DataError(file, `has the columns ${header}; expected step,x0,…,loss`);
  lines.forEach((line, k) => {
    const values = line.split(',');
    steps[k] = Number(values[0]);
    for (let i = 0; i < dimension; i++) coordinates[i][k] = Number(values[i + 1]);
    loss[k] = Number(values[lossAt]);
  });
  return { steps, coordinates, loss };
}

/** The first step at which |x_coordinate| ≥ beyond, or Infinity when the path never gets there. */
export function escapeStep(trajectory: Trajectory, coordinate: number, beyond: number): number {
  const xs = trajectory.coordinates[coordinate];
  for (let k = 0; k < xs.length; k++) if (Math.abs(xs[k]) >= beyond) return trajectory.steps[k];
  return Infinity;
}
