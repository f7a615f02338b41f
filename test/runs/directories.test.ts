import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../../src/core/errors.js';
import { makeDirectories } from '../../src/runs/directories.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

const TOY = 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 16}\nmodel: {layers: [{linear: 2}]}\ntrain: {epochs: 1}\n';

describe('output folders', () => {
  it('makes every missing level, and accepts folders that exist', () => {
    const root = tempDir();
    const deep = join(root, 'a', 'b', 'c');
    makeDirectories(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirectories(deep)).not.toThrow();
  });

  it.skipIf(!existsSync('/proc/self'))('fails under /proc instead of looping for ever (Node’s recursive mkdir does not return there)', () => {
    expect(() => makeDirectories('/proc/adam-lab-test/runs')).toThrow(OutputError);
    expect(() => makeDirectories('/proc/adam-lab-test/runs')).toThrow('this file system takes no new folders here');
  });

  it('refuses a runs root that is a file before anything runs: exit 2, naming --out', async () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    const config = writeConfig(`${TOY}seeds: [0, 1]\nsweep: {grid: {optimizer.lr: [0.1, 0.01]}}\n`);
    for (const command of ['train', 'sweep']) {
      const result = await runCli(command, config, '--out', file, '--quiet');
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toBe(`error: option '-o, --out <dir>' argument '${file}' is invalid. ${file} is not a directory\n`);
    }
  });
});
