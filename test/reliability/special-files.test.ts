/**
 * Special files wherever adam-lab reads a path: a FIFO no one writes to, a device, a socket or a
 * directory given as the config, the baseline, a data or weights file, or found in a sweep folder
 * in place of sweep.json, tuned.json, a manifest, a run's CSV or a claim, never blocks. Each ends
 * in exit 2 naming the file, within seconds (a pipe is given up after PIPE_SILENCE_MS of silence),
 * while a pipe that has a writer, such as bash's `<(cat exp.yaml)`, is read as the file it stands for.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPE_SILENCE_MS } from '../../src/core/read-file.js';
import { BIN, tempDir, type CliResult } from '../cli/run-cli.js';
import { CliDriver, expectCleanFailure, onlyFolder } from './harness.js';

const world = tempDir();
const out = join(world, 'runs');
const driver = new CliDriver(world);
/** Long enough for a silent pipe to be given up, short enough that a hang fails the test rather than stalls it. */
const DEADLINE_MS = PIPE_SILENCE_MS + 15_000;
const TOY = 'data: {dataset: synthetic, task: moons, n_train: 32, n_test: 16, batch_size: 16}\nmodel: {layers: [{linear: 4}, tanh, {linear: 2}]}\ntrain: {epochs: 1}\n';
const config = join(world, 'exp.yaml');
writeFileSync(config, `name: special\n${TOY}`);

function fifo(name: string): string {
  const file = join(world, name);
  rmSync(file, { force: true, recursive: true });
  execFileSync('mkfifo', [file]);
  return file;
}

let server: Server;
const socket = join(world, 'listening.sock');
beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(() => {
  driver.stop();
  server.close();
});

/** `adam-lab <args>` run by bash, so that `<(...)` in the arguments is a real pipe with a writer. */
function inBash(args: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `exec "${process.execPath}" "${BIN}" ${args}`], { cwd: world, timeout: DEADLINE_MS, env: { ...process.env, CI: '1' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== 'number') reject(new Error(`bash -c ${args}: ${String(error)} (a hang?)\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Runs and expects exit 2 with a first line naming `file`; fails as a hang past the deadline. */
async function expectRefused(args: string[], file: string, problem: RegExp): Promise<void> {
  const began = performance.now();
  const result = await driver.run(args, DEADLINE_MS);
  expectCleanFailure(result, 2);
  const first = result.stderr.split('\n')[0];
  expect(first, result.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+:\\d+)?: `));
  expect(first.slice(first.indexOf(': ') + 2), result.stderr).toMatch(problem);
  expect(performance.now() - began).toBeLessThan(DEADLINE_MS);
}

const SILENT = /^is a pipe and nothing was written to it for \d+ s/;
const DEVICE = /^is a character device, not a regular file/;
const SOCKET = /^is a socket/;

describe('the config', () => {
  it('a FIFO without a writer: exit 2 once it has been silent for PIPE_SILENCE_MS, for validate and train', async () => {
    const file = fifo('silent.yaml');
    await expectRefused(['validate', file], file, SILENT);
    await expectRefused(['train', file, '--out', out, '--quiet'], file, SILENT);
  }, 3 * DEADLINE_MS);

  it('/dev/zero, /dev/null, a socket and a directory: exit 2 at once', async () => {
    for (const [file, problem] of [
      ['/dev/zero', DEVICE],
      ['/dev/null', DEVICE],
      [socket, SOCKET],
      [world, /^is a directory, expected a YAML file/],
    ] as const) {
      await expectRefused(['validate', file], file, problem);
    }
  });

  it('a pipe with a writer is read: `<(cat exp.yaml)` validates and trains, and a FIFO whose writer comes late validates', async () => {
    const validated = await inBash(`validate <(cat "${config}")`);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toMatch(/valid/);
    const trained = await inBash(`train <(cat "${config}") --out "${out}" --quiet`);
    expect(trained.code, trained.stderr).toBe(0);
    const late = fifo('late.yaml');
    const writer = execFile('bash', ['-c', `sleep 1; cat "${config}" > "${late}"`]);
    const result = await driver.run(['validate', late], DEADLINE_MS);
    writer.kill();
    expect(result.code, result.stderr).toBe(0);
  }, 3 * DEADLINE_MS);

  it('a pipe that never ends is refused at the size limit: `<(yes)`', async () => {
    const result = await inBash('validate <(yes)');
    expectCleanFailure(result, 2, /^\/dev\/fd\/\d+: is larger than 1048576 bytes, the limit for a config/);
  }, DEADLINE_MS);
});

