/**
 * configs/paper/: each published claim, stated as an expect: block, fails its check when the claim
 * is broken — AMSGrad switched off (it then ends at +1 like Adam; eps nudged, since compare refuses
 * two identical variants), Adam swapped for SGD on the saddle — and the verdict that fails is the broken variant's, while the other still holds. The
 * claims themselves pass in CI (.ci/run checks configs/paper/*.yaml); the online one, seconds
 * long, also passes here.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/run-cli.js';

const PAPER = new URL('../../configs/paper/', import.meta.url).pathname;

interface Verdicts {
  readonly pass: boolean;
  readonly suites: { verdicts: { expectation: string; pass: boolean; values: (number | null)[] }[] }[];
}

async function check(config: string, ...sets: string[]): Promise<{ code: number; verdicts: Map<string, { pass: boolean; values: (number | null)[] }> }> {
  const result = await runCli('check', join(PAPER, config), '--out', tempDir(), '--json', '-q', ...sets.flatMap((s) => ['--set', s]));
  const parsed = JSON.parse(result.stdout) as Verdicts;
  return { code: result.code, verdicts: new Map(parsed.suites[0].verdicts.map((v) => [v.expectation, v])) };
}

describe('configs/paper claims', () => {
  it('reddi2018-online holds as shipped', async () => {
    const { code, verdicts } = await check('reddi2018-online.yaml');
    expect(code).toBe(0);
    expect(verdicts.get('amsgrad: final_coordinate x0')?.values[0]).toBeLessThan(-0.9);
  }, 120_000);

  it('reddi2018-online fails with AMSGrad switched off: that variant then ends near +1', async () => {
    const { code, verdicts } = await check('reddi2018-online.yaml', 'compare.amsgrad.optimizer.amsgrad=false', 'compare.amsgrad.optimizer.eps=1.0e-7');
    expect(code).toBe(1);
    expect(verdicts.get('amsgrad: final_coordinate x0')).toMatchObject({ pass: false });
    expect(verdicts.get('amsgrad: final_coordinate x0')?.values[0]).toBeGreaterThan(0.9);
    expect(verdicts.get('adam: final_coordinate x0')?.pass).toBe(true);
  }, 120_000);

  it('reddi2018-stochastic fails with AMSGrad switched off (one seed, shortened)', async () => {
    const { code, verdicts } = await check('reddi2018-stochastic.yaml', 'compare.amsgrad.optimizer.amsgrad=false', 'compare.amsgrad.optimizer.eps=1.0e-7', 'seeds=[0]', 'train.max_steps=5000');
    expect(code).toBe(1);
    expect(verdicts.get('amsgrad: final_coordinate x0')?.values[0]).toBeGreaterThan(0.9);
    expect(verdicts.get('adam: final_coordinate x0')?.pass).toBe(true);
  }, 120_000);

  it('saddle-escape fails when the adam variant is SGD (with a little momentum, to differ from the sgd variant)', async () => {
    const { code, verdicts } = await check('saddle-escape.yaml', 'compare.adam.optimizer.name=sgd', 'compare.adam.optimizer.momentum=0.1');
    expect(code).toBe(1);
    expect(verdicts.get('adam: escape_step |x1| ≥ 1')?.pass).toBe(false);
    expect(verdicts.get('adam: escape_step |x1| ≥ 1')?.values[0]).toBeGreaterThan(250);
    expect(verdicts.get('sgd: escape_step |x1| ≥ 1')?.pass).toBe(true);
  }, 120_000);
});
