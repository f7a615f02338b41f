/**
 * A config that asks for more than memory holds is bad input: runExperiment refuses it with a
 * ConfigError at the path that asked, before a run directory is made.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigSource, resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { runExperiment } from '../../src/train/experiment.js';

const toy = 'data: {dataset: synthetic, task: moons, n_train: 64, n_test: 32, batch_size: 32}\n';

/** What runExperiment throws for the config `text`, and whether it made the runs folder. */
async function refusal(text: string): Promise<{ error: unknown; madeRuns: boolean }> {
  const folder = mkdtempSync(join(tmpdir(), 'adam-lab-memory-'));
  try {
    const configFile = join(folder, 'exp.yaml');
    writeFileSync(configFile, text);
    const config = resolveConfig(parseConfigSource(text, configFile), []);
    const error = await runExperiment(config, { configFile, outRoot: join(folder, 'runs') }).then(
      () => null,
      (e: unknown) => e,
    );
    return { error, madeRuns: readdirSync(folder).includes('runs') };
  } finally {
    rmSync(folder, { recursive: true });
  }
}

describe('a config that does not fit in memory', () => {
  it('is refused at the config path that asked (a model of 4.5e9 parameters)', async () => {
    const { error, madeRuns } = await refusal(`${toy}model: {layers: [{linear: 900000000}, {linear: 2}]}\n`);
    expect(error).toBeInstanceOf(ConfigError);
    const [issue] = (error as ConfigError).issues;
    expect(issue.path).toEqual(['model', 'layers']);
    expect(issue.problem).toMatch(/^the model \(4500000002 parameters, batches of 32\) does not fit in memory \(cannot allocate .+\); make it smaller$/);
    expect(madeRuns).toBe(false);
  });
});