describe('the baseline of check --baseline', () => {
  it('a FIFO without a writer, a device and a socket: exit 2 before anything trains', async () => {
    const file = fifo('baseline.json');
    for (const [path, problem] of [
      [file, SILENT],
      ['/dev/zero', DEVICE],
      [socket, SOCKET],
    ] as const) {
      await expectRefused(['check', config, '--baseline', path, '--out', out, '--quiet'], path, problem);
    }
  }, 2 * DEADLINE_MS);
});

describe('data and weights a config names', () => {
  it('a FIFO, a device or a socket as a CSV file or model.init.from: exit 2 at once', async () => {
    const pipe = fifo('train.csv');
    for (const path of [pipe, '/dev/zero', socket]) {
      const csv = join(world, 'csv.yaml');
      writeFileSync(csv, `name: csv\ndata: {dataset: csv, csv: {train: ${path}, label: y}}\nmodel: {layers: [{linear: 2}]}\n`);
      await expectRefused(['validate', csv], path, /^is not a regular file \(a device, pipe or socket\)/);
      const init = join(world, 'init.yaml');
      writeFileSync(init, `name: init\n${TOY}`.replace('model: {layers: [{linear: 4}, tanh, {linear: 2}]}', `model: {layers: [{linear: 2}], init: {from: ${path}}}`));
      await expectRefused(['validate', init], path, /^is not a regular file \(model\.init\.from\)/);
    }
  });
});

describe('files of a sweep folder', () => {
  /** A finished sweep of two trials, made once; each case swaps one file for a FIFO and puts it back. */
  let dir = '';
  beforeAll(async () => {
    const file = join(world, 'sweep.yaml');
    writeFileSync(file, `name: swept\n${TOY}sweep: {grid: {optimizer.lr: [0.1, 0.01]}}\n`);
    const result = await driver.run(['sweep', file, '--out', out, '--quiet'], DEADLINE_MS);
    expect(result.code, result.stderr).toBe(0);
    dir = onlyFolder(join(out, 'swept'));
  }, DEADLINE_MS);

  async function withFifoAt(path: string, attempt: () => Promise<void>): Promise<void> {
    const original = readFileSync(path);
    renameSync(path, `${path}.kept`);
    execFileSync('mkfifo', [path]);
    try {
      await attempt();
    } finally {
      rmSync(path);
      renameSync(`${path}.kept`, path);
      writeFileSync(path, original);
    }
  }

  it('sweep.json as a FIFO: sweep --resume, report, merge and the same sweep again refuse it, exit 2', async () => {
    const file = join(dir, 'sweep.json');
    await withFifoAt(file, async () => {
      for (const args of [['sweep', '--resume', dir, '--quiet'], ['report', dir], ['merge', dir, '--out', join(world, 'merged')], ['sweep', join(world, 'sweep.yaml'), '--out', out, '--quiet']]) {
        await expectRefused(args, file, /^is a pipe, not a regular file/);
      }
    });
  }, 4 * DEADLINE_MS);

  it('a trial manifest, its steps.csv or epochs.csv as a FIFO: report refuses it, exit 2', async () => {
    const trial = join(dir, 'trials', readdirSync(join(dir, 'trials')).filter((name) => !name.includes('.claim.'))[0]);
    for (const name of ['manifest.json', 'steps.csv', 'epochs.csv']) {
      const file = join(trial, name);
      await withFifoAt(file, () => expectRefused(['report', dir], file, /^is a pipe, not a regular file/));
    }
  }, 3 * DEADLINE_MS);

  it('a FIFO among the files of a finished trial: merge refuses it by name, exit 2, before copying that trial', async () => {
    const trial = join(dir, 'trials', readdirSync(join(dir, 'trials')).filter((name) => !name.includes('.claim.'))[0]);
    const pipe = join(trial, 'extra.fifo');
    execFileSync('mkfifo', [pipe]);
    try {
      await expectRefused(['merge', dir, '--out', join(world, 'merged-fifo')], pipe, /^is a pipe, not a regular file/);
    } finally {
      rmSync(pipe);
    }
  }, DEADLINE_MS);

  it('a claim file as a FIFO is judged by its age, not read: sweep --resume does not block', async () => {
    const trials = join(dir, 'trials');
    const trial = readdirSync(trials).filter((name) => !name.includes('.claim.'))[0];
    rmSync(join(trials, trial, 'manifest.json')); // unfinished, so that the resumed sweep claims it
    const claim = join(trials, `${trial}.claim.99`);
    execFileSync('mkfifo', [claim]);
    // A fresh claim reads as a live holder elsewhere, which the sweep waits for: --wait-held 1 keeps that wait short.
    const result = await driver.run(['sweep', '--resume', dir, '--quiet', '--wait-held', '1'], DEADLINE_MS);
    rmSync(claim);
    expect(result.stderr).not.toMatch(/internal error/);
  }, DEADLINE_MS);
});
