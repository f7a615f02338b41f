import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/runs/atomic.js';
import { tempDir } from '../cli/run-cli.js';

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind', () => {
    const dir = tempDir();
    const file = join(dir, 'a.csv');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new contents');
    expect(readFileSync(file, 'utf8')).toBe('new contents');
    expect(readdirSync(dir)).toEqual(['a.csv']);
  });

  it('keeps the old file and cleans up when the write fails', () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'a.csv');
    expect(() => writeFileAtomic(file, 'x')).toThrow(OutputError);
    expect(() => writeFileAtomic(file, 'x')).toThrow(/the directory no longer exists/);
    if (process.getuid?.() !== 0) {
      // a read-only folder (root ignores permissions, so only as another user)
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o500);
      expect(() => writeFileAtomic(join(dir, 'ro', 'a.csv'), 'x')).toThrow(/permission denied/);
    }
  });
});
