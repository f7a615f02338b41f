/**
 * What the reliability suite shares: adam-lab as a child process (with faults injected, as
 * another user, or as a long-lived driver for fuzzing), fixture files, and the checks every
 * attack ends with — a clean message, intact files, nothing written outside the runs root.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, expect } from 'vitest';
import { MNIST_FILES } from '../../src/data/mnist.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { spawnBuiltCli, tempDir, type CliResult, type SpawnOptions as CliSpawnOptions, type SpawnResult } from '../cli/run-cli.js';

const DRIVER = new URL('./driver.mjs', import.meta.url).pathname;
const FAULTS = new URL('./fault-injection.mjs', import.meta.url).pathname;

export type { SpawnResult } from '../cli/run-cli.js';

export interface SpawnOptions extends Omit<CliSpawnOptions, 'nodeFlags' | 'env'> {
  /** ADAM_LAB_FAULTS for fault-injection.mjs (loaded only when given). */
  readonly faults?: object;
}

/** Runs bin/adam-lab.js as its own process (spawnBuiltCli), with faults injected when asked. */
export function spawnAdamLab(args: readonly string[], { faults, ...options }: SpawnOptions = {}): Promise<SpawnResult> {
  if (faults === undefined) return spawnBuiltCli(args, options);
  return spawnBuiltCli(args, { ...options, nodeFlags: ['--import', FAULTS], env: { ADAM_LAB_FAULTS: JSON.stringify(faults) } });
}

/** A driver's answer: the CLI's result and the prototype members the request polluted (driver.mjs). */
export interface DriverResult extends CliResult {
  readonly polluted: readonly string[];
}

/**
 * adam-lab's main() in a long-lived child process (driver.mjs), one request at a time. A request
 * that gets no answer within its deadline is a hang: the process is killed (and restarted for
 * the next request) and the request fails; a process that dies mid-request is a crash.
 */
export class CliDriver {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffered = '';
  private errors = '';
  private waiting: { resolve: (r: DriverResult) => void; reject: (e: Error) => void } | null = null;
  /** Requests answered, for the suite's figures. */
  answered = 0;

  constructor(readonly cwd: string) {}

  run(args: readonly string[], timeoutMs = 30_000): Promise<DriverResult> {
    const child = this.start();
    return new Promise<DriverResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        // answered once the process is gone, so that nothing it still writes lands in the next request
        child.once('exit', () => reject(new Error(`adam-lab ${args.join(' ')}: no answer within ${timeoutMs} ms (a hang)`)));
        this.waiting = null;
        this.stop();
      }, timeoutMs);
      this.waiting = {
        resolve: (result) => {
          clearTimeout(timer);
          this.answered++;
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      child.stdin.write(`${JSON.stringify({ args })}\n`);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child !== null) return this.child;
    const child = spawn(process.execPath, [DRIVER], { cwd: this.cwd, env: { ...process.env, CI: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.buffered = '';
    this.errors = '';
    // decoded as a stream, so a character split between two chunks stays whole
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        const waiting = this.waiting;
        this.waiting = null;
        waiting?.resolve(JSON.parse(line) as DriverResult);
      }
    });
    child.stderr.on('data', (chunk: string) => {
      this.errors += chunk;
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // stopped on purpose; a newer process serves the requests
      this.child = null;
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(new Error(`the adam-lab process died (exit ${code}, signal ${signal}): an error escaped main()\n${this.errors}`));
    });
    this.child = child;
    return child;
  }
}

/**
 * A fresh folder for runs that are killed and resumed many times. In memory (/dev/shm) where there
 * is one: every result is fsynced before it is renamed, which on a disk costs more than the
 * training here, and what a kill can leave behind is the same on tmpfs (the page cache outlives a
 * killed process; power loss is another matter, which no test here simulates). Memory is shared,
 * so the folders made there are removed when the test file is done.
 */
