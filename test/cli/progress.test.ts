import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, progressMode, type Terminal } from '../../src/cli/progress.js';
import type { StartEvent } from '../../src/train/events.js';

const stream = (isTTY: boolean): Writable & { isTTY: boolean } => Object.assign(new Writable({ write: (_c, _e, done) => done() }), { isTTY });
const terminal = (stdout: boolean, stderr: boolean): Terminal => ({ stdout: stream(stdout), stderr: stream(stderr) });

describe('progress display', () => {
  it('draws a bar only when both stdout and stderr are terminals and CI is not set', () => {
    expect(progressMode(false, terminal(true, true), {})).toBe('bar');
    expect(progressMode(false, terminal(false, true), {})).toBe('lines'); // stdout redirected to a log
    expect(progressMode(false, terminal(true, false), {})).toBe('lines');
    expect(progressMode(false, terminal(true, true), { CI: 'true' })).toBe('lines');
    expect(progressMode(true, terminal(true, true), {})).toBe('quiet');
  });

  it("starts train's output with the model layer by layer", () => {
    const lines: string[] = [];
    const stdout = Object.assign(new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) }), { isTTY: false });
    const progress = createProgress('lines', { stdout, stderr: stream(false) });
    const layers = [
      { layer: '0 linear', outShape: [16], parameters: 80 },
      { layer: '1 relu', outShape: [16], parameters: 0 },
    ];
    progress.onEvent({ type: 'start', runDir: 'r', name: 'n', seed: 0, parameterCount: 80, layers, inputShape: [4], kernel: 'scalar', trainSize: 1, testSize: null, stepsPerEpoch: 1, totalSteps: 1, epochs: 1, warnings: [], groups: [], init: null, resumedFrom: null });
    expect(lines.map((line) => line.trim())).toEqual(expect.arrayContaining(['layer     output shape  parameters', 'input     (batch, 4)', '0 linear  (batch, 16)           80', '1 relu    (batch, 16)            0', 'total                           80']));
  });

  it('prints at most about 20 evenly spaced evaluation lines, and the last', () => {
    const lines: string[] = [];
    const stdout = Object.assign(new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) }), { isTTY: false });
    const progress = createProgress('lines', { stdout, stderr: stream(false) });
    const start = { type: 'start', runDir: 'r', name: 'n', seed: 0, parameterCount: 1, layers: [], inputShape: [1], kernel: 'scalar', trainSize: 1, testSize: null, stepsPerEpoch: 1, totalSteps: 100, epochs: 100, warnings: [], groups: [], init: null, resumedFrom: null } satisfies StartEvent;
    progress.onEvent(start);
    const evaluation = (epoch: number) => ({ type: 'epoch', epoch, step: epoch, trainLoss: 1, trainAccuracy: null, valLoss: null, valAccuracy: null, testLoss: null, testAccuracy: null, seconds: epoch }) as const;
    for (let epoch = 1; epoch <= 100; epoch++) progress.onEvent(evaluation(epoch));
    const shown = lines.filter((line) => line.startsWith('epoch ')).map((line) => Number(/^epoch (\d+)/.exec(line)![1]));
    expect(shown).toEqual([1, ...Array.from({ length: 20 }, (_, i) => 5 * (i + 1))]);

    lines.length = 0;
    const stopped = createProgress('lines', { stdout, stderr: stream(false) });
    stopped.onEvent(start);
    for (let epoch = 1; epoch <= 7; epoch++) stopped.onEvent(evaluation(epoch)); // early stopping at epoch 7
    stopped.onEvent({ type: 'end', result: { status: 'completed', runDir: 'r', steps: 7, divergedAtStep: null, last: null, seconds: 7, resumedFrom: null } });
    expect(lines.filter((line) => line.startsWith('epoch ')).map((line) => /^epoch (\d+)/.exec(line)![1])).toEqual(['1', '5', '7']);
  });
});
