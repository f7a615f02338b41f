/**
 * `optimizers verify` (lab/verify.ts): every built-in optimizer passes the battery, the example
 * plugin too, and a deliberately broken plugin fails it with reasons that say what is wrong.
 * (The determinism check trains on worker threads: it runs the build in dist/.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOptimizerPlugins } from '../../src/config/optimizer-plugins.js';
import { usePlugins } from '../../src/optim/plugins.js';
import { optimizerNames } from '../../src/optim/registry.js';
import { verifyOptimizer, type VerifyCheck } from '../../src/lab/verify.js';
import { runCli } from '../cli/run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'adam-lab-verify-test-'));
afterAll(() => {
  usePlugins([]);
  rmSync(scratch, { recursive: true, force: true });
});

const EXAMPLE = new URL('../../examples/plugins/sign-momentum.mjs', import.meta.url).pathname;
const BROKEN = new URL('../fixtures/plugins/broken-exploding.mjs', import.meta.url).pathname;

function verdicts(checks: readonly VerifyCheck[]): Record<string, string> {
  return Object.fromEntries(checks.map((c) => [c.check, c.verdict]));
}

describe('optimizers verify', () => {
  for (const name of optimizerNames) {
    it(`passes every check on ${name}`, { timeout: 120_000 }, async () => {
      const checks = await verifyOptimizer(name, mkdtempSync(join(scratch, `${name}-`)));
      expect(checks.filter((c) => c.verdict === 'fail'), JSON.stringify(checks, null, 1)).toEqual([]);
      expect(checks).toHaveLength(6);
      expect(checks.find((c) => c.verdict === 'info')?.figure).toMatch(/^x ends at -?[01]\.\d{3} after 3000 steps/);
    });
  }

  it('passes every check on the example plugin, and prints the table', { timeout: 120_000 }, async () => {
    const { code, stdout } = await runCli('optimizers', 'verify', EXAMPLE);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^sign_momentum\ncheck +result +figure +reason\n/);
    expect(stdout).toMatch(/^same bits with 1 and 2 GEMM threads +pass +40 steps, weights equal/m);
    expect(stdout).toContain('sign_momentum: every check passed\n');
  });

  it('fails a broken plugin with the reason, and exits 1', { timeout: 120_000 }, async () => {
    await loadOptimizerPlugins([BROKEN]);
    const checks = await verifyOptimizer('broken_exploding', mkdtempSync(join(scratch, 'broken-')));
    expect(verdicts(checks)).toEqual({
      'same bits with 1 and 2 GEMM threads': 'pass',
      'state round-trip through a checkpoint': 'fail',
      'converges on the quadratic': 'fail',
      'converges on Rosenbrock': 'fail',
      'AMSGrad counterexample (Reddi et al. 2018)': 'info',
      'divergence handled (lr 1000000000000)': 'pass',
    });
    expect(checks[1].reason).toMatch(/^steps\.csv differs from step 15: .* \(is all of its state in init's arrays\?\)$/);
    expect(checks[2].reason).toBe('no lr in 0.0001…10 brought f to 0.000001 or below in 5000 steps');
    const { code, stdout } = await runCli('optimizers', 'verify', BROKEN);
    expect(code).toBe(1);
    expect(stdout).toContain('broken_exploding: 3 check(s) failed\n');
    expect(stdout).toMatch(/^state round-trip through a checkpoint +FAIL +stopped after step 13, resumed to 40 +steps\.csv differs from step 15/m);
  });

  it('exits 2 for an optimizer it does not know', async () => {
    const { code, stderr } = await runCli('optimizers', 'verify', 'adamm');
    expect(code).toBe(2);
    expect(stderr).toContain("no optimizer named 'adamm' (did you mean 'adam'?)");
  });
});
