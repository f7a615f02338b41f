/**
 * Kill at any moment: a sweep is SIGKILLed at points chosen from what an uninterrupted run of it
 * does — in the middle of writing a result file (a torn write), just before a result is renamed
 * into place, while a trial is claimed, while summary.csv is rewritten — and at moments seen on
 * its output. After each kill the folder holds only whole results; the same command then resumes
 * it, and the finished sweep has every trial exactly once, none that finished before the kill run
 * again, and the summary an uninterrupted run writes (apart from times).
 *
 * What a kill leaves behind (a .tmp- file of an atomic write, a steps.csv.partial, a claim's or a
 * merge's temporary): inside a trial's folder, it belongs to a trial that did not finish, and the
 * resumed trial starts from an emptied folder, so it is gone once the sweep is whole; elsewhere
 * (summary.csv.tmp-…, report files, trials/<id>.claim.<n>.tmp-…, a merge's trials/<id>.tmp-…/),
 * nothing reads it and nothing removes it: it stays, harmless, until someone deletes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIntactRun, filesUnder, folderWith, manifestOf, onlyFolder, runsDir, seededRandom, spawnAdamLab, strictCsv, temporariesUnder, TOY, trialFolders } from './harness.js';

const SEED = 42;
const TRIALS = 4;
const EPOCHS = 2;

const { config } = folderWith(`name: killed\nseeds: [0, 1]\n${TOY}train: {epochs: ${EPOCHS}}\ntargets: {test_accuracy: 0.8}\nsweep: {grid: {optimizer.lr: [0.05, 0.5]}}\n`);
const sweepArgs = (out: string): string[] => ['sweep', config, '--out', out, '--jobs', '2'];

/**
 * Where a kill can land: a file-system event of the sweep, by kind and path. `always` is how many
 * of these events every run has when more depend on the clock: each trial appends to
 * steps.csv.partial its header and every epoch's rows, and between those every 50 ms;
 * summary.csv is written when the first trial ends and at the end, and in between at most once a
 * second.
 */
const KILL_POINTS = [
  { label: 'torn write of steps.csv.partial', event: 'write', match: '/steps\\.csv\\.partial$', torn: true, always: TRIALS * (1 + EPOCHS) },
  { label: 'torn write of model.safetensors', event: 'write', match: '/model\\.safetensors\\.tmp-', torn: true },
  { label: 'torn write of epochs.csv', event: 'write', match: '/epochs\\.csv\\.tmp-', torn: true },
  { label: 'before steps.csv is renamed into place', event: 'rename', match: '/steps\\.csv$', torn: false },
  { label: "before a trial's manifest.json is renamed into place", event: 'rename', match: '/trials/[0-9a-f]{12}/manifest\\.json$', torn: false },
  { label: 'torn write of a claim', event: 'write', match: '\\.claim\\.', torn: true },
  { label: 'before a claim is linked', event: 'link', match: '\\.claim\\.\\d+$', torn: false },
  { label: "before a trial's folder is cleared for its run", event: 'rm', match: '/trials/[0-9a-f]{12}$', torn: false },
  { label: 'torn write of summary.csv', event: 'write', match: '/summary\\.csv\\.tmp-', torn: true, always: 2 },
  { label: 'before report.html is renamed into place', event: 'rename', match: '/report\\.html$', torn: false },
] as const;

const figures = { kills: 0, inTrials: new Map<string, number>(), elsewhere: new Map<string, number>() };
afterAll(() => {
  const kinds = (seen: Map<string, number>): string => [...seen].map(([kind, n]) => `${n} ${kind}`).join(', ') || 'none';
  console.info(
    `kill and resume (seed ${SEED}): ${figures.kills} SIGKILLs landed (${KILL_POINTS.length} kinds of kill point in sweep, some killed twice, merge, and kills from outside); ` +
      `temporaries seen after a kill: in unfinished trials' folders (all gone after resuming) ${kinds(figures.inTrials)}; elsewhere (left in place, never read) ${kinds(figures.elsewhere)}`,
  );
});

