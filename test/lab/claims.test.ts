import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeClaims } from '../../src/lab/claims.js';
import type { TrialData } from '../../src/runs/run-reader.js';
import { runCli } from '../cli/run-cli.js';
import { issuesOf } from '../config/helpers.js';

/** A finished rerun whose last evaluation has these rare-bucket and overall test losses. */
function rerun(group: string, seed: number, rare: number, status = 'completed'): TrialData {
  return {
    id: `${group}-${seed}`,
    group,
    seed,
    status,
    values: {},
    losses: [],
    evaluations: [{ epoch: 1, step: 10, trainLoss: 1, testLoss: rare / 2, testAccuracy: 0.5, testBuckets: [0.1, 0.2, 0.5, rare] }],
    divergedAtStep: null,
    seconds: null,
  };
}

const claim = { variant: 'adam', than: 'sgd', metric: 'test_loss_bucket_3', p: 0.01 };
const adam = [1.1, 1.2, 1.0, 1.3, 1.15].map((x, i) => rerun('adam', i, x));
const sgd = [3.1, 2.6, 3.4, 2.9, 3.0].map((x, i) => rerun('sgd', i, x));

describe('expect.better claims', () => {
  it('hold when the variant is better by a one-sided Welch test below p', () => {
    const [verdict] = judgeClaims([claim], [...adam, ...sgd]);
    expect(verdict.pass).toBe(true);
    expect(verdict.expectation).toBe('adam < sgd on test_loss_bucket_3');
    expect(verdict.measured).toMatch(/^adam 1\.15 \(5 seeds\), sgd 3 \(5 seeds\), p=/);
  });

  it('fail when the claim is broken: the other way round, or no clear difference', () => {
    expect(judgeClaims([{ ...claim, variant: 'sgd', than: 'adam' }], [...adam, ...sgd])[0].pass).toBe(false);
    const close = [1.2, 1.0, 1.3, 1.1, 1.25].map((x, i) => rerun('sgd', i, x));
    expect(judgeClaims([claim], [...adam, ...close])[0].pass).toBe(false);
    // Higher is better for an accuracy: adam's 0.5 equals sgd's, no claim either way.
    expect(judgeClaims([{ ...claim, metric: 'final_test_accuracy' }], [...adam, ...sgd])[0].pass).toBe(false);
  });

  it('fail by name when a side has fewer than two finished reruns', () => {
    const [verdict] = judgeClaims([claim], [...adam, rerun('sgd', 0, 3), rerun('sgd', 1, 3, 'diverged')]);
    expect(verdict.pass).toBe(false);
    expect(verdict.measured).toMatch(/sgd 1$/);
  });

  it('need compare: and protocol:, known variants and an existing bucket, each named at its key', () => {
    const base = 'data: {dataset: synthetic, task: zipf_classes, classes: 8, buckets: 2, validation: 0.2}\nmodel: {layers: [{linear: 8}]}\nloss: cross_entropy\noptimizer: {name: adam}\n';
    expect(issuesOf(`${base}expect: {better: [{variant: adam, than: sgd, metric: final_test_loss}]}\n`).map((i) => i.path)).toEqual([['expect', 'better']]);
    const tuned = `${base}compare: {sgd: {optimizer: {name: sgd}}, adam: {}}\nprotocol: {}\n`;
    const issues = issuesOf(`${tuned}expect: {better: [{variant: adamw, than: sgd, metric: test_loss_bucket_2}]}\n`);
    expect(issues.map((i) => i.path)).toEqual([
      ['expect', 'better', 0, 'variant'],
      ['expect', 'better', 0, 'metric'],
    ]);
    expect(issues[1].problem).toMatch(/buckets are 0…1/);
    expect(issuesOf(`${tuned}expect: {better: [{variant: adam, than: sgd, metric: test_loss}]}\n`)[0].path).toEqual(['expect', 'better', 0, 'metric']);
  });

  it('check runs the tuned comparison and exits 1 when the claim does not hold', async () => {
    const out = mkdtempSync(join(tmpdir(), 'claims-'));
    // The paper config, shrunk to seconds, with the claim turned round (SGD better than Adam on the rare classes).
    const small = ['data.n_train=1024', 'data.n_test=512', 'data.classes=64', 'model.layers.0.linear=64', 'train.epochs=1', 'protocol.tune.budget=2', 'protocol.rerun.seeds=2'];
    const reversed = ['expect.better.0.variant=sgd', 'expect.better.0.than=adam'];
    const result = await runCli('check', 'configs/paper/kunstner2024-heavy-tail.yaml', '--out', out, '--quiet', ...[...small, ...reversed].flatMap((s) => ['--set', s]));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/sgd < adam on test_loss_bucket_3 .* FAIL/);
    expect(result.stdout).toMatch(/tuned comparison, 4 reruns/);
  }, 120_000);
});
