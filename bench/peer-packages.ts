/**
 * TensorFlow.js (about 300 MB) lives in bench/peers/'s own package.json, so that the project's
 * install stays small: `npm run bench` installs it there on first use, from its lock file.
 * `--ignore-scripts`: the only install script among those packages is core-js's postinstall,
 * which prints a funding banner and installs nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PEERS_FOLDER = 'bench/peers';

/** Whether the TF.js peer's packages are (now) installed; says what it installs, and why it failed. */
export function ensurePeerPackages(notes: string[]): boolean {
  if (existsSync(join(PEERS_FOLDER, 'node_modules'))) return true;
  process.stderr.write(`Installing TensorFlow.js for the benchmark's TF.js peer: npm ci --prefix ${PEERS_FOLDER} (about 300 MB, once; rm -rf ${PEERS_FOLDER}/node_modules removes it)\n`);
  try {
    execFileSync('npm', ['ci', '--prefix', PEERS_FOLDER, '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
    return true;
  } catch (error) {
    notes.push(`TF.js skipped: npm ci --prefix ${PEERS_FOLDER} failed (${(error as Error).message.split('\n')[0]})`);
    return false;
  }
}