const counted = new Set<string>();
/** Counts a temporary (once) by its kind: its path with trial ids, claim numbers and .tmp- suffixes made generic. */
function count(seen: Map<string, number>, dir: string, file: string): void {
  if (counted.has(join(dir, file))) return;
  counted.add(join(dir, file));
  const kind = file.replace(/[0-9a-f]{12}/g, '<id>').replace(/\.claim\.\d+/, '.claim.<n>').replace(/\.tmp-[^/]*/, '.tmp-*').replace(/\.tmp-\*\/.*$/, '.tmp-*/…');
  seen.set(kind, (seen.get(kind) ?? 0) + 1);
}

/** The files of a finished trial, and nothing else. */
const RUN_FILES = ['config.yaml', 'epochs.csv', 'manifest.json', 'model.safetensors', 'steps.csv'];

let reference: { dir: string; rows: Record<string, string>[]; events: string[] };

/** Rows without their times (`seconds`, `seconds_to_…`): what two runs of one sweep agree on. */
function withoutTimes(rows: Record<string, string>[]): Record<string, string>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !/^seconds/.test(column))));
}

/** What must hold after any kill: whole files wherever a result is claimed, a parseable summary. */
interface Left {
  readonly dir: string;
  /** Finished trials, with their start times (a trial run again would have another). */
  readonly finished: Map<string, string>;
  /** Temporaries outside the trials' own folders: left as they are. */
  readonly stale: string[];
}

function expectWholeFolder(out: string): Left {
  return expectWholeSweep(onlyFolder(join(out, 'killed')));
}

/** Whole files wherever a result is claimed; counts (for the figures) and returns what a kill left behind. */
function expectWholeSweep(dir: string): Left {
  const finished = new Map<string, string>();
  if (!existsSync(join(dir, 'sweep.json'))) return { dir, finished, stale: [] }; // killed before the sweep folder was written
  const sweep = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { trials: { id: string }[] };
  const ids = sweep.trials.map((t) => t.id);
  for (const trial of trialFolders(dir)) {
    expect(ids, trial).toContain(basename(trial));
    const manifest = manifestOf(trial);
    if (manifest?.status === 'completed' || manifest?.status === 'diverged') finished.set(basename(trial), expectIntactRun(trial).started_at);
  }
  for (const table of ['summary.csv', 'comparison.csv']) {
    if (!existsSync(join(dir, table))) continue;
    const rows = strictCsv(join(dir, table));
    if (table === 'summary.csv') expect(rows.map((r) => r.trial)).toEqual(ids);
  }
  const inTrial = (file: string): boolean => /^trials\/[0-9a-f]{12}\//.test(file);
  const temporaries = temporariesUnder(dir);
  temporaries.filter(inTrial).forEach((f) => count(figures.inTrials, dir, f));
  const stale = temporaries.filter((f) => !inTrial(f));
  stale.forEach((f) => count(figures.elsewhere, dir, f));
  return { dir, finished, stale };
}

/**
 * Resumes with the same command and checks the finished sweep against the uninterrupted one: the
 * trials that finished before are kept as they were, every trial folder holds its run's files and
 * nothing else (a resumed trial leaves none of its earlier attempt's temporaries), and the only
 * temporaries left are the stale ones the kills left elsewhere, which nothing read.
 */
async function expectResumedWhole(out: string, before: Left): Promise<void> {
  const resumed = await spawnAdamLab(sweepArgs(out), { timeoutMs: 60_000 });
  expect(resumed.code, resumed.stderr).toBe(0);
  const dir = onlyFolder(join(out, 'killed'));
  for (const [trial, startedAt] of before.finished) expect(manifestOf(join(dir, 'trials', trial))?.started_at, `${trial} finished before the kill and must not run again`).toBe(startedAt);
  for (const trial of trialFolders(dir)) {
    expectIntactRun(trial);
    expect(filesUnder(trial), trial).toEqual(RUN_FILES);
  }
  expect(temporariesUnder(dir).filter((f) => !before.stale.includes(f)), 'temporaries the resumed sweep left').toEqual([]);
  const rows = strictCsv(join(dir, 'summary.csv'));
  expect(rows.map((r) => r.trial)).toEqual(reference.rows.map((r) => r.trial));
  expect(withoutTimes(rows)).toEqual(withoutTimes(reference.rows));
  expect(rows.every((r) => r.status === 'completed')).toBe(true);
}

