/**
 * Disk faults: an output folder that is read-only, one that vanishes while a run writes into it,
 * and a full disk (ENOSPC, injected into node:fs, and a real tiny tmpfs where mounting one is
 * allowed). Each ends in one clear message and a non-zero exit, and no partial file is ever left
 * where a result would be read: a trial or run that did not finish is never marked finished, and
 * a sweep picks up where the fault stopped it once the disk is fine again.
 *
 * Read-only needs a user the permissions apply to: the tests run as root here, so adam-lab is run
 * as `nobody` through setpriv (a non-root user runs it directly); where neither works, that test
 * is skipped and the injected EROFS below still covers the path.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectCleanFailure,
  expectConsistentRun,
  filesUnder,
  folderWith,
  manifestOf,
  onlyFolder,
  partialRows,
  runsDir,
  seededRandom,
  spawnAdamLab,
  strictCsv,
  TOY,
  trialFolders,
  type SpawnResult,
} from './harness.js';

const SEED = 11;
/** How to run adam-lab as a user that file permissions bind, or null when there is none. */
function unprivileged(): string[] | null {
  if (process.getuid?.() !== 0) return [];
  const wrapper = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  return spawnSync(wrapper[0], [...wrapper.slice(1), process.execPath, '-e', ''], { stdio: 'ignore' }).status === 0 ? wrapper : null;
}
const asUser = unprivileged();

/** Nothing in `dir` claims to be a finished result it is not: finished runs are whole, no temporaries remain. */
function expectNoFalseResults(dir: string): void {
  for (const file of filesUnder(dir).filter((f) => f.endsWith('manifest.json'))) expectConsistentRun(join(dir, file, '..'));
  expect(filesUnder(dir).filter((f) => f.includes('.tmp-') && !f.includes('.claim.'))).toEqual([]);
}

/** Runs that met a fault, by fault. */
const faulted = new Map<string, number>();
function fault(kind: string): void {
  faulted.set(kind, (faulted.get(kind) ?? 0) + 1);
}
afterAll(() => console.info(`disk faults: ${[...faulted].map(([kind, n]) => `${n} ${kind}`).join(', ')}`));

