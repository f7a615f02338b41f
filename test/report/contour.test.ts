/**
 * The objective figures: contour lines where the function takes the level, and a compare over a
 * two-dimensional objective drawing every variant's path (its colour, the start and the minimum)
 * still (plots/contour.svg) and stepping together (plots/paths.svg, SMIL from step 0 to the last).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contourLevels, contourLines, sampleGrid } from '../../src/report/plots/contour-lines.js';
import { TABLEAU10 } from '../../src/report/plots/palette.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

describe('contour lines', () => {
  it('of x² + y² at level r² lie on the circle of radius r', () => {
    const box = { x0: -2, x1: 2, y0: -2, y1: 2 };
    const [circle] = contourLines(sampleGrid((x, y) => x * x + y * y, box, 81), box, [1.44]);
    expect(circle.segments.length).toBeGreaterThan(40);
    for (const [a, b, c, d] of circle.segments) for (const radius of [Math.hypot(a, b), Math.hypot(c, d)]) expect(radius).toBeCloseTo(1.2, 2);
  });

  it('are log-spaced above the minimum, evenly spaced without one', () => {
    const grid = [
      [0, 1],
      [10, 1000],
    ];
    const logged = contourLevels(grid, 4, true);
    expect(logged[0]).toBeCloseTo(1, 10);
    expect(logged[3]).toBeCloseTo(900, 10);
    expect(logged[2] / logged[1]).toBeCloseTo(logged[1] / logged[0], 10);
    expect(contourLevels(grid, 4, false)).toEqual([200, 400, 600, 800]);
  });
});

/** The one compare folder under <out>/<name>. */
function compareFolder(out: string, name: string): string {
  const [folder] = readdirSync(join(out, name)).filter((f) => f.startsWith('compare-'));
  return join(out, name, folder);
}

describe('a compare over a two-dimensional objective', () => {
  it('draws every path on the contours, and the paths stepping together', async () => {
    const file = writeConfig(`name: beale-paths
objective: {name: beale, start: [1.0, 1.5]}
optimizer: {name: adam, lr: 0.02}
train: {max_steps: 120, eval_every: 60}
compare:
  sgd: {optimizer: {name: sgd, lr: 0.005}}
  adam: {optimizer: {name: adam, lr: 0.02}}
`);
    const out = tempDir();
    expect((await runCli('compare', file, '--out', out, '-q')).code).toBe(0);
    const dir = compareFolder(out, 'beale-paths');
    const contour = readFileSync(join(dir, 'plots', 'contour.svg'), 'utf8');
    const polylines = [...contour.matchAll(/<polyline points="([^"]+)"[^>]*stroke="(#[0-9a-f]+)"/g)];
    expect(polylines.map((m) => m[2])).toEqual([TABLEAU10[0], TABLEAU10[1]]);
    // the start, then every recorded step (121 points, thinned to at most 600)
    expect(polylines[1][1].split(' ')).toHaveLength(121);
    expect(contour).toContain('start (1, 1.5)');
    expect(contour).toContain('minimum (3, 0.5)');
    expect(contour).toContain('contours log-spaced above the minimum');
    const animation = readFileSync(join(dir, 'plots', 'paths.svg'), 'utf8');
    const keyTimes = [...animation.matchAll(/keyTimes="([^"]+)"/g)].map((m) => m[1].split(';').map(Number));
    expect(keyTimes).toHaveLength(4); // per variant: the line drawing itself and the moving dot
    for (const times of keyTimes) {
      expect(times[0]).toBe(0);
      expect(times[times.length - 1]).toBe(1);
      expect(times.every((t, k) => k === 0 || t >= times[k - 1])).toBe(true);
    }
    expect(animation).toMatch(/<animateMotion /);
    expect(animation).not.toMatch(/<script/);
  }, 120_000);

  it('draws none for a one-dimensional objective', async () => {
    const file = writeConfig(`name: line
objective: {name: quadratic, start: [2.0]}
train: {max_steps: 20, eval_every: 10}
compare:
  sgd: {optimizer: {name: sgd, lr: 0.1}}
  adam: {optimizer: {name: adam, lr: 0.1}}
`);
    const out = tempDir();
    expect((await runCli('compare', file, '--out', out, '-q')).code).toBe(0);
    expect(existsSync(join(compareFolder(out, 'line'), 'plots', 'loss.svg'))).toBe(true);
    expect(existsSync(join(compareFolder(out, 'line'), 'plots', 'contour.svg'))).toBe(false);
  }, 120_000);

  it('under the tuned protocol: lr tuned per variant on the objective value, then the tuned paths drawn', async () => {
    const file = writeConfig(`name: tuned-paths
objective: {name: rosenbrock, start: [-1.5, 2.0]}
train: {max_steps: 60, eval_every: 30}
compare:
  sgd: {optimizer: {name: sgd, lr: 0.0005}}
  adam: {optimizer: {name: adam, lr: 0.05}}
protocol:
  rerun: {seeds: 2}
  tune: {budget: 2, space: {optimizer.lr: {log_uniform: [1.0e-4, 1.0e-1]}}}
`);
    const out = tempDir();
    expect((await runCli('compare', file, '--protocol', 'tuned', '--out', out, '-q')).code).toBe(0);
    const [folder] = readdirSync(join(out, 'tuned-paths')).filter((f) => f.startsWith('tuned-'));
    expect(readFileSync(join(out, 'tuned-paths', folder, 'report.html'), 'utf8')).toContain('tuned-paths: paths on rosenbrock');
  }, 120_000);
});
