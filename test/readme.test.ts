/**
 * Every command README.md prints runs as printed: the lines of its ```sh blocks and its inline
 * `npx adam-lab …` commands, in the order they appear, from a scratch folder laid out as a fresh
 * clone after `npm install` (links to the built package, its dependencies and the shipped
 * configs), must exit 0. A command with a <placeholder> is a pattern, not a command, and is not
 * run; the few that need what a test cannot have are listed in NOT_HERE with the reason.
 *
 * `npx adam-lab` is run as `node <clone>/bin/adam-lab.js`, which is what npx resolves to inside
 * the clone (from a scratch folder npx would look the name up in the registry instead).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Commands a test cannot run, with why: each is run by hand or by CI itself. */
const NOT_HERE: readonly [RegExp, string][] = [
  [/^npm (install && npm )?test\b/, 'the test suite itself (CI runs it)'],
  [/^npm run bench\b/, 'the benchmark takes minutes and needs PyTorch (run by hand)'],
  [/^(SHARD=\S+ )?sbatch\b/, 'needs a Slurm cluster (examples/slurm/README.md has a one-node test)'],
  [/^npx adam-lab train configs\/charlm-lstm\.yaml$/, 'trains for an hour or more on 2 cores; test/cli/charlm.test.ts trains and samples a small character model'],
  [/^npx adam-lab compare configs\/fair-compare-charlm\.yaml$/, '72 Transformer runs, hours on 2 cores; a reduced run is in the README with its figures'],
  [/^npx adam-lab compare configs\/fair-compare-modern\.yaml configs\/fair-compare-modern-cnn\.yaml --protocol tuned$/, '23 variants × 13 trials × 2 workloads, hours on 2 cores; a reduced run is in the README with its figures'],
  [/^npx adam-lab compare configs\/finetune-fashion\.yaml\b/, "needs the Fashion-MNIST files (Debian's dataset-fashion-mnist, datasets/README.md); test/cli/init-subset.test.ts resolves its every variant"],
];

/** The README's commands in order: sh-block lines, then inline `npx adam-lab …` spans, by position. */
function readmeCommands(text: string): { command: string; at: number }[] {
  const found: { command: string; at: number }[] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    let offset = block.index + block[0].indexOf('\n') + 1;
    for (const line of block[1].split('\n')) {
      if (line.trim() !== '' && !line.trimStart().startsWith('#')) found.push({ command: line.trim(), at: offset });
      offset += line.length + 1;
    }
  }
  const inBlocks = [...text.matchAll(/^```[\s\S]*?^```/gm)].map((m) => [m.index, m.index + m[0].length]);
  for (const span of text.matchAll(/`(npx adam-lab [^`]+)`/g)) {
    if (!inBlocks.some(([from, to]) => span.index >= from && span.index < to)) found.push({ command: span[1], at: span.index });
  }
  return found.sort((a, b) => a.at - b.at);
}

function lineOf(at: number): number {
  return README.slice(0, at).split('\n').length;
}

/** A scratch folder that looks like the clone after `npm install`, where runs/ and baselines/ land. */
function scratchClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'adam-lab-readme-'));
  for (const entry of ['bin', 'dist', 'node_modules', 'package.json', 'configs', 'examples']) symlinkSync(join(ROOT, entry), join(dir, entry));
  return dir;
}

const commands = readmeCommands(README);
const scratch = scratchClone();

describe('README.md', () => {
  it('prints commands, and every one is run or skipped for a stated reason', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  for (const { command, at } of commands) {
    const skip = NOT_HERE.find(([pattern]) => pattern.test(command));
    const pattern = /<[a-z -]+>/.test(command);
    it.skipIf(skip !== undefined || pattern)(`line ${lineOf(at)}: ${command}`, () => {
      const shell = command.replace(/^npm install && /, '').replaceAll('npx adam-lab', `node ${join(ROOT, 'bin/adam-lab.js')}`);
      const result = spawnSync('bash', ['-c', shell], { cwd: scratch, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 15 * 60_000 });
      expect(result.status, `${command}\n${result.stderr.slice(-2000)}`).toBe(0);
    }, 16 * 60_000);
  }
});
