import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs the CLI in this process, as `adam-lab ...args`, capturing its output. */
export async function runCli(...args: string[]): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export const BIN = new URL('../../bin/adam-lab.js', import.meta.url).pathname;

const WATCH_MS = 20;

export interface SpawnOptions {
  readonly cwd?: string;
  /** Flags for node itself, before the CLI's path (e.g. --import <module>). */
  readonly nodeFlags?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** A command that runs the node process, e.g. ['setpriv', '--reuid=65534', ...]. */
  readonly wrapper?: readonly string[];
  /**
   * Sees the output as it grows, and is called every WATCH_MS besides (to look at files the
   * process writes); it may signal the process. The tests' only clock: they act on a sign of
   * progress, never after a sleep.
   */
  readonly watch?: (stdout: string, signal: (name: NodeJS.Signals) => void, stderr: string) => void;
  /** Kills the process (and fails the caller) when it takes longer: a hang. */
  readonly timeoutMs?: number;
}

export interface SpawnResult extends CliResult {
  /** The signal that ended the process, if one did (its code is then 128). */
  readonly signal: NodeJS.Signals | null;
}

/** Runs the built CLI (needs `npm run build`) as its own process; CI=1, so progress is printed as lines. */
export function spawnBuiltCli(args: readonly string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  const [command, ...rest] = [...(options.wrapper ?? []), process.execPath, ...(options.nodeFlags ?? []), BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { cwd: options.cwd, env: { ...process.env, CI: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // decoded as a stream, so a character split between two chunks stays whole
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    let stdout = '';
    let stderr = '';
    const look = (): void => options.watch?.(stdout, (name) => child.kill(name), stderr);
    const watching = options.watch === undefined ? null : setInterval(look, WATCH_MS);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`adam-lab ${args.join(' ')} did not finish within ${options.timeoutMs} ms (a hang)\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      look();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      look();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (watching !== null) clearInterval(watching);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
  });
}

/** spawnBuiltCli, with `onStdout` looking at the output as it grows (it may signal the process). */
export function spawnCli(args: string[], onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<CliResult> {
  return spawnBuiltCli(args, { watch: onStdout });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'adam-lab-test-'));
}

/** Writes a config file into a fresh temp folder and returns its path. */
export function writeConfig(text: string, name = 'exp.yaml'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}
