/**
 * Claims across hosts (a resubmitted job array on a multi-node cluster): a trial's claim is let go
 * when it ends, however it ends, so a rerun on another host takes over an interrupted trial at
 * once; and a shard whose trials another live process holds waits for them (taking them over if
 * they are let go) and never exits 0 while they are unfinished.
 *
 * "Another host" is simulated by rewriting the host in a claim file (its heartbeat, the mtime,
 * kept as it was): that is all a process elsewhere would see of it.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimState } from '../../src/runs/claims.js';
import { expectIntactRun, folderWith, manifestOf, onlyFolder, partialRows, spawnAdamLab, strictCsv, TOY } from './harness.js';

/** About a second per trial here: long enough to be caught under way, short enough to rerun. */
const LONG = `data: {dataset: synthetic, task: moons, n_train: 2000, n_test: 200, batch_size: 32}
model: {layers: [{linear: 16}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.05}
train: {epochs: 30}
sweep: {grid: {optimizer.lr: [0.05]}}
`;

function claimFiles(dir: string): string[] {
  const trials = join(dir, 'trials');
  return readdirSync(trials)
    .filter((f) => /\.claim\.\d+$/.test(f))
    .map((f) => join(trials, f));
}

/** Makes a claim look as if a process on another host had written it, its heartbeat unchanged. */
function moveToAnotherHost(file: string): void {
  const { atime, mtime } = statSync(file);
  const record = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
  writeFileSync(file, JSON.stringify({ host: 'another-host', pid: record.pid }));
  utimesSync(file, atime, mtime);
}

/** How a process on another host judges every claim left in the sweep folder. */
function claimsSeenFromAnotherHost(dir: string): string[] {
  const files = claimFiles(dir);
  files.forEach(moveToAnotherHost);
  return files.map((file) => claimState(join(dir, 'trials'), file.slice(file.lastIndexOf('/') + 1).split('.claim.')[0]));
}

describe("a trial's claim is let go when the trial ends", () => {
  it('completed, diverged and failed trials leave no claim another host would respect', async () => {
    const { config, out } = folderWith(`name: ends\n${TOY}sweep: {grid: {optimizer.lr: [0.1, 1.0e+38]}}\n`);
    const ended = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2']);
    expect(ended.code, ended.stderr).toBe(0);
    const dir = onlyFolder(join(out, 'ends'));
    expect(strictCsv(join(dir, 'summary.csv')).map((r) => r.status)).toEqual(['completed', 'diverged']);
    expect(claimsSeenFromAnotherHost(dir)).toEqual(['stale', 'stale']);

    // a trial that throws (a model that does not fit the data): failed
    const failing = folderWith('name: fails\ndata: {dataset: csv, csv: {train: train.csv, label: label}, batch_size: 2}\nmodel: {layers: [{linear: 3}]}\n');
    writeFileSync(join(failing.folder, 'train.csv'), 'a,b,label\n0,1,0\n1,0,4\n1,1,2\n0,0,1\n');
    writeFileSync(failing.config, `${readFileSync(failing.config, 'utf8')}sweep: {grid: {optimizer.lr: [0.01]}}\n`);
    const failed = await spawnAdamLab(['sweep', failing.config, '--out', failing.out, '--jobs', '1']);
    expect(failed.code, failed.stderr).toBe(1);
    const failedDir = onlyFolder(join(failing.out, 'fails'));
    expect(strictCsv(join(failedDir, 'summary.csv')).map((r) => r.status)).toEqual(['failed']);
    expect(claimsSeenFromAnotherHost(failedDir)).toEqual(['stale']);
  }, 60_000);

  it('an interrupted shard is finished by a rerun on another host, at once', async () => {
    const { config, out } = folderWith(`name: moved\nseeds: [0, 1, 2, 3]\n${LONG}`);
    const args = ['sweep', config, '--out', out, '--jobs', '2', '--shard', '1/2'];
    let sent = false;
    const first = await spawnAdamLab(args, {
      watch: (_stdout, signal) => {
        if (!sent && partialRows(out) > 0) {
          sent = true;
          signal('SIGTERM');
        }
      },
    });
    expect(first.code, first.stderr).toBe(130);
    const dir = onlyFolder(join(out, 'moved'));
    expect(claimsSeenFromAnotherHost(dir)).toEqual(['stale', 'stale']);
    // the rerun judges the (now foreign) claims as a process on another host does; it must not wait for them
    const again = await spawnAdamLab([...args, '--wait-held', '0']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/2 trials in this shard \(of 4\): 0 done, 2 to run/);
    // shard 1/2 is trials 1 and 3; the other shard's never ran
    const rows = strictCsv(join(dir, 'summary.csv'));
    expect(rows.map((r) => r.status)).toEqual(['completed', 'missing', 'completed', 'missing']);
    for (const row of rows.filter((r) => r.status === 'completed')) expectIntactRun(join(dir, 'trials', row.trial));
  }, 60_000);
});

describe('trials of the slice held by a live process elsewhere', () => {
  /** A sweep of two trials whose first one a live process on another host has claimed; returns its folder. */
  async function heldSweep(name: string): Promise<{ config: string; out: string; dir: string; heldClaim: string }> {
    const { config, out } = folderWith(`name: ${name}\n${TOY}sweep: {grid: {optimizer.lr: [0.1, 0.2]}}\n`);
    const dry = await spawnAdamLab(['sweep', config, '--out', out, '--dry-run']);
    const dir = /→ (.*)$/m.exec(dry.stdout)![1];
    const first = /^1 +([0-9a-f]{12}) /m.exec(dry.stdout)![1];
    const trials = join(dir, 'trials');
    mkdirSync(trials, { recursive: true });
    const heldClaim = join(trials, `${first}.claim.1`);
    writeFileSync(heldClaim, JSON.stringify({ host: 'another-host', pid: 1 }));
    return { config, out, dir, heldClaim };
  }

  it('are waited for, then counted: exit 1, never 0', async () => {
    const { config, out, dir, heldClaim } = await heldSweep('held');
    const result = await spawnAdamLab(['sweep', config, '--out', out, '--wait-held', '1']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/2 trials: 0 done, 1 running elsewhere, 1 to run/);
    expect(result.stdout).toMatch(/waiting up to 1 s for 1 trial\(s\) of this slice running in another process/);
    expect(result.stderr).toMatch(/^1 trial\(s\) of this slice are still running in another process; run the same command again once it has ended$/m);
    const held = heldClaim.slice(heldClaim.lastIndexOf('/') + 1).split('.claim.')[0];
    expect(manifestOf(join(dir, 'trials', held)), 'the held trial is left to its holder').toBeNull();
  }, 60_000);

  it('are taken over when their holder lets go during the wait', async () => {
    const { config, out, dir, heldClaim } = await heldSweep('released');
    let released = false;
    const result = await spawnAdamLab(['sweep', config, '--out', out, '--wait-held', '60'], {
      watch: (stdout) => {
        if (!released && /waiting up to/.test(stdout)) {
          released = true;
          utimesSync(heldClaim, 0, 0); // what releaseClaim does in the other process
        }
      },
    });
    expect(released).toBe(true);
    expect(result.code, result.stderr).toBe(0);
    expect(strictCsv(join(dir, 'summary.csv')).map((r) => r.status)).toEqual(['completed', 'completed']);
  }, 60_000);
});
