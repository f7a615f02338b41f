import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimState, claimTrial, releaseClaim, STALE_MS } from '../../src/runs/claims.js';
import { tempDir } from '../cli/run-cli.js';

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('trial claims', () => {
  it('let one process claim a trial; a second claim fails while the first holder lives', () => {
    const dir = tempDir();
    expect(claimState(dir, 'abc')).toBe('free');
    const file = claimTrial(dir, 'abc');
    expect(file).toBe(join(dir, 'abc.claim.1'));
    writeFileSync(join(dir, 'def.claim.1'), JSON.stringify({ host: hostname(), pid: process.ppid }));
    expect(claimState(dir, 'def')).toBe('live');
    expect(claimTrial(dir, 'def')).toBeNull();
  });

  it('take over the claim of a dead process on this host with the next attempt number', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'abc.claim.1'), JSON.stringify({ host: hostname(), pid: deadPid() }));
    expect(claimState(dir, 'abc')).toBe('stale');
    expect(claimTrial(dir, 'abc')).toBe(join(dir, 'abc.claim.2'));
    expect(existsSync(join(dir, 'abc.claim.1'))).toBe(true);
  });

  it("take over another host's claim only once its heartbeat is older than the limit", () => {
    const dir = tempDir();
    const file = join(dir, 'abc.claim.3');
    writeFileSync(file, JSON.stringify({ host: 'elsewhere', pid: 1 }));
    expect(claimState(dir, 'abc')).toBe('live');
    const old = new Date(Date.now() - STALE_MS - 1000);
    utimesSync(file, old, old);
    expect(claimState(dir, 'abc')).toBe('stale');
    expect(claimTrial(dir, 'abc')).toBe(join(dir, 'abc.claim.4'));
  });

  it('let go of a released claim at once, on this host and on any other, and number the next attempt after it', () => {
    const dir = tempDir();
    const mine = claimTrial(dir, 'abc')!;
    releaseClaim(mine);
    expect(claimState(dir, 'abc')).toBe('stale');
    // a live process elsewhere that released its claim
    const theirs = join(dir, 'def.claim.1');
    writeFileSync(theirs, JSON.stringify({ host: 'elsewhere', pid: 1 }));
    releaseClaim(theirs);
    expect(claimState(dir, 'def')).toBe('stale');
    // a live process on this host (this test's parent) that released its claim
    const parents = join(dir, 'ghi.claim.1');
    writeFileSync(parents, JSON.stringify({ host: hostname(), pid: process.ppid }));
    releaseClaim(parents);
    expect(claimState(dir, 'ghi')).toBe('stale');
    expect(claimTrial(dir, 'def')).toBe(join(dir, 'def.claim.2'));
  });
});
