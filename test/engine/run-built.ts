import { execFileSync } from 'node:child_process';

/** The built engine (npm test builds first), for the code that runBuilt runs to import. */
export const DIST = new URL('../../dist/src/', import.meta.url).href;

/**
 * Runs `code` as an ES module in a fresh Node.js started with `flags`, ADAM_LAB_KERNEL,
 * ADAM_LAB_THREADS and ADAM_LAB_SHARDS cleared unless `env` sets them (the kernel choice is made once per process,
 * kernels/choice.ts, so another one needs another process); returns its stdout, trimmed.
 */
export function runBuilt(code: string, env: Record<string, string> = {}, flags: readonly string[] = []): string {
  return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, ADAM_LAB_KERNEL: '', ADAM_LAB_THREADS: '', ADAM_LAB_SHARDS: '', ...env },
  }).trim();
}
