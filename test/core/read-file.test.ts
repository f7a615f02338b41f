import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../src/core/errors.js';
import { readFileBounded, readTextBounded } from '../../src/core/read-file.js';
import { thrown } from '../thrown.js';

const folder = mkdtempSync(join(tmpdir(), 'adam-lab-read-'));

describe('readFileBounded', () => {
  it('reads a regular file whole up to the limit and refuses one byte more', () => {
    const file = join(folder, 'ten.txt');
    writeFileSync(file, '0123456789');
    expect(readTextBounded(file, { maxBytes: 10 })).toBe('0123456789');
    expect(thrown(UnreadableFileError, () => readFileBounded(file, { maxBytes: 9 })).reason).toBe('too-large');
  });

  it('reads a file whose size says 0 to its end (/proc), and into shared memory when asked', () => {
    expect(readTextBounded('/proc/self/status')).toMatch(/^Name:/);
    const file = join(folder, 'shared.bin');
    writeFileSync(file, new Uint8Array([1, 2, 3]));
    const bytes = readFileBounded(file, { shared: true });
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('refuses what is no regular file by its reason, without reading it', () => {
    const reason = (file: string, pipes = false): string => thrown(UnreadableFileError, () => readFileBounded(file, { pipes })).reason;
    expect(reason(join(folder, 'missing'))).toBe('missing');
    expect(reason(folder)).toBe('directory');
    expect(reason('/dev/zero', true)).toBe('special');
    expect(thrown(UnreadableFileError, () => readFileBounded('/dev/null')).problem).toBe('is a character device, not a regular file');
  });
});
