/**
 * Optimizers on the analytic objectives against PyTorch: test/fixtures/torch/objective_trajectories.json,
 * written by objective_trajectories.py (torch 1.13: the same functions written from their
 * definitions in float64 over a float32 parameter, the same optimizer records, Reddi's sequence
 * clamped to [−1, 1] after every step, inverse_sqrt_lr as LambdaLR). Each case runs here as a
 * whole adam-lab run (config → trajectory.csv) for the fixture's 200 steps, never resynchronised,
 * and every point after every step must match torch's:
 *
 *     |ours − torch| ≤ 1e-5 · max(|torch|, 1e-2)
 *
 * (relative 1e-5, with an absolute floor of 1e-7 for coordinates passing near zero, as in
 * torch-trajectories.test.ts). Regenerate with /usr/bin/python3 test/fixtures/torch/objective_trajectories.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/train/experiment.js';
import { readTrajectory } from '../../src/runs/trajectory-reader.js';
import { tempDir } from '../cli/run-cli.js';
import { resolveText } from '../config/helpers.js';

const RELATIVE = 1e-5;
const FLOOR = 1e-2;

interface Case {
  readonly id: string;
  readonly objective: Record<string, unknown>;
  readonly optimizer: Record<string, unknown>;
  readonly scheduler?: Record<string, unknown>;
  readonly points: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/objective_trajectories.json', import.meta.url), 'utf8')) as { steps: number; cases: Case[] };

describe('objective trajectories against torch', () => {
  it('cover sgd, momentum, nesterov, adam, amsgrad, adamw and rmsprop, and every fixed objective', () => {
    const optimizers = new Set(fixture.cases.map((c) => `${c.optimizer.name}${c.optimizer.amsgrad === true ? '+amsgrad' : ''}${Number(c.optimizer.momentum) > 0 ? '+momentum' : ''}`));
    for (const name of ['sgd', 'sgd+momentum', 'adam', 'adam+amsgrad', 'rmsprop']) expect(optimizers).toContain(name);
    expect(new Set(fixture.cases.map((c) => c.objective.name))).toEqual(new Set(['rosenbrock', 'beale', 'saddle', 'rastrigin', 'quadratic', 'reddi2018_online']));
  });

  for (const c of fixture.cases) {
    it(`${c.id}: every point of ${fixture.steps} steps within 1e-5 relative`, async () => {
      const config = resolveText(JSON.stringify({ name: c.id, objective: c.objective, optimizer: c.optimizer, ...(c.scheduler ? { scheduler: c.scheduler } : {}), train: { max_steps: fixture.steps, eval_every: 50 } }));
      const result = await runExperiment(config, { configFile: join(tempDir(), 'exp.yaml'), outRoot: join(tempDir(), 'runs') });
      expect(result.status).toBe('completed');
      const path = readTrajectory(result.runDir)!;
      let worst = 0;
      c.points.forEach((point, k) => {
        point.forEach((torch, i) => {
          const ours = Math.fround(path.coordinates[i][k + 1]);
          worst = Math.max(worst, Math.abs(ours - torch) / Math.max(Math.abs(torch), FLOOR));
        });
      });
      expect(worst).toBeLessThanOrEqual(RELATIVE);
    });
  }
});
