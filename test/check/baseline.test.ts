import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareMetrics, makeBaseline, readBaseline, type Baseline, type Tolerance } from '../../src/check/baseline.js';
import { readConfigSource } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import type { TrialData } from '../../src/runs/run-reader.js';

/** A completed trial with one evaluation at `step`. */
function trial(seed: number, { trainLoss = 0.5, testLoss = 0.5, testAccuracy = 0.75, step = 100 } = {}): TrialData {
  const evaluations = [{ epoch: 1, step, trainLoss, testLoss, testAccuracy }];
  return { id: `t${seed}`, group: 'g', seed, status: 'completed', values: {}, losses: [], evaluations, divergedAtStep: null, seconds: 1 };
}

/** Two seeds with the same results, so that their mean is exactly that value. */
const seeds = (results: Parameters<typeof trial>[1]): TrialData[] => [trial(0, results), trial(1, results)];

/** Recorded from two seeds at train/test loss 0.5, accuracy 0.75, the target 0.7 reached at step 100. */
function baseline(tolerances?: Baseline['tolerances']): Baseline {
  const recorded = makeBaseline('toy', 'exp.yaml', { test_accuracy: 0.7 }, seeds({}).map((t) => ({ trial: t, steps: [] })));
  return { ...recorded, tolerances };
}

function verdict(metric: string, now: readonly TrialData[], fallback: Tolerance | null, tolerances?: Baseline['tolerances']) {
  return compareMetrics(baseline(tolerances), now, fallback).find((v) => v.expectation === `baseline ${metric}`)!;
}

/** The neighbouring double of a positive x, above (+1) or below (-1). */
function nextFloat(x: number, direction: 1 | -1): number {
  const value = Float64Array.of(x);
  new BigInt64Array(value.buffer)[0] += BigInt(direction);
  return value[0];
}

const none: Tolerance = { rtol: 0, atol: 0 };

describe('comparing with a baseline', () => {
  it('passes a loss exactly rtol worse than the baseline, and fails the next value past it', () => {
    const edge = 0.5 * (1 + 0.25);
    expect(verdict('final_train_loss', seeds({ trainLoss: edge }), { rtol: 0.25 })).toMatchObject({ pass: true, bound: '≤ 0.625 (baseline 0.5, rtol 0.25, atol 0)' });
    expect(verdict('final_train_loss', seeds({ trainLoss: nextFloat(edge, 1) }), { rtol: 0.25 }).pass).toBe(false);
  });

  it('adds atol to the slack', () => {
    expect(verdict('final_test_loss', seeds({ testLoss: 0.5 + 0.125 }), { atol: 0.125 }).pass).toBe(true);
    expect(verdict('final_test_loss', seeds({ testLoss: nextFloat(0.625, 1) }), { atol: 0.125 }).pass).toBe(false);
    expect(verdict('final_test_loss', seeds({ testLoss: 0.625 }), { rtol: 0.125, atol: 0.0625 }).pass).toBe(true);
    expect(verdict('final_test_loss', seeds({ testLoss: 0.625 }), { rtol: 0.125, atol: 0.0625 - 2 ** -20 }).pass).toBe(false);
  });

  it("takes the file's default tolerance over the command line's, and a metric's own over the default", () => {
    const worse = seeds({ trainLoss: 0.625, testLoss: 0.625 });
    expect(verdict('final_train_loss', worse, none).pass).toBe(false);
    expect(verdict('final_train_loss', worse, none, { default: { rtol: 0.25 } }).pass).toBe(true);
    expect(verdict('final_test_loss', worse, none, { default: { rtol: 0.25 } }).pass).toBe(true);
    expect(verdict('final_train_loss', worse, { rtol: 0.5 }, { default: { rtol: 0.1 } }).pass).toBe(false);
    const own = { default: { rtol: 0.25 }, final_test_loss: { rtol: 0.1 } };
    expect(verdict('final_train_loss', worse, none, own).pass).toBe(true);
    expect(verdict('final_test_loss', worse, none, own)).toMatchObject({ pass: false, bound: '≤ 0.55 (baseline 0.5, rtol 0.1, atol 0)' });
  });

  it('holds accuracy to the baseline from below: lower beyond the tolerance fails, higher passes', () => {
    const edge = 0.75 * (1 - 0.5);
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: edge }), { rtol: 0.5 })).toMatchObject({ pass: true, bound: '≥ 0.375 (baseline 0.75, rtol 0.5, atol 0)' });
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: nextFloat(edge, -1) }), { rtol: 0.5 }).pass).toBe(false);
    expect(verdict('best_test_accuracy', seeds({ testAccuracy: 0.7 }), { rtol: 0.05 }).pass).toBe(false);
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: 0.99 }), none).pass).toBe(true);
    // ... while for a loss, lower is the better side
    expect(verdict('final_train_loss', seeds({ trainLoss: 0.1 }), none).pass).toBe(true);
  });

  it('by default holds accuracies to one point absolute, losses to 5 % and steps to a target to 10 %', () => {
    // A 3.5-point drop from 0.75 is under 5 % relative (0.0375): rtol 0.05 passed it.
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: 0.715 }), { rtol: 0.05 }).pass).toBe(true);
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: 0.715 }), null)).toMatchObject({ pass: false, bound: '≥ 0.74 (baseline 0.75, rtol 0, atol 0.01)' });
    expect(verdict('best_test_accuracy', seeds({ testAccuracy: 0.735 }), null).pass).toBe(false);
    expect(verdict('best_test_accuracy', seeds({ testAccuracy: 0.745 }), null).pass).toBe(true);
    expect(verdict('final_train_loss', seeds({ trainLoss: 0.52 }), null)).toMatchObject({ pass: true, bound: '≤ 0.525 (baseline 0.5, rtol 0.05, atol 0)' });
    expect(verdict('final_test_loss', seeds({ testLoss: 0.53 }), null).pass).toBe(false);
    expect(verdict('steps_to_test_accuracy', seeds({ step: 110 }), null)).toMatchObject({ pass: true, bound: '≤ 110 (baseline 100, rtol 0.1, atol 0)' });
    expect(verdict('steps_to_test_accuracy', seeds({ step: 111 }), null).pass).toBe(false);
    // The file's tolerances still win over the defaults, field by field.
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: 0.715 }), null, { final_test_accuracy: { atol: 0.05 } }).pass).toBe(true);
    expect(verdict('final_test_accuracy', seeds({ testAccuracy: 0.715 }), null, { default: { rtol: 0.1 } }).bound).toBe('≥ 0.665 (baseline 0.75, rtol 0.1, atol 0.01)');
  });

  it('holds the steps to a target from above: fewer steps pass, more beyond the tolerance fail', () => {
    expect(verdict('steps_to_test_accuracy', seeds({ step: 125 }), { rtol: 0.25 })).toMatchObject({ pass: true, measured: '125 (mean of 2)' });
    expect(verdict('steps_to_test_accuracy', seeds({ step: 126 }), { rtol: 0.25 }).pass).toBe(false);
    expect(verdict('steps_to_test_accuracy', seeds({ step: 50 }), none).pass).toBe(true);
    expect(verdict('steps_to_test_accuracy', seeds({ testAccuracy: 0.6 }), { rtol: 1 })).toMatchObject({ pass: false, measured: 'missing for 2 seed(s)' });
  });
});