export function runsDir(): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
  } catch {
    return tempDir();
  }
  inMemory.push(mkdtempSync(join(shm, 'adam-lab-test-')));
  return inMemory[inMemory.length - 1];
}
const inMemory: string[] = [];
afterAll(() => inMemory.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The small problem the fault tests train: 256 samples in batches of 32 (8 steps an epoch), an MLP 2-8-2. */
export const TOY = `data: {dataset: synthetic, task: moons, n_train: 256, n_test: 128, batch_size: 32}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.1}
`;

/** A fresh folder (runsDir) holding the config exp.yaml; `out`, the runs root, is runs/ beside it. */
export function folderWith(text: string): { folder: string; config: string; out: string } {
  const folder = runsDir();
  const config = join(folder, 'exp.yaml');
  writeFileSync(config, text);
  return { folder, config, out: join(folder, 'runs') };
}

/** Every file below `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  return entriesUnder(dir, false);
}

/** Every file and folder below `dir` (folders with a trailing '/'), as paths relative to it. */
function entriesUnder(dir: string, folders = true): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => folders || !entry.isDirectory())
    .map((entry) => `${relative(dir, join(entry.parentPath, entry.name))}${entry.isDirectory() ? '/' : ''}`)
    .sort();
}

/** What adam-lab writes on the way to a result (atomic writes in flight, steps.csv.partial): never a result. */
const TEMPORARY = /\.tmp-|\.partial$/;

export function temporariesUnder(dir: string): string[] {
  return filesUnder(dir).filter((f) => TEMPORARY.test(f));
}

/** The most rows any steps.csv.partial below `dir` holds so far: the sign that training is under way. */
export function partialRows(dir: string): number {
  let most = 0;
  for (const file of filesUnder(dir).filter((f) => f.endsWith('steps.csv.partial'))) {
    try {
      most = Math.max(most, readFileSync(join(dir, file), 'utf8').split('\n').length - 2);
    } catch {
      // renamed to steps.csv meanwhile
    }
  }
  return most;
}

/**
 * Watches for writes that escape --out. `places` are searched whole (give the folders a test
 * owns: the parent of --out, the config's folder, the working directory); `allowed` are the
 * folders below them where output belongs. The top levels of /tmp and / are watched too, but
 * other processes share them, so there only a new entry named with a word of the config (a run
 * name, a sweep value, a path it holds) counts: an escape is named after what the config says.
 * `changes(text)` lists what appeared (+) or vanished (-) since the last look.
 */
export function escapeWatch(places: readonly string[], allowed: readonly string[]): { changes(text?: string): string[] } {
  const outside = (path: string): boolean => !allowed.some((root) => path === `${root}/` || path.startsWith(`${root}/`));
  const look = (): { own: Set<string>; shared: Set<string> } => ({
    own: new Set(places.flatMap((place) => entriesUnder(place).map((entry) => `${place}/${entry}`)).filter(outside)),
    shared: new Set(['/tmp', '/'].flatMap((dir) => readdirSync(dir).map((name) => join(dir, name)))),
  });
  let before = look();
  return {
    changes(text = '') {
      const now = look();
      const words = new Set(text.split(/[\s,:{}[\]"'`=/]+/).filter((word) => word.length > 1));
      const found = [
        ...[...now.own].filter((p) => !before.own.has(p)).map((p) => `+${p}`),
        ...[...before.own].filter((p) => !now.own.has(p)).map((p) => `-${p}`),
        ...[...now.shared].filter((p) => !before.shared.has(p) && (words.has(basename(p)) || text.includes(p))).map((p) => `+${p}`),
      ];
      before = now;
      return found;
    },
  };
}


/** A failure the way the contract wants it: the exit code, and words rather than a stack trace. */
export function expectCleanFailure(result: CliResult, code: number, message?: RegExp): void {
  const context = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  expect(result.code, context).toBe(code);
  expectNoStackTrace(result);
  if (message !== undefined) expect(result.stderr, context).toMatch(message);
}

export function expectNoStackTrace(result: CliResult, about = ''): void {
  const context = `${about}exit ${result.code}\nstderr: ${result.stderr}`;
  expect(result.stderr, context).not.toMatch(/^\s+at .+(:\d+:\d+\)?|\(native\))$/m);
  expect(result.stderr, context).not.toMatch(/internal error/);
}

/** CSV rows, parsed strictly: a torn row (fewer or more cells than the header) throws. */
export function strictCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(file, 'utf8'), { columns: true, relax_column_count: false }) as Record<string, string>[];
}

/**
 * The files of a finished run (completed or diverged) are whole: steps.csv has one complete row
 * per step 1..steps, epochs.csv parses, the weights decode. Returns the manifest.
 */
