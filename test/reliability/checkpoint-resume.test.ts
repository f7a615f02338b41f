/**
 * Checkpoints and exact resume (issue 19). A run is SIGKILLed several times at points chosen
 * (seeded) from what checkpointing writes — mid-write of a checkpoint file (torn), between the
 * two renames that replace checkpoint/, mid-append of steps.csv.partial — resumed each time with
 * `train --resume`, and its final files are compared with an uninterrupted run's: steps.csv and
 * epochs.csv equal apart from `seconds`, model.safetensors byte for byte. The run has everything
 * that carries state across steps: shuffling, resampled synthetic data, dropout, a
 * reduce-on-plateau schedule, early stopping, Adam's moments, internals.csv. Then the same for a 2-job sweep
 * killed mid-trial, and checkpoints that cannot be resumed from, refused by name.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { expectCleanFailure, folderWith, manifestOf, onlyFolder, seededRandom, spawnAdamLab, trialFolders } from './harness.js';

const SEED = 19;

/** 8 steps an epoch, 12 epochs unless early stopping ends it; checkpoints every 5 steps, mid-epoch. */
const STATEFUL = `name: resumed
seed: 3
data: {dataset: synthetic, task: moons, n_train: 256, n_test: 128, batch_size: 32, shuffle: true, resample: true}
model: {layers: [{linear: 16}, relu, {dropout: 0.2}, {linear: 2}]}
optimizer: {name: adam, lr: 0.01}
scheduler: {name: reduce_lr_on_plateau, patience: 1, factor: 0.5}
train: {epochs: 12, checkpoint_every: 5, early_stopping: {metric: test_loss, patience: 4}, internals: {every: 3}}
`;

/** A CSV without its `seconds` column: what two runs of one config agree on. */
function withoutSeconds(file: string): string {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const at = lines[0].split(',').indexOf('seconds');
  return lines.map((line) => line.split(',').filter((_, i) => i !== at).join(',')).join('\n');
}

function expectSameRun(dir: string, reference: string): void {
  for (const file of ['steps.csv', 'epochs.csv']) expect(withoutSeconds(join(dir, file)), file).toBe(withoutSeconds(join(reference, file)));
  if (existsSync(join(reference, 'internals.csv'))) expect(readFileSync(join(dir, 'internals.csv'), 'utf8'), 'internals.csv').toBe(readFileSync(join(reference, 'internals.csv'), 'utf8'));
  expect(Buffer.compare(readFileSync(join(dir, 'model.safetensors')), readFileSync(join(reference, 'model.safetensors'))), 'model.safetensors').toBe(0);
  expect(manifestOf(dir)?.status).toBe('completed');
}

/** Where a kill lands: a file-system event of checkpointing, the nth of those matching. */
const KILL_POINTS = [
  { label: 'torn write of a checkpoint file', event: 'write', match: '/checkpoint\\.next/', torn: true },
  { label: 'between the renames that replace checkpoint/', event: 'rename', match: '/checkpoint$', torn: false },
  { label: 'torn append to steps.csv.partial', event: 'write', match: '/steps\\.csv\\.partial$', torn: true },
] as const;

