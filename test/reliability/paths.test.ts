/**
 * Paths: run names, sweep values, compare variants and --set/--grid values holding '..', '/',
 * NUL or absolute paths can never place output outside the runs root; a damaged or forged
 * sweep.json cannot either; and the data and weights a config names are read relative to the
 * config file (not the working directory) and reported by their resolved path.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/engine/safetensors.js';
import { recordedExpansion, sweepId } from '../../src/runs/sweep-dir.js';
import { tempDir } from '../cli/run-cli.js';
import { CliDriver, escapeWatch, expectCleanFailure, onlyFolder } from './harness.js';

const world = tempDir();
const cwd = join(world, 'elsewhere');
const cfgDir = join(world, 'cfg');
const out = join(world, 'runs');
const victim = join(world, 'victim');
mkdirSync(cwd);
mkdirSync(cfgDir);
mkdirSync(victim);
writeFileSync(join(victim, 'precious.txt'), 'keep me\n');
writeFileSync(join(cwd, 'train.csv'), 'this is not the file: relative paths are not read from the working directory\n');
const driver = new CliDriver(cwd); // relative paths must not be read from here
afterAll(() => {
  driver.stop();
  console.info(`paths: ${HOSTILE.length} hostile names × 6 places to put them, ${driver.answered} commands, none wrote outside the runs root`);
});

const TOY = `data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32}
model: {layers: [{linear: 4}, tanh, {linear: 2}]}
train: {epochs: 1}
`;

// the world holds the parent of --out, the working directory and the victim; the test writes the configs
const outside = escapeWatch([world], [out, cfgDir]);
beforeEach(() => {
  outside.changes();
});
/** Nothing appeared outside the runs root (and the configs' folder), here or in /tmp under a name `said` holds. */
function expectNothingOutside(said = ''): void {
  expect(outside.changes(said)).toEqual([]);
  expect(readFileSync(join(victim, 'precious.txt'), 'utf8')).toBe('keep me\n');
}

function config(text: string, name = 'exp.yaml'): string {
  const file = join(cfgDir, name);
  writeFileSync(file, text);
  return file;
}

const HOSTILE = ['..', '../escape', '../../victim', '/tmp/adam-lab-escape', 'a/b', 'a\u0000b', '.', '.hidden', 'x'.repeat(200), 'é', '~', ''];

describe('names and values that look like paths', () => {
  it.each(HOSTILE)('name: %j in the file, in --set, as a sweep value and a compare variant: exit 2, nothing written', async (name) => {
    const quoted = JSON.stringify(name);
    const cases: [string, string[], RegExp][] = [
      [`name: ${quoted}\n${TOY}`, ['train'], /exp\.yaml:1:7 name: /],
      [`name: ok\n${TOY}`, ['train', '--set', `name=${quoted}`], /^--set name=.* name: /m],
      [`name: ok\n${TOY}sweep: {grid: {name: [ok2, ${quoted}]}}\n`, ['sweep'], /exp\.yaml:5:\d+ name: .*\(sweep\.grid\)/],
      [`name: ok\n${TOY}sweep: {random: {trials: 3, space: {name: {choice: [${quoted}]}}}}\n`, ['sweep'], /name: .*\(sweep\.random\)/],
      [`name: ok\n${TOY}compare: {${quoted}: {optimizer: {name: sgd}}}\n`, ['compare'], /exp\.yaml:5:\d+ compare/],
      [`name: ok\n${TOY}`, ['sweep', '--grid', `name=ok2,${name}`], /--grid name=|name: /],
    ];
    for (const [text, [command, ...flags], message] of cases) {
      const file = config(text);
      const result = await driver.run([command, file, '--out', out, ...flags]);
      // an empty variant name is an empty key: refused, or nothing to name; either way nothing escapes
      if (name !== '' || command !== 'compare') expectCleanFailure(result, 2, message);
      expectNothingOutside(`${text} ${flags.join(' ')}`);
    }
  });

  it('config file names of any shape give a safe run name under the runs root', async () => {
    for (const name of ['..yaml', '...yaml', '-rf.yaml', 'a b.yaml', 'é.yaml', '.hidden.yaml', `${'x'.repeat(200)}.yaml`]) {
      const result = await driver.run(['train', config(TOY, name), '--out', out, '--quiet']);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(`results in ${out}/`);
      expectNothingOutside(name);
    }
  });
});

