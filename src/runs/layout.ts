/**
 * The run directory (DESIGN.md): runs/<name>/<run-id>/ holding
 *   config.yaml        the fully resolved config (every default filled in)
 *   steps.csv          one row per optimizer step
 *   epochs.csv         one row per evaluation
 *   manifest.json      seed, versions, git commit, start/end, status
 *   model.safetensors  the final weights, nn.Sequential names
 *   internals.csv      per-tensor norms and step sizes every K steps (with train.internals)
 *   vocab.json         a text run's characters in id order (vocabulary.ts)
 *   trajectory.csv     an objective run's coordinates after every step (DESIGN.md, Objectives)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_NAME_PATTERN } from '../config/run-name.js';
import { outputError } from './atomic.js';
import { makeDirectories } from './directories.js';
import { pointLatestAt } from './latest.js';

export const RUN_FILES = {
  config: 'config.yaml',
  steps: 'steps.csv',
  epochs: 'epochs.csv',
  manifest: 'manifest.json',
  weights: 'model.safetensors',
  internals: 'internals.csv',
  vocabulary: 'vocab.json',
  trajectory: 'trajectory.csv',
} as const;

/**
 * Creates runs/<name>/<run-id>/, points runs/<name>/latest at it (latest.ts) and returns its
 * path. The id is the start time to the second; mkdir without `recursive` fails if the folder
 * exists, so concurrent runs get distinct ids.
 */
export function createRunDirectory(root: string, name: string, now: Date, prefix = ''): string {
  if (!RUN_NAME_PATTERN.test(name)) throw new RangeError(`unsafe run name ${JSON.stringify(name)}`);
  const parent = join(root, name);
  makeDirectories(parent);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let attempt = 1; ; attempt++) {
    const dir = join(parent, `${prefix}${attempt === 1 ? stamp : `${stamp}-${attempt}`}`);
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(dir, error);
      continue;
    }
    pointLatestAt(dir);
    return dir;
  }
}

/** Removes what a run wrote as it ran (all but config.yaml), for a run started over in its folder. */
export function removeRunFiles(runDir: string): void {
  const written = [RUN_FILES.steps, `${RUN_FILES.steps}.partial`, RUN_FILES.epochs, RUN_FILES.manifest, RUN_FILES.weights];
  try {
    for (const file of written) rmSync(join(runDir, file), { force: true });
  } catch (error) {
    throw outputError(runDir, error);
  }
}
