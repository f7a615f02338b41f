import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const folder = 'configs';
const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));

describe('shipped configs', () => {
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const file of files) {
    it(`${file} validates and starts with a comment saying what it shows`, () => {
      expect(() => loadConfig(join(folder, file))).not.toThrow();
      expect(readFileSync(join(folder, file), 'utf8')).toMatch(/^# Shows /);
    });
  }
});