describe('a damaged or forged sweep.json', () => {
  it('--resume, report and merge refuse trial ids that are not trial ids: exit 2, the victim untouched', async () => {
    const file = config(`name: forged\nseeds: [0, 1]\n${TOY}sweep: {grid: {optimizer.lr: [0.1]}}\n`);
    expect((await driver.run(['sweep', file, '--out', out, '--quiet'])).code).toBe(0);
    const dir = onlyFolder(join(out, 'forged'));
    const manifest = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
    for (const id of ['../../../../victim', victim, 'a/../../b', '0123456789a/']) {
      manifest.trials[0].id = id;
      manifest.id = sweepId(recordedExpansion(manifest));
      writeFileSync(join(dir, 'sweep.json'), JSON.stringify(manifest));
      for (const args of [['sweep', '--resume', dir], ['report', dir], ['merge', dir, '--out', join(out, 'merged')]]) {
        const result = await driver.run(args);
        expectCleanFailure(result, 2, /sweep\.json: is damaged: trials\.0\.id: is not a trial id/);
        expectNothingOutside(id);
      }
    }
    writeFileSync(join(dir, 'sweep.json'), '{"kind": "sweep", "trials": 3}');
    expectCleanFailure(await driver.run(['report', dir]), 2, /sweep\.json: is damaged: /);
  });
});

describe('paths a config names', () => {
  it('are read from the config file’s folder, not the working directory, and reported resolved', async () => {
    mkdirSync(join(cfgDir, 'data'), { recursive: true });
    writeFileSync(join(cfgDir, 'data', 'train.csv'), 'a,b,label\n0,1,0\n1,0,1\n1,1,0\n0,0,1\n');
    const csv = config('name: rel\ndata: {dataset: csv, csv: {train: data/train.csv, label: label}, batch_size: 2}\nmodel: {layers: [{linear: 2}]}\n');
    expect((await driver.run(['train', csv, '--out', out, '--quiet'])).code).toBe(0);
    // --set values are config values: relative to the config file as well
    const moved = await driver.run(['train', csv, '--out', out, '--quiet', '--set', 'data.csv.train=train.csv']);
    expectCleanFailure(moved, 2, new RegExp(`^${join(cfgDir, 'train.csv')}: file not found`));
    const weights = config('name: init\ndata: {dataset: synthetic, task: moons, n_train: 32, n_test: 16}\nmodel: {layers: [{linear: 2}], init: {from: w/start.safetensors}}\n');
    expectCleanFailure(await driver.run(['validate', weights]), 2, new RegExp(`model\\.init\\.from: .*${join(cfgDir, 'w', 'start.safetensors')}|^${join(cfgDir, 'w', 'start.safetensors')}: weights file not found`, 'm'));
    mkdirSync(join(cfgDir, 'w'));
    writeFileSync(join(cfgDir, 'w', 'start.safetensors'), encodeSafetensors([{ name: '0.weight', shape: [2, 2], data: new Float32Array(4) }, { name: '0.bias', shape: [2], data: new Float32Array(2) }]));
    expect((await driver.run(['validate', weights])).code).toBe(0);
    const images = config('name: img\ndata: {dataset: fashion-mnist, path: ../nowhere}\nmodel: {layers: [{linear: 10}]}\n');
    expectCleanFailure(await driver.run(['train', images, '--out', out]), 2, new RegExp(`^${join(world, 'nowhere', 'train-images-idx3-ubyte')}: file not found`));
    expectNothingOutside();
  });
});