describe('a run killed and resumed several times', () => {
  const { config, out } = folderWith(STATEFUL);
  let reference: string;

  beforeAll(async () => {
    const result = await spawnAdamLab(['train', config, '--out', join(out, 'reference'), '-q']);
    expect(result.code, result.stderr).toBe(0);
    reference = onlyFolder(join(out, 'reference', 'resumed'));
  }, 60_000);

  it('ends with the files of the uninterrupted run', async () => {
    const random = seededRandom(SEED);
    const killedOut = join(out, 'killed');
    // The first kill comes after a whole checkpoint (4 files), so there is one to resume from.
    const first = await spawnAdamLab(['train', config, '--out', killedOut, '-q'], { faults: { kill: { ...KILL_POINTS[0], nth: 5 + Math.floor(random() * 8), counter: join(out, 'counter-0') } } });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const dir = onlyFolder(join(killedOut, 'resumed'));
    let kills = 1;
    for (let attempt = 1; attempt <= 4; attempt++) {
      const point = KILL_POINTS[Math.floor(random() * KILL_POINTS.length)];
      const faults = { kill: { event: point.event, match: point.match, torn: point.torn, nth: 1 + Math.floor(random() * 6), counter: join(out, `counter-${attempt}`) } };
      const resumed = await spawnAdamLab(['train', '--resume', dir, '-q'], { faults });
      if (resumed.signal !== 'SIGKILL') {
        expect(resumed.code, resumed.stderr).toBe(0);
        break;
      }
      kills++;
      expect(manifestOf(dir)?.status).toBe('running');
    }
    if (manifestOf(dir)?.status !== 'completed') {
      const last = await spawnAdamLab(['train', '--resume', dir, '-q']);
      expect(last.code, last.stderr).toBe(0);
      expect(last.stdout).toMatch(/^resumed from the checkpoint at step \d+$/m);
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expectSameRun(dir, reference);
  }, 120_000);

  it('ends with the same files when interrupted (SIGTERM, exit 130) and resumed', async () => {
    const termOut = join(out, 'terminated');
    let sent = false;
    const stopped = await spawnAdamLab(['train', config, '--out', termOut], {
      watch: (stdout, signal) => {
        if (!sent && /epoch 3\//.test(stdout)) {
          sent = true;
          signal('SIGTERM');
        }
      },
    });
    const dir = onlyFolder(join(termOut, 'resumed'));
    if (stopped.code === 130) expect(manifestOf(dir)?.status).toBe('interrupted');
    else expect(stopped.code, stopped.stderr).toBe(0); // finished before the signal landed
    if (stopped.code === 130) {
      const resumed = await spawnAdamLab(['train', '--resume', dir, '-q']);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    expectSameRun(dir, reference);
  }, 60_000);
});

describe('a 2-job sweep killed mid-trial', () => {
  const { config, out } = folderWith(`name: swept
seeds: [0, 1]
data: {dataset: synthetic, task: moons, n_train: 256, n_test: 128, batch_size: 32, shuffle: true}
model: {layers: [{linear: 8}, tanh, {dropout: 0.1}, {linear: 2}]}
optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
scheduler: {name: cosine_annealing_lr}
train: {epochs: 3, checkpoint_every: 4}
sweep: {grid: {optimizer.lr: [0.05, 0.2]}}
`);
  const sweep = (runs: string, faults?: object) => spawnAdamLab(['sweep', config, '--out', runs, '--jobs', '2', '-q'], faults === undefined ? {} : { faults });

  it('resumes the trials from their checkpoints and ends with the uninterrupted files', async () => {
    const reference = await sweep(join(out, 'reference'));
    expect(reference.code, reference.stderr).toBe(0);
    const random = seededRandom(SEED + 1);
    const killed = join(out, 'killed');
    // Past the first checkpoint of both trials in flight (4 files each), before the first trial ends.
    const nth = 9 + Math.floor(random() * 8);
    const first = await sweep(killed, { kill: { event: 'write', match: '/checkpoint\\.next/', torn: true, nth, counter: join(out, 'counter') } });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const resumed = await sweep(killed);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^resumed [12] trial\(s\) from their checkpoints: [0-9a-f]{12} from step \d+/m);
    const referenceTrials = trialFolders(onlyFolder(join(out, 'reference', 'swept')));
    const trials = trialFolders(onlyFolder(join(killed, 'swept')));
    expect(trials.map((t) => basename(t))).toEqual(referenceTrials.map((t) => basename(t)));
    trials.forEach((trial, i) => expectSameRun(trial, referenceTrials[i]));
    expect(trials.some((t) => (manifestOf(t) as { resumes?: unknown[] } | null)?.resumes !== undefined)).toBe(true);
  }, 120_000);
});

describe('checkpoints that cannot be resumed from', () => {
  const { config, out } = folderWith(STATEFUL.replace('epochs: 12', 'max_steps: 10'));
  let run: string;
  let other: string;

  beforeAll(async () => {
    expect((await runCli('train', config, '--out', join(out, 'a'), '-q')).code).toBe(0);
    expect((await runCli('train', config, '--out', join(out, 'b'), '-q', '--set', 'model.layers.0.linear=4')).code).toBe(0);
    run = onlyFolder(join(out, 'a', 'resumed'));
    other = onlyFolder(join(out, 'b', 'resumed'));
  }, 60_000);

  /** A copy of the run with `damage` done to it. */
  function damaged(name: string, damage: (dir: string) => void): string {
    const dir = join(out, 'damaged', name, basename(run));
    cpSync(run, dir, { recursive: true });
    damage(dir);
    return dir;
  }

  it.each([
    ['a truncated file', 'optimizer.safetensors', (dir: string) => truncateSync(join(dir, 'checkpoint', 'optimizer.safetensors'), 100)],
    ['a missing file', 'model.safetensors', (dir: string) => rmSync(join(dir, 'checkpoint', 'model.safetensors'))],
    ['a truncated state', 'state.json', (dir: string) => truncateSync(join(dir, 'checkpoint', 'state.json'), 40)],
    ['wrong shapes', 'model.safetensors', (dir: string) => copyFileSync(join(other, 'checkpoint', 'model.safetensors'), join(dir, 'checkpoint', 'model.safetensors'))],
    ["another run's", 'state.json', (dir: string) => cpSync(join(other, 'checkpoint'), join(dir, 'checkpoint'), { recursive: true })],
  ])('%s: exit 2 naming %s, and --restart starts the run over', async (name, file, damage) => {
    const dir = damaged(name.replace(/\W+/g, '-'), damage);
    const refused = await runCli('train', '--resume', dir, '-q');
    expectCleanFailure(refused, 2, new RegExp(`checkpoint/${file.replace('.', '\\.')}`));
    const restarted = await runCli('train', '--resume', dir, '--restart', '-q');
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8').trim().split('\n')).toHaveLength(11);
    expect(withoutSeconds(join(dir, 'steps.csv'))).toBe(withoutSeconds(join(run, 'steps.csv')));
  });

  it('refuses a resume whose config differs, saying what differs', async () => {
    const dir = damaged('config', () => {});
    const refused = await runCli('train', '--resume', dir, '-q', '--set', 'optimizer.lr=0.5');
    expectCleanFailure(refused, 2, /state\.json: was taken with another config: optimizer\.lr is 0\.01 there, 0\.5 here/);
  });

  it('refuses a resume on another engine build (kernel), saying which', async () => {
    const dir = damaged('engine', (d) => {
      const file = join(d, 'checkpoint', 'state.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"kernel": "[^"]*"/, '"kernel": "another-kernel"'));
    });
    const refused = await runCli('train', '--resume', dir, '-q');
    expectCleanFailure(refused, 2, /another engine build \(kernel another-kernel there, [\w-]+ here\)/);
  });

  it('refuses to resume a run whose process is still alive', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const dir = damaged('live', (d) => {
        const file = join(d, 'manifest.json');
        writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'running', host: hostname(), pid: sleeper.pid }));
      });
      expectCleanFailure(await runCli('train', '--resume', dir, '-q'), 2, new RegExp(`manifest\\.json: says the run is still running \\(process ${sleeper.pid} on this host\\)`));
    } finally {
      sleeper.kill();
    }
  });

  it('refuses a folder that is not a run, and --restart without --resume', async () => {
    expectCleanFailure(await runCli('train', '--resume', out, '-q'), 2, /not a run folder/);
    expectCleanFailure(await runCli('train', config, '--restart', '-q'), 2, /--restart goes with --resume/);
  });
});
