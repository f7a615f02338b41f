/**
 * What a mistake looks like on stderr: --set and --grid problems name the flag and the
 * assignment; a sweep too large and a tuning path that does not exist are placed at
 * line:column; one problem is said once; bytes from files are escaped; a job array's index
 * that is not a number is an error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveShard } from '../../src/cli/shard.js';
import { UsageError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { runCli, tempDir, writeConfig } from './run-cli.js';

const BASE = 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32, validation: 0.25}\nmodel: {layers: [{linear: 2}]}\n';

/** Runs adam-lab and returns its exit code and stderr lines. */
async function refused(...args: string[]): Promise<string[]> {
  const { code, stderr } = await runCli(...args);
  expect(code, stderr).toBe(2);
  expect(stderr, 'no stack trace').not.toMatch(/^\s+at /m);
  return stderr.trimEnd().split('\n');
}

const dryRun = (command: string, file: string, ...extra: string[]) => [command, file, '--dry-run', '--out', join(tempDir(), 'runs'), ...extra];

describe('--set and --grid problems name the flag and the assignment', () => {
  const file = writeConfig(BASE);

  it('a path that is not a config path', async () => {
    expect(await refused('validate', file, '--set', 'optimizer..lr=1')).toEqual(["error: --set optimizer..lr=1: 'optimizer..lr' is not a config path (use dots: optimizer.lr)"]);
    expect(await refused(...dryRun('sweep', file, '--grid', 'optimizer..lr=1,2'))).toEqual(["error: --grid optimizer..lr=1,2: 'optimizer..lr' is not a config path (use dots: optimizer.lr)"]);
  });

  it('a --grid value, as the assignment was written', async () => {
    expect(await refused(...dryRun('sweep', file, '--grid', 'optimizer.lr=-1,{a: 1}'))).toEqual([
      '--grid optimizer.lr=-1,{a: 1} optimizer.lr: must be > 0, got -1',
      '--grid optimizer.lr=-1,{a: 1} optimizer.lr: expected a number, got a mapping',
      `2 problems in ${file}`,
    ]);
    expect(await refused(...dryRun('sweep', file, '--grid', 'optimizer.lr=0.1,[1'))).toEqual([expect.stringMatching(/^error: --grid optimizer\.lr=0\.1,\[1: the value '\[1' is not valid YAML \(/)]);
  });

  it('a problem inside a block that --set wrote (compare variants, a sweep), not a place in the file', async () => {
    const compare = '--set=compare={a: {optimizer: {lr: -3}}, b: {optimizer: {name: sgd}}}';
    expect(await refused(...dryRun('compare', file, compare))).toEqual(['--set compare={a: {optimizer: {lr: -3}}, b: {optimizer: {name: sgd}}} compare.a.optimizer.lr: must be > 0, got -3']);
    const sweep = '--set=sweep={grid: {optimizer.lrr: [1, 2]}}';
    expect(await refused(...dryRun('sweep', file, sweep))).toEqual(["--set sweep={grid: {optimizer.lrr: [1, 2]}} sweep.grid.optimizer.lrr: unknown key 'lrr' (did you mean 'lr'?)"]);
  });
});

describe('expansions too large, and tuning paths that do not exist, are placed at line:column', () => {
  const axis = (path: string) => `    ${path}: [${Array.from({ length: 101 }, (_, i) => i + 1).join(', ')}]\n`;

  it('a grid too large, at the sweep; one made by --grid alone, at the flags', async () => {
    const file = writeConfig(`${BASE}sweep:\n  grid:\n${axis('optimizer.lr')}${axis('optimizer.eps')}`);
    expect(await refused(...dryRun('sweep', file))).toEqual([`${file}:4:3 sweep: expands to 10201 trials; at most 10000 run from one config (a typo?)`]);
    const values = Array.from({ length: 101 }, (_, i) => i + 1).join(',');
    const [line] = await refused(...dryRun('sweep', writeConfig(BASE), '--grid', `optimizer.lr=${values}`, '--grid', `optimizer.eps=${values}`));
    expect(line).toMatch(/^error: --grid optimizer\.lr=1,2,3.*\.\.\. --grid optimizer\.eps=1,2,3.*\.\.\.: expands to 10201 trials/);
  });

  it('variants times seeds too many, at the seeds; a tuning budget too large, at the budget', async () => {
    const seeds = writeConfig(`${BASE}compare: {a: {optimizer: {name: sgd}}, b: {optimizer: {name: adam}}}\nseeds: [${Array.from({ length: 6000 }, (_, i) => i).join(', ')}]\n`);
    expect(await refused(...dryRun('compare', seeds))).toEqual([`${seeds}:4:8 seeds: expands to 12000 trials; at most 10000 run from one config (a typo?)`]);
    const budget = writeConfig(`${BASE}compare: {a: {optimizer: {name: sgd}}, b: {optimizer: {name: adam}}}\nprotocol:\n  tune: {budget: 9000}\n`);
    expect(await refused(...dryRun('compare', budget, '--protocol', 'tuned'))).toEqual([`${budget}:5:18 protocol.tune.budget: expands to 18000 trials; at most 10000 run from one config (a typo?)`]);
  });

  it('a tuning space path that no variant has, at its key', async () => {
    const file = writeConfig(`${BASE}compare: {a: {optimizer: {name: sgd}}, b: {optimizer: {name: adam}}}\nprotocol:\n  tune:\n    space:\n      optimizer.lr: {log_uniform: [0.001, 0.1]}\n      optimizer.lrr: {log_uniform: [0.001, 0.1]}\n`);
    expect(await refused(...dryRun('compare', file, '--protocol', 'tuned'))).toEqual([`${file}:8:7 protocol.tune.space.optimizer.lrr: applies to none of the variants (no such config value)`]);
  });

  it('a sweep path that is not a config path, at its key, in words', async () => {
    const file = writeConfig(`${BASE}sweep:\n  grid:\n    optimizer..lr: [1, 2]\n`);
    expect(await refused(...dryRun('sweep', file))).toEqual([`${file}:5:5 sweep.grid.optimizer..lr: must be a dotted config path such as optimizer.lr`]);
  });
});

describe('one problem is said once', () => {
  it('a random space meeting one bad value in many draws', async () => {
    const file = writeConfig(`${BASE}seeds: [0, 1]\nsweep:\n  random:\n    trials: 5\n    space: {data.batch_size: {int_uniform: [-5, -1]}}\n`);
    expect(await refused(...dryRun('sweep', file))).toEqual([expect.stringMatching(new RegExp(`^${file}:7:30 data\\.batch_size: must be > 0, got -\\d \\(sweep\\.random\\)$`))]);
  });

  it('an unknown key, and not again as the check of the mapping that lacks the key it meant', async () => {
    const sweep = writeConfig(`${BASE}sweep: {grdi: {optimizer.lr: [1, 2]}}\n`);
    expect(await refused('validate', sweep)).toEqual([`${sweep}:3:9 sweep.grdi: unknown key 'grdi' (did you mean 'grid'?)`]);
    const expectations = writeConfig(`${BASE}expect: {final_loss: {below: 1}}\n`);
    expect(await refused('validate', expectations)).toEqual([expect.stringMatching(new RegExp(`^${expectations}:3:10 expect\\.final_loss: unknown key 'final_loss'`))]);
  });
});

describe('bytes from files are escaped in messages', () => {
  it('control characters and escape sequences in a key or a value', async () => {
    const file = writeConfig(`${BASE}op\u001b[2Jt\u0007: 1\noptimizer: {name: "ad\\nam\\r"}\n`);
    const lines = await refused('validate', file);
    expect(lines[0]).toBe(`${file}:3:1 op\\x1b[2Jt\\x07: unknown key 'op\\x1b[2Jt\\x07'; valid keys: name, seed, data, model, objective, loss, optimizer, scheduler, train, seeds, sweep, compare, targets, expect, protocol`);
    expect(lines[1]).toMatch(new RegExp(`^${file}:4:19 optimizer\\.name: unknown optimizer 'ad\\\\nam\\\\r'`));
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('a NUL, at its place; a UTF-16 file, as such', async () => {
    const nul = writeConfig(`${BASE}opti\u0000mizer: 1\n`);
    expect(await refused('validate', nul)).toEqual([`${nul}:3:5: holds a NUL character: a config is UTF-8 text (is this a UTF-16 or binary file?)`]);
    const folder = tempDir();
    const utf16 = join(folder, 'utf16.yaml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BASE, 'utf16le')]));
    expect(await refused('validate', utf16)).toEqual([`${utf16}: is UTF-16 text; a config is read as UTF-8: save it as UTF-8`]);
    const bare = join(folder, 'bare.yaml');
    writeFileSync(bare, Buffer.from(BASE, 'utf16le'));
    expect(await refused('validate', bare)).toEqual([`${bare}:1:2: holds a NUL character: a config is UTF-8 text (is this a UTF-16 or binary file?)`]);
  });
});

describe("a job array's index from the environment", () => {
  it('is an error when empty or not a number, never shard 1', () => {
    for (const index of ['', ' ', '1x', '-1']) {
      expect(thrown(UsageError, () => resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: index })).problem).toBe(
        `JOB_COMPLETION_INDEX='${index}' is not a task index (a whole number); is the job array's environment set right?`,
      );
    }
    expect(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(/^SLURM_ARRAY_TASK_ID='' is not a task index/);
    expect(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(/^SLURM_ARRAY_TASK_MIN='' /);
  });
});