describe('reading a baseline file', () => {
  const folder = (): string => mkdtempSync(join(tmpdir(), 'adam-lab-baseline-'));

  /** Writes a baseline with these tolerances, one key per line, and returns the file and its text. */
  function written(tolerances: Record<string, unknown>): { file: string; text: string } {
    const file = join(folder(), 'b.json');
    const text = `${JSON.stringify({ ...baseline(), tolerances }, null, 1)}\n`;
    writeFileSync(file, text);
    return { file, text };
  }

  const issues = (read: () => unknown): ConfigError => thrown(ConfigError, read);

  it('accepts tolerances for the metrics it measures, its targets and default', () => {
    const { file } = written({ default: { rtol: 0.1 }, final_train_loss: { atol: 0.01 }, best_test_accuracy: { rtol: 0 }, steps_to_test_accuracy: { rtol: 0.5 } });
    expect(readBaseline(file).tolerances).toMatchObject({ steps_to_test_accuracy: { rtol: 0.5 } });
  });

  it('refuses a tolerance key it does not measure, at the key, with a suggestion', () => {
    const { file, text } = written({ final_train_los: { rtol: 0.2 } });
    const error = issues(() => readBaseline(file));
    expect(error.file).toBe(file);
    const line = text.split('\n').findIndex((l) => l.includes('"final_train_los"')) + 1;
    expect(error.issues).toEqual([
      { path: ['tolerances', 'final_train_los'], problem: "unknown key 'final_train_los' (did you mean 'final_train_loss'?)", line, column: 3 },
    ]);
    // steps_to_<metric> only for the baseline's own targets
    expect(issues(() => readBaseline(written({ steps_to_test_loss: { rtol: 0.2 } }).file)).issues[0]).toMatchObject({ path: ['tolerances', 'steps_to_test_loss'] });
  });

  it('names a bad file as a baseline file, not a config', () => {
    const dir = folder();
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    expect(issues(() => readBaseline(empty))).toMatchObject({ file: empty, issues: [{ problem: 'a baseline file must be a mapping of keys (format:, version:, seeds:, ...)' }] });
    expect(issues(() => readConfigSource(empty)).issues[0].problem).toBe('a config must be a mapping of keys (data:, model:, optimizer:, ...)');
    const directory = join(dir, 'baselines');
    mkdirSync(directory);
    expect(issues(() => readBaseline(directory)).issues[0].problem).toBe('is a directory, expected a baseline file (JSON, from adam-lab baseline --save)');
    expect(issues(() => readConfigSource(directory)).issues[0].problem).toBe('is a directory, expected a YAML file');
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 64 * 1024 * 1024 + 1); // sparse: no disk used
    expect(issues(() => readBaseline(huge)).issues[0].problem).toBe('is larger than 67108864 bytes, the limit for a baseline file');
    rmSync(dir, { recursive: true });
  });
});
