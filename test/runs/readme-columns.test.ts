import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EPOCH_COLUMNS, STEP_COLUMNS } from '../../src/runs/run-writer.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe("the README's column lists", () => {
  it.each([
    ['steps.csv', STEP_COLUMNS, /\bstep,epoch,[\w,]+/g],
    ['epochs.csv', EPOCH_COLUMNS, /\bepoch,step,[\w,]+/g],
  ] as const)('name every column of %s, in order, wherever they are listed', (_file, columns, listed) => {
    const lists = readme.match(listed) ?? [];
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) expect(list).toBe(columns.join(','));
  });
});
