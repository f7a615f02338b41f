/** Creating output folders. */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OutputError } from '../core/errors.js';
import { outputError } from './atomic.js';

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdirSync never returns on some virtual
 * file systems (under /proc a missing folder keeps answering ENOENT once its parent exists,
 * and the recursive walk retries it for ever); creating each missing level here turns that
 * into an OutputError like any other.
 */
export function makeDirectories(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // ENOENT once the parent exists: the file system takes no new folders there (/proc, /sys).
      throw code === 'ENOENT' && existsSync(dirname(dir)) ? new OutputError(path, 'cannot be created: this file system takes no new folders here') : outputError(path, error);
    }
  }
}
