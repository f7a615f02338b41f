import { describe, expect, it } from 'vitest';
import { optimizerKinds } from '../../src/optim/registry.js';
import { scheduleKinds } from '../../src/optim/schedules.js';
import { runCli } from './run-cli.js';

describe('adam-lab optimizers', () => {
  it('lists every optimizer and schedule with its rule and defaults', async () => {
    const { code, stdout } = await runCli('optimizers');
    expect(code).toBe(0);
    for (const [name, kind] of Object.entries(optimizerKinds)) expect(stdout).toContain(`  ${name.padEnd(31)} ${kind.rule}\n`);
    for (const name of Object.keys(scheduleKinds)) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(stdout).toContain('lr=0.002 betas=[0.9,0.999] eps=1e-8 weight_decay=0 momentum_decay=0.004 decoupled_weight_decay=false maximize=false');
    expect(stdout).toContain('step_size (required) gamma=0.1');
  });

  it('shows one optimizer in full: the torch class, the algorithm and every option', async () => {
    const { code, stdout } = await runCli('optimizers', 'adam');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^adam — torch\.optim\.Adam\n/);
    expect(stdout).toContain('v_max ← max(v_max, v), used in place of v   if amsgrad');
    expect(stdout).toMatch(/ {2}amsgrad +\= false +AMSGrad: divide by the running maximum of v/);
  });

  it('exits 2 with a suggestion for an unknown name', async () => {
    const { code, stderr } = await runCli('optimizers', 'adamm');
    expect(code).toBe(2);
    expect(stderr).toBe("error: no optimizer or schedule named 'adamm' (did you mean 'adam'?); see adam-lab optimizers\n");
  });
});
