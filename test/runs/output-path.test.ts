/**
 * Output paths a user names (--save, --junit, merge --out) are checked before anything trains:
 * a missing folder is made, a folder given for a file, a file below a file, or a path inside what
 * the command reads is refused at once (exit 2, naming the path), with nothing run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputPathError } from '../../src/core/errors.js';
import { prepareOutputDirectory, prepareOutputFile } from '../../src/runs/output-path.js';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

const TOY = `name: toy-out
seeds: [0, 1]
data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32}
model: {layers: [{linear: 4}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.3}
train: {epochs: 1}
expect: {no_divergence: true}
`;

describe('prepareOutputFile and prepareOutputDirectory', () => {
  it('make the missing folders of a file or a folder, and accept what exists', () => {
    const root = tempDir();
    prepareOutputFile(join(root, 'a', 'b', 'x.json'));
    expect(existsSync(join(root, 'a', 'b'))).toBe(true);
    expect(existsSync(join(root, 'a', 'b', 'x.json')), 'the file itself is not made').toBe(false);
    prepareOutputDirectory(join(root, 'c', 'd'));
    expect(existsSync(join(root, 'c', 'd'))).toBe(true);
    writeFileSync(join(root, 'old.json'), '{}');
    expect(() => prepareOutputFile(join(root, 'old.json'))).not.toThrow();
  });

  it('refuse a folder as a file, a file as a folder and a file below a file', () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'x');
    expect(() => prepareOutputFile(root)).toThrow(new OutputPathError(root, 'is a directory, not a file: name the file to write'));
    expect(() => prepareOutputDirectory(join(root, 'file'))).toThrow(OutputPathError);
    expect(() => prepareOutputFile(join(root, 'file', 'x.json'))).toThrow(`cannot be written: ${join(root, 'file')} is a file, not a folder`);
    expect(existsSync(join(root, 'file', 'x.json'))).toBe(false);
  });

  it('refuse a FIFO (it would be replaced, or block a writer)', () => {
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(() => prepareOutputFile(fifo)).toThrow('is a pipe: name a regular file to write');
  });

  it('refuse an input of the command, or a path inside one, however it is spelt', () => {
    const root = tempDir();
    const source = join(root, 'shard');
    mkdirSync(source);
    symlinkSync(source, join(root, 'link'));
    expect(() => prepareOutputDirectory(join(source, 'merged'), { inputs: [source] })).toThrow(`is inside ${source}, an input of this command`);
    expect(() => prepareOutputDirectory(join(root, 'link', 'x', '..'), { inputs: [source] })).toThrow('is an input of this command');
    expect(() => prepareOutputFile(join(root, 'link', 'a', 'b.xml'), { inputs: [source] })).toThrow(OutputPathError);
    expect(existsSync(join(source, 'a')), 'nothing is made inside the input').toBe(false);
    expect(() => prepareOutputDirectory(join(root, 'elsewhere'), { inputs: [source] })).not.toThrow();
  });
});

describe('outputs are checked before anything trains', () => {
  it('baseline --save into a folder that does not exist yet makes it (as in a fresh clone)', async () => {
    const config = writeConfig(TOY);
    const root = tempDir();
    const save = join(root, 'baselines', 'toy.json');
    const result = await runCli('baseline', config, '--save', save, '--out', join(root, 'runs'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(save, 'utf8')).format).toBe('adam-lab-baseline');
  });

  it('check --junit <a folder>, baseline --save <a folder>, --save below a file, --save onto the config: exit 2 at once, nothing run', async () => {
    const config = writeConfig(TOY);
    const root = tempDir();
    const runs = join(root, 'runs');
    writeFileSync(join(root, 'file'), 'x');
    const cases: [string[], string, RegExp][] = [
      [['check', config, '--junit', root], root, /^is a directory, not a file/],
      [['baseline', config, '--save', root], root, /^is a directory, not a file/],
      [['baseline', config, '--save', join(root, 'file', 'b.json')], join(root, 'file', 'b.json'), /^cannot be written: .*file is a file, not a folder$/],
      [['baseline', config, '--save', config], config, /^is an input of this command/],
      [['check', config, '--junit', config], config, /^is an input of this command/],
    ];
    for (const [args, path, problem] of cases) {
      const result = await runCli(...args, '--out', runs, '--quiet');
      expect(result.code, args.join(' ')).toBe(2);
      const first = result.stderr.split('\n')[0];
      expect(first.startsWith(`${path}: `), result.stderr).toBe(true);
      expect(first.slice(path.length + 2)).toMatch(problem);
    }
    expect(existsSync(runs), 'no seed was trained').toBe(false);
    expect(readFileSync(config, 'utf8')).toBe(TOY);
  });
});

describe('merge --out', () => {
  it('inside one of its sources, or the source itself: exit 2, the source untouched', async () => {
    const config = writeConfig(`${TOY}sweep: {grid: {optimizer.lr: [0.1, 0.3]}}\n`);
    const runs = tempDir();
    expect((await runCli('sweep', config, '--out', runs, '--quiet')).code).toBe(0);
    const [folder] = readdirSync(join(runs, 'toy-out'));
    const source = join(runs, 'toy-out', folder);
    const before = readdirSync(source, { recursive: true }).sort();
    for (const out of [join(source, 'trials', 'merged'), source, join(source, 'x', '..')]) {
      const result = await runCli('merge', source, '--out', out);
      expect(result.code, out).toBe(2);
      expect(result.stderr).toMatch(/^.*: is (inside .*, )?an input of this command/);
    }
    expect(readdirSync(source, { recursive: true }).sort()).toEqual(before);
  });
});
