import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressMode, type Terminal } from '../../src/cli/progress.js';

const stream = (isTTY: boolean): Writable & { isTTY: boolean } => Object.assign(new Writable({ write: (_c, _e, done) => done() }), { isTTY });
const terminal = (stdout: boolean, stderr: boolean): Terminal => ({ stdout: stream(stdout), stderr: stream(stderr) });

describe('progress display', () => {
  it('draws a bar only when both stdout and stderr are terminals and CI is not set', () => {
    expect(progressMode(false, terminal(true, true), {})).toBe('bar');
    expect(progressMode(false, terminal(false, true), {})).toBe('lines'); // stdout redirected to a log
    expect(progressMode(false, terminal(true, false), {})).toBe('lines');
    expect(progressMode(false, terminal(true, true), { CI: 'true' })).toBe('lines');
    expect(progressMode(true, terminal(true, true), {})).toBe('quiet');
  });
});