describe('a sweep killed at any moment', () => {
  beforeAll(async () => {
    const out = runsDir();
    const trace = join(out, 'trace.log');
    const result = await spawnAdamLab(sweepArgs(out), { faults: { trace } });
    expect(result.code, result.stderr).toBe(0);
    const dir = onlyFolder(join(out, 'killed'));
    reference = { dir, rows: strictCsv(join(dir, 'summary.csv')), events: readFileSync(trace, 'utf8').trim().split('\n') };
    expect(reference.rows).toHaveLength(TRIALS);
  }, 60_000);

  const random = seededRandom(SEED);
  const chosen = KILL_POINTS.map((point) => ({ ...point, fraction: random(), again: random() < 0.3 ? random() : null }));

  it.each(chosen)('$label: nothing half-written is a result, and the resumed sweep is whole', async (point) => {
    const seen = reference.events.filter((line) => line.startsWith(`${point.event} `) && new RegExp(point.match).test(line)).length;
    expect(seen, `the reference run has no ${point.event} matching ${point.match}`).toBeGreaterThan(0);
    const count = 'always' in point ? Math.min(seen, point.always) : seen;
    const out = runsDir();
    const kill = (fraction: number, counter: string) => ({ kill: { event: point.event, match: point.match, torn: point.torn, nth: 1 + Math.floor(fraction * count), counter: join(out, counter) } });
    const first = await spawnAdamLab(sweepArgs(out), { faults: kill(point.fraction, 'counter-1') });
    expect(first.signal, `${first.stdout}\n${first.stderr}`).toBe('SIGKILL');
    figures.kills++;
    let left = expectWholeFolder(out);
    if (point.again !== null) {
      // killed again while resuming: a second kill on top of the first one's leftovers
      const second = await spawnAdamLab(sweepArgs(out), { faults: kill(point.again / 2, 'counter-2') });
      if (second.signal === 'SIGKILL') figures.kills++;
      else expect(second.code, second.stderr).toBe(0);
      const after = expectWholeFolder(out);
      for (const [trial, startedAt] of left.finished) expect(after.finished.get(trial)).toBe(startedAt);
      for (const file of left.stale) expect(after.stale, 'a stale temporary is left as it is').toContain(file);
      left = after;
    }
    await expectResumedWhole(out, left);
  }, 120_000);

  it('merge killed before each trial it copies is in place, then run again: whole', async () => {
    for (const nth of [1, 4]) {
      const merged = join(runsDir(), 'merged');
      const killed = await spawnAdamLab(['merge', reference.dir, '--out', merged], { faults: { kill: { event: 'rename', match: '/trials/[0-9a-f]{12}$', nth, counter: `${merged}-counter` } } });
      expect(killed.signal).toBe('SIGKILL');
      figures.kills++;
      const { stale } = expectWholeSweep(merged);
      const again = await spawnAdamLab(['merge', reference.dir, '--out', merged]);
      expect(again.code, again.stderr).toBe(0);
      expectWholeSweep(merged);
      for (const trial of trialFolders(merged)) expect(filesUnder(trial), trial).toEqual(RUN_FILES);
      expect(temporariesUnder(merged).filter((f) => !stale.includes(f)), 'temporaries the second merge left').toEqual([]);
      expect(withoutTimes(strictCsv(join(merged, 'summary.csv')))).toEqual(withoutTimes(reference.rows));
    }
  }, 120_000);

  it('killed from outside after a random number of finished trials, then resumed', async () => {
    for (const after of [1, 2 + Math.floor(random() * (TRIALS - 2))]) {
      const out = runsDir();
      let sent = false;
      const first = await spawnAdamLab(sweepArgs(out), {
        watch: (stdout, signal) => {
          if (!sent && new RegExp(`^\\[${after}/${TRIALS}\\]`, 'm').test(stdout)) {
            sent = true;
            signal('SIGKILL');
          }
        },
      });
      expect(sent, first.stdout).toBe(true);
      expect(first.signal).toBe('SIGKILL');
      figures.kills++;
      const left = expectWholeFolder(out);
      expect(left.finished.size).toBeGreaterThanOrEqual(after);
      await expectResumedWhole(out, left);
    }
  }, 120_000);
});
