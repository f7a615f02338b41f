/**
 * The learning-rate range test against fastai's definitions (test/fixtures/lr-find/generate.py
 * made lr_find.json, in float64 from fastai's code): the ramp's rates, the debiased smoothing, the
 * 4x stop and the steep and valley suggestions; then the test on a model, and the command.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigSource, resolveConfig } from '../../src/config/load.js';
import { suggest } from '../../src/lab/lr-suggestions.js';
import { buildTraining } from '../../src/train/build.js';
import { rampLr, rangeTest, SmoothedLoss, type RangePoint } from '../../src/train/lr-range.js';
import { runCli } from '../cli/run-cli.js';

interface Case {
  start_lr: number;
  end_lr: number;
  num_it: number;
  beta: number;
  divergence: number;
  lrs: number[];
  losses: number[];
  smoothed: number[];
  stopped_at: number;
  steep: number;
  valley: number;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/lr-find/lr_find.json', import.meta.url), 'utf8')) as { cases: Case[] };

const TINY = `name: tiny
seed: 0
data: {dataset: synthetic, task: spirals, classes: 3, n_train: 600, n_test: 60, batch_size: 32}
model: {layers: [{linear: 16}, relu, {linear: 3}]}
loss: cross_entropy
optimizer: {name: sgd}
`;

describe('lr range test, as fastai defines it', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i: rates, smoothed losses, the stop and the suggestions', (_, c) => {
    const options = { startLr: c.start_lr, endLr: c.end_lr, iterations: c.num_it, beta: c.beta, divergence: c.divergence };
    const smoothing = new SmoothedLoss(options);
    const points: RangePoint[] = [];
    for (let i = 0; i < c.num_it; i++) {
      const lr = rampLr(i, options);
      const loss = c.losses[i];
      if (i < c.lrs.length) expect(lr).toBeCloseTo(c.lrs[i], 12 - Math.ceil(Math.log10(Math.max(1, lr))));
      const smoothed = smoothing.add(loss ?? NaN);
      if (i >= c.lrs.length) break;
      expect(Math.abs(smoothed - c.smoothed[i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(c.smoothed[i])));
      points.push({ lr: c.lrs[i], loss, smoothed });
      if (smoothing.diverged(smoothed)) break;
    }
    expect(points.length).toBe(c.stopped_at);
    expect(suggest(points, c.num_it)).toEqual({ steep: c.steep, valley: c.valley });
  });

  it('no suggestion from a ramp too short to trim', () => {
    expect(suggest([{ lr: 1, loss: 1, smoothed: 1 }], 100)).toBeNull();
  });

  it('on a model: each step at the ramp rate, seeded, stopping when the loss blows up', () => {
    const config = resolveConfig(parseConfigSource(TINY, 'tiny.yaml'), []);
    const options = { startLr: 1e-4, endLr: 1e4, iterations: 60, beta: 0.98, divergence: 4 };
    const a = rangeTest(buildTraining(config, 'tiny.yaml'), options);
    const b = rangeTest(buildTraining(config, 'tiny.yaml'), options);
    expect(a).toEqual(b);
    expect(a.stop).not.toBe('iterations');
    expect(a.points.length).toBeLessThan(60);
    a.points.forEach((p, i) => expect(p.lr).toBe(rampLr(i, options)));
    const gentle = rangeTest(buildTraining(config, 'tiny.yaml'), { ...options, endLr: 1e-2 });
    expect(gentle.stop).toBe('iterations');
    // 600 samples in batches of 32 are 19 steps an epoch: the ramp runs on through reshuffled epochs.
    expect(gentle.points.length).toBe(60);
  });

  it('lr-find writes the curves, the suggestions and the figure, and refuses a bad flag by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lr-find-'));
    writeFileSync(join(dir, 'tiny.yaml'), TINY);
    const result = await runCli('lr-find', join(dir, 'tiny.yaml'), '--out', join(dir, 'runs'), '--num-iter', '50', '--start-lr', '1e-4', '--end-lr', '1000', '--seeds', '0,1');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^seed 0: \d+ steps/m);
    const folder = /results in (\S+)/.exec(result.stdout)![1];
    const suggestions = readFileSync(join(folder, 'suggestions.csv'), 'utf8').trim().split('\n');
    expect(suggestions[0]).toBe('seed,valley,steep,steps,stopped_by');
    expect(suggestions.map((l) => l.split(',')[0])).toEqual(['seed', '0', '1', 'geometric_mean']);
    const valley = Number(suggestions[3].split(',')[1]);
    expect(result.stdout).toContain(`suggested lr ${Number(valley.toPrecision(3))}`);
    expect(readFileSync(join(folder, 'lr-find.csv'), 'utf8').split('\n')[0]).toBe('seed,step,lr,loss,smoothed_loss');
    expect(readFileSync(join(folder, 'lr-find.svg'), 'utf8')).toContain(`valley ${Number(valley.toPrecision(3))}`);
    const bad = await runCli('lr-find', join(dir, 'tiny.yaml'), '--start-lr', '-1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--start-lr -1: expected a number > 0');
  }, 60_000);
});
