/**
 * A sweep folder damaged after the fact (a trial manifest whose status is not a status, a
 * sweep.json whose trial config is empty or that lists one trial twice) is refused by name:
 * exit 2 with the file and what is wrong in it, before anything runs, and never one trial run
 * twice at once in one folder.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepId } from '../../src/runs/sweep-dir.js';
import type { Expansion } from '../../src/config/trials.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

const SWEEP = `name: damaged
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32}
model: {layers: [{linear: 4}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.3}
train: {epochs: 1}
sweep: {grid: {optimizer.lr: [0.1, 0.3]}}
`;

/** A finished sweep of two trials, made once; each case damages a copy. */
let finished = '';
beforeAll(async () => {
  const runs = tempDir();
  const result = await runCli('sweep', writeConfig(SWEEP), '--out', runs, '--quiet');
  expect(result.code, result.stderr).toBe(0);
  const [folder] = readdirSync(join(runs, 'damaged'));
  finished = join(runs, 'damaged', folder);
}, 60_000);

function copy(): string {
  const dir = join(tempDir(), 'sweep');
  cpSync(finished, dir, { recursive: true });
  return dir;
}

function trialIds(dir: string): string[] {
  return (JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { trials: { id: string }[] }).trials.map((t) => t.id);
}

function edit(file: string, change: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(value);
  writeFileSync(file, JSON.stringify(value));
}

async function expectRefused(args: string[], file: string, problem: RegExp): Promise<void> {
  const result = await runCli(...args);
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(2);
  expect(result.stderr).not.toMatch(/internal error/);
  const first = result.stderr.split('\n')[0];
  expect(first.startsWith(`${file}: `), result.stderr).toBe(true);
  expect(first.slice(file.length + 2)).toMatch(problem);
}

describe('a trial manifest whose status is not a status', () => {
  for (const status of [3, { completed: true }, 'done', null]) {
    it(`status ${JSON.stringify(status)}: report, sweep --resume and merge refuse it, exit 2 naming the manifest`, async () => {
      const dir = copy();
      const manifest = join(dir, 'trials', trialIds(dir)[0], 'manifest.json');
      edit(manifest, (m) => {
        m.status = status;
      });
      for (const args of [['report', dir], ['sweep', '--resume', dir, '--quiet'], ['merge', dir, '--out', join(tempDir(), 'merged')]]) {
        await expectRefused(args, manifest, /^is damaged: status: /);
      }
    });
  }

  it('a manifest that is not JSON is refused too, not taken for a trial to run again', async () => {
    const dir = copy();
    const manifest = join(dir, 'trials', trialIds(dir)[0], 'manifest.json');
    writeFileSync(manifest, '{"status": "compl');
    await expectRefused(['sweep', '--resume', dir, '--quiet'], manifest, /^is not valid JSON/);
  });
});

describe("a trial's damaged CSV files", () => {
  it('a loss that is not a number, a row of the wrong length: report refuses them, exit 2 naming the file', async () => {
    const dir = copy();
    const trial = join(dir, 'trials', trialIds(dir)[0]);
    const steps = join(trial, 'steps.csv');
    writeFileSync(steps, readFileSync(steps, 'utf8').replace(/^(1,[^,]*,)[^,]*/m, '$1lots'));
    await expectRefused(['report', dir], steps, /^is damaged: row 1, loss: "lots" is not a number/);
    cpSync(join(finished, 'trials', trialIds(dir)[0], 'steps.csv'), steps);
    const epochs = join(trial, 'epochs.csv');
    writeFileSync(epochs, `${readFileSync(epochs, 'utf8')}1,2\n`);
    await expectRefused(['report', dir], epochs, /^is damaged: /);
  });
});

describe('a damaged sweep.json', () => {
  it('a trial config that is {}: sweep --resume refuses it at that trial, exit 2, nothing run', async () => {
    const dir = copy();
    const file = join(dir, 'sweep.json');
    edit(file, (sweep) => {
      (sweep.trials as { config: unknown }[])[1].config = {};
    });
    await expectRefused(['sweep', '--resume', dir, '--quiet'], file, /^is damaged: trials\.1\.config\.data: /);
  });

  it('one trial id listed twice: refused, exit 2, so that two workers never run one trial in one folder', async () => {
    const dir = copy();
    const file = join(dir, 'sweep.json');
    const [first] = trialIds(dir);
    edit(file, (sweep) => {
      const trials = sweep.trials as { id: string; index: number }[];
      trials[1] = { ...trials[0], index: 1 };
      // the folder's id made to agree, as a forged file would
      sweep.id = sweepId({ kind: sweep.kind, trials } as unknown as Expansion);
    });
    const before = readdirSync(join(dir, 'trials')).sort();
    for (const args of [['sweep', '--resume', dir, '--quiet', '--jobs', '2'], ['report', dir], ['merge', dir, '--out', join(tempDir(), 'merged')]]) {
      await expectRefused(args, file, new RegExp(`^is damaged: trials\\.1\\.id: repeats the id of trials\\.0`));
    }
    expect(readdirSync(join(dir, 'trials')).sort(), `no new claim on ${first}`).toEqual(before);
  });
});