export function expectIntactRun(dir: string): { status: string; steps: number; diverged_at_step: number | null; started_at: string } {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const steps = strictCsv(join(dir, 'steps.csv'));
  expect(steps.map((row) => Number(row.step)), dir).toEqual(Array.from({ length: manifest.steps }, (_, i) => i + 1));
  strictCsv(join(dir, 'epochs.csv'));
  expect(() => decodeSafetensors(readFileSync(join(dir, 'model.safetensors')), dir)).not.toThrow();
  return manifest;
}

/**
 * A run folder however the process stopped. A manifest that claims an end (completed, diverged,
 * interrupted) comes with whole files (expectIntactRun) and no steps.csv.partial; otherwise the
 * run is not a result, and the steps it did write (steps.csv or steps.csv.partial) are complete
 * rows numbered from 1. Returns the manifest's status ('none' without one).
 */
export function expectConsistentRun(dir: string): string {
  const status = manifestOf(dir)?.status ?? 'none';
  if (status === 'completed' || status === 'diverged' || status === 'interrupted') {
    expectIntactRun(dir);
    expect(existsSync(join(dir, 'steps.csv.partial')), dir).toBe(false);
    return status;
  }
  for (const file of ['steps.csv', 'steps.csv.partial'].map((f) => join(dir, f)).filter(existsSync)) {
    const steps = strictCsv(file).map((row) => Number(row.step));
    expect(steps, file).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
  }
  return status;
}

/** The trial folders of a sweep, check or compare folder (claims and temporaries left out). */
export function trialFolders(dir: string): string[] {
  const trials = join(dir, 'trials');
  return existsSync(trials) ? readdirSync(trials).filter((t) => TRIAL_ID.test(t)).map((t) => join(trials, t)) : [];
}

const TRIAL_ID = /^[0-9a-f]{12}$/;

/** The manifest of a run folder, or null when it has none (yet). */
export function manifestOf(dir: string): { status: string; steps: number; diverged_at_step: number | null; started_at: string; error: string | null } | null {
  const file = join(dir, 'manifest.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** The one folder inside `dir` (a runs root's <name>/ holds one run or sweep folder in these tests). */
export function onlyFolder(dir: string): string {
  const entries = readdirSync(dir).filter((name) => name !== 'latest' && statSync(join(dir, name)).isDirectory());
  expect(entries, dir).toHaveLength(1);
  return join(dir, entries[0]);
}

// ---- fixtures ---------------------------------------------------------------------------------

/** An IDX file of unsigned bytes: 00 00 08 <rank>, big-endian u32 dims, then the elements. */
export function idxBytes(dims: readonly number[], element: (i: number) => number): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) out[4 + 4 * dims.length + i] = element(i);
  return out;
}

/** A small MNIST-shaped dataset (the four IDX files) in `dir`. */
export function writeMnistLike(dir: string, train = 64, test = 32): void {
  const pixel = (i: number): number => (i * 7 + Math.floor(i / 784) * 13) % 256;
  const label = (i: number): number => (i * 3 + 1) % 10;
  writeFileSync(join(dir, MNIST_FILES.trainImages), idxBytes([train, 28, 28], pixel));
  writeFileSync(join(dir, MNIST_FILES.trainLabels), idxBytes([train], label));
  writeFileSync(join(dir, MNIST_FILES.testImages), idxBytes([test, 28, 28], pixel));
  writeFileSync(join(dir, MNIST_FILES.testLabels), idxBytes([test], label));
}

export const CIFAR_RECORD = 3073;
export const CIFAR_NAMES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'] as const;

/** `count` CIFAR-10 binary records: a label byte 0–9, then 3072 pixel bytes. */
export function cifarRecords(count: number, first = 0): Uint8Array {
  const out = new Uint8Array(count * CIFAR_RECORD);
  for (let r = 0; r < count; r++) {
    out[r * CIFAR_RECORD] = (first + r) % 10;
    for (let p = 1; p < CIFAR_RECORD; p++) out[r * CIFAR_RECORD + p] = (p * 11 + r * 5) % 256;
  }
  return out;
}

/** A small CIFAR-10 binary dataset (six files) in `dir`. */
export function writeCifarLike(dir: string, perFile = 4): void {
  CIFAR_NAMES.forEach((name, i) => writeFileSync(join(dir, name), cifarRecords(perFile, i * perFile)));
}

/** A deterministic stream of numbers in [0, 1) (mulberry32), for choices the tests make. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
