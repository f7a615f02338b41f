/**
 * Concurrency: two sweeps of the same config started at once on the same runs root (as shards on
 * a shared file system are) run each trial exactly once between them, and when both have ended
 * the summary is complete, whichever of them rewrote it last.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectIntactRun, folderWith, onlyFolder, spawnAdamLab, strictCsv, TOY, trialFolders } from './harness.js';

const ROUNDS = 3;
const TRIALS = 8;
const splits: string[] = [];
afterAll(() => console.info(`concurrency: ${ROUNDS} rounds of two sweeps of ${TRIALS} trials started at once; trials run by each process: ${splits.join(', ')}`));

describe('two sweeps of one config started at once', () => {
  it(`run every trial once and leave a complete summary (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { config, out } = folderWith(`name: twice\nseeds: [0, 1]\n${TOY}train: {epochs: ${1 + round}}\nsweep: {grid: {optimizer.lr: [0.05, 0.1, 0.2, 0.5]}}\n`);
      const both = await Promise.all([0, 1].map(() => spawnAdamLab(['sweep', config, '--out', out, '--jobs', '2'])));
      for (const result of both) expect(result.code, result.stderr).toBe(0);
      // each process prints "[k/n] <group> seed <s> (<trial id>) ..." for the trials it ran itself
      const ranBy = both.map((result) => [...result.stdout.matchAll(/^\[\d+\/\d+\] .* \(([0-9a-f]{12})\) /gm)].map((m) => m[1]));
      splits.push(ranBy.map((ran) => ran.length).join('+'));
      const ran = ranBy.flat();
      const dir = onlyFolder(join(out, 'twice'));
      const rows = strictCsv(join(dir, 'summary.csv'));
      expect(rows).toHaveLength(TRIALS);
      expect([...ran].sort(), 'every trial ran once, in one of the two processes').toEqual(rows.map((r) => r.trial).sort());
      expect(rows.map((r) => r.status)).toEqual(Array(TRIALS).fill('completed'));
      for (const trial of trialFolders(dir)) expectIntactRun(trial);
    }
  }, 120_000);
});