describe('a read-only output folder', () => {
  it.skipIf(asUser === null)('train, sweep and check say so, exit 1, and write nothing', async () => {
    const { folder, config, out } = folderWith(`name: ro\nseeds: [0, 1]\n${TOY}train: {epochs: 1}\nsweep: {grid: {optimizer.lr: [0.1, 0.2]}}\nexpect: {no_divergence: true}\n`);
    mkdirSync(out);
    chmodSync(folder, 0o755);
    chmodSync(out, 0o555);
    for (const command of [['train'], ['sweep'], ['check']]) {
      const result = await spawnAdamLab([...command, config, '--out', out], { wrapper: asUser! });
      fault('read-only (train, sweep, check)');
      expectCleanFailure(result, 1, new RegExp(`^${out}/ro(/[\\w-]+){0,2}: cannot be written: permission denied$`, 'm'));
    }
    expect(readdirSync(out)).toEqual([]);
  });

  it('an injected EROFS (a read-only file system) is reported as such', async () => {
    const { config, out } = folderWith(`name: erofs\n${TOY}`);
    const result = await spawnAdamLab(['train', config, '--out', out], { faults: { fail: { events: ['mkdir', 'open'], match: `^${out}`, from: 1, counter: join(out, '..', 'counter'), code: 'EROFS' } } });
    fault('injected EROFS');
    expectCleanFailure(result, 1, /cannot be written: the file system is read-only/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('an output folder that vanishes mid-run', () => {
  /**
   * Removes `dir` while adam-lab may still be creating files in it: a file made between the
   * removal of a folder's children and of the folder itself fails that removal (ENOTEMPTY), so
   * it is tried again until the folder is gone, as a user repeating `rm -rf` would.
   */
  const removeWhileInUse = (dir: string): void => {
    for (let attempt = 1; ; attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 100) throw error;
      }
    }
  };
  /** Runs `args` and removes --out (`out`) once training is under way in it. */
  const removedMidRun = async (args: string[], out: string): Promise<SpawnResult> => {
    let removed = false;
    const result = await spawnAdamLab(args, {
      watch: () => {
        if (!removed && partialRows(out) > 0) {
          removed = true;
          removeWhileInUse(out);
        }
      },
    });
    expect(removed, result.stdout).toBe(true);
    fault('vanished (train, check, sweep)');
    return result;
  };
  const LONG = `${TOY}train: {epochs: 1000}\n`;

  it('train: exit 1 saying the folder is gone', async () => {
    const { config, out } = folderWith(`name: gone\n${LONG}`);
    const result = await removedMidRun(['train', config, '--out', out], out);
    expectCleanFailure(result, 1, new RegExp(`^${out}/gone/[\\w-]+/[\\w.-]+: cannot be written: the directory no longer exists$`, 'm'));
    expect(existsSync(out), 'the removed folder is not made again').toBe(false);
  });

  it('check: exit 1 saying its folder is gone, no verdict and nothing claimed as a result', async () => {
    const { config, out } = folderWith(`name: gone\nseeds: [0, 1]\n${LONG}expect: {no_divergence: true}\n`);
    const result = await removedMidRun(['check', config, '--out', out, '--junit', join(out, '..', 'junit.xml')], out);
    expectCleanFailure(result, 1, new RegExp(`^${out}/gone/check-[\\w-]+: cannot be written: the directory no longer exists$`, 'm'));
    expect(result.stdout).not.toMatch(/PASS|FAIL|expectations hold/);
    expect(existsSync(join(out, '..', 'junit.xml')), 'no verdict is written').toBe(false);
    expect(existsSync(out), 'the removed folder is not made again').toBe(false);
  });

  it('sweep: exit 1 with a clear message; run again, the sweep is rebuilt whole', async () => {
    const { config, out } = folderWith(`name: gone\nseeds: [0, 1]\n${TOY}train: {epochs: 20}\nsweep: {grid: {optimizer.lr: [0.1, 0.2]}}\n`);
    let removed = false;
    const result = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2'], {
      watch: (stdout) => {
        if (!removed && /^\[1\/4\]/m.test(stdout)) {
          removed = true;
          removeWhileInUse(out);
        }
      },
    });
    expect(removed).toBe(true);
    fault('vanished (train, check, sweep)');
    expectCleanFailure(result, 1, /cannot be written: the directory no longer exists/);
    expect(existsSync(out), 'the removed folder is not made again').toBe(false);
    const again = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(strictCsv(join(onlyFolder(join(out, 'gone')), 'summary.csv')).map((r) => r.status)).toEqual(Array(4).fill('completed'));
  });
});

describe('a full disk', () => {
  const random = seededRandom(SEED);

  it('ENOSPC at a random write of a train run: exit 1, "no space left", no result claimed', async () => {
    const { config, out } = folderWith(`name: full\n${TOY}train: {epochs: 3}\n`);
    const trace = join(out, '..', 'trace.log');
    expect((await spawnAdamLab(['train', config, '--out', join(out, 'reference')], { faults: { trace } })).code).toBe(0);
    const writes = readFileSync(trace, 'utf8').split('\n').filter((line) => line.startsWith('write '));
    // Every write before the final manifest's can fail; the run must then not look finished. The
    // first write of all fails; the others are counted without the appends to steps.csv.partial,
    // whose number depends on the clock (rows are flushed every 50 ms as well as every epoch).
    const steady = writes.filter((line) => !/\.partial$/.test(line));
    const last = steady.findLastIndex((line) => /manifest\.json\.tmp-/.test(line));
    const cases = [
      { from: 1, match: '/' },
      { from: 1 + Math.floor(random() * last), match: '/(?!.*\\.partial$)' },
      { from: last, match: '/(?!.*\\.partial$)' },
    ];
    for (const [index, { from, match }] of cases.entries()) {
      const root = join(out, `case-${index}`);
      const result = await spawnAdamLab(['train', config, '--out', root], { faults: { fail: { events: ['write'], match: `^${root}${match}`, from, counter: join(out, '..', `counter-${index}`), code: 'ENOSPC' } } });
      fault(`ENOSPC from a write of train (of ${steady.length} steady writes)`);
      expectCleanFailure(result, 1, /cannot be written: no space left on the device/);
      expectNoFalseResults(root);
      const run = onlyFolder(join(root, 'full'));
      expect(['running', 'failed']).toContain(manifestOf(run)?.status ?? 'running');
    }
  });

  it('ENOSPC in the middle of a sweep: exit 1; with space again, the same command finishes it whole', async () => {
    const { config, out } = folderWith(`name: full\nseeds: [0, 1]\n${TOY}train: {epochs: 2}\nsweep: {grid: {optimizer.lr: [0.1, 0.2, 0.3]}}\n`);
    const result = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2'], { faults: { fail: { events: ['write'], match: `^${out}/`, from: 25, counter: join(out, '..', 'counter'), code: 'ENOSPC' } } });
    fault('ENOSPC mid-sweep');
    expectCleanFailure(result, 1, /no space left on the device/);
    expectNoFalseResults(out);
    const again = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2']);
    expect(again.code, again.stderr).toBe(0);
    const dir = onlyFolder(join(out, 'full'));
    expect(strictCsv(join(dir, 'summary.csv')).map((r) => r.status)).toEqual(Array(6).fill('completed'));
    expectNoFalseResults(dir);
  });

  it('ENOSPC writing summary.csv while another trial runs: that trial is stopped and recorded as interrupted, not cut off', async () => {
    const { config, out } = folderWith(`name: full\n${TOY}sweep: {grid: {train.epochs: [1, 300]}}\n`);
    const result = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2'], { faults: { fail: { events: ['write'], match: '/summary\\.csv\\.tmp-', from: 1, counter: join(out, '..', 'counter'), code: 'ENOSPC' } } });
    fault('ENOSPC on summary.csv');
    expectCleanFailure(result, 1, /summary\.csv: cannot be written: no space left on the device/);
    expectNoFalseResults(out);
    const dir = onlyFolder(join(out, 'full'));
    expect(trialFolders(dir).map((trial) => manifestOf(trial)?.status).sort()).toEqual(['completed', 'interrupted']);
    const again = await spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(strictCsv(join(dir, 'summary.csv')).map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  /** A tiny tmpfs mounted on a fresh folder, or null where mounting is not allowed (not root, no CAP_SYS_ADMIN). */
  const mountTmpfs = (): string | null => {
    if (process.getuid?.() !== 0) return null;
    const mountPoint = runsDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
      return mountPoint;
    } catch {
      return null;
    }
  };
  const probe = mountTmpfs();
  if (probe !== null) execFileSync('umount', [probe]);

  it.skipIf(probe === null)('a real 256 KiB tmpfs that fills up: exit 1, "no space left", no result claimed', async () => {
    const tmpfs = mountTmpfs();
    expect(tmpfs).not.toBeNull();
    try {
      const { config } = folderWith(`name: tiny\n${TOY.replace('{linear: 8}', '{linear: 40000}')}train: {epochs: 1}\n`);
      const result = await spawnAdamLab(['train', config, '--out', tmpfs!]);
      fault('full 256 KiB tmpfs');
      expectCleanFailure(result, 1, /cannot be written: no space left on the device/);
      expectNoFalseResults(tmpfs!);
    } finally {
      execFileSync('umount', [tmpfs!]);
    }
  });
});
