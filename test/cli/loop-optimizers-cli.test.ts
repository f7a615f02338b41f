/**
 * The optimizers that change the loop at the command line: `adam-lab optimizers NAME` shows where
 * evaluation happens and how steps.csv counts L-BFGS's evaluations, and bad configs of the new keys
 * are refused at their file:line:col with exit 2.
 */
import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from './run-cli.js';

const base = `data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 64}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
`;

describe('adam-lab optimizers for the loop optimizers', () => {
  it('shows the evaluation point of schedule-free and asgd, and how lbfgs is counted', async () => {
    const free = await runCli('optimizers', 'schedule_free_adamw');
    expect(free.code).toBe(0);
    expect(free.stdout).toMatch(/^schedule_free_adamw — schedulefree\.AdamWScheduleFree\n/);
    expect(free.stdout).toContain('evaluation and saved weights: x = y/β1 + (1 − 1/β1)·z');
    const asgd = await runCli('optimizers', 'asgd');
    expect(asgd.stdout).toContain('evaluation and saved weights: ax');
    const lbfgs = await runCli('optimizers', 'lbfgs');
    expect(lbfgs.stdout).toContain('steps.csv: one row per optimizer step, with the loss and gradient norm of its first evaluation');
    expect(lbfgs.stdout).toMatch(/ {2}lookahead +\(optional\) +Lookahead around this optimizer/);
  });
});

describe('bad loop-optimizer configs', () => {
  it('refuses lbfgs param_groups, clipping with lbfgs and a wrong average key, each at its line', async () => {
    const file = writeConfig(`${base}optimizer: {name: lbfgs, param_groups: [{params: ["0.*"], frozen: true}]}
train: {max_steps: 3, average: {kind: swa, decay: 0.9}}
`);
    const { code, stderr } = await runCli('validate', file);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:3:40 optimizer.param_groups: torch.optim.LBFGS takes one parameter group: remove param_groups`);
    expect(stderr).toContain(`${file}:4:44 train.average.decay: unknown key 'decay'; valid keys: kind, start, every`);
    const clipped = writeConfig(`${base}optimizer: {name: lbfgs}\ntrain: {max_steps: 3, clip_grad_value: 1}\n`);
    const refused = await runCli('validate', clipped);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${clipped}:4:40 train.clip_grad_value: lbfgs evaluates the loss several times per step and is not clipped: remove it`);
  });

  it('refuses lookahead inside a param group (it wraps the whole optimizer)', async () => {
    const file = writeConfig(`${base}optimizer: {name: adam, lookahead: {k: 5}, param_groups: [{params: ["0.*"], lookahead: {k: 2}}]}\n`);
    const { code, stderr } = await runCli('validate', file);
    expect(code).toBe(2);
    expect(stderr).toMatch(/optimizer\.param_groups\.0\.lookahead: .*set it at the top level/);
  });
});
