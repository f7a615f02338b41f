import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, readConfigSource } from '../../src/config/load.js';
import { parseOverride } from '../../src/config/overrides.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';
import { issuesOf } from './helpers.js';

describe('YAML is read as data only', () => {
  it('refuses language tags instead of constructing objects', () => {
    const [issue] = issuesOf('data: !!python/object:os.system {dataset: mnist}\nmodel: {layers: [{linear: 10}]}\n');
    expect(issue).toMatchObject({ line: 1, column: 7 });
    expect(issue.problem).toMatch(/tag 'python\/object:os.system' is not allowed/);
  });

  it('caps alias expansion (billion laughs)', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const [issue] = issuesOf(`${lines.join('\n')}\n`);
    expect(issue.problem).toMatch(/aliases expand too far/);
  });

  it('refuses duplicate keys and reports syntax errors with positions', () => {
    expect(issuesOf('data: {dataset: mnist}\ndata: {dataset: mnist}\n')[0]).toMatchObject({ line: 2, column: 1, problem: 'Map keys must be unique' });
    expect(issuesOf('data: {dataset: mnist\nmodel: [\n')[0].line).toBe(2);
  });

  it('needs a mapping at the top', () => {
    expect(issuesOf('- 1\n- 2\n')[0].problem).toMatch(/must be a mapping/);
  });

  it('bounds the file size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adam-lab-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(() => readConfigSource(file)).toThrow(ConfigError);
    try {
      readConfigSource(file);
    } catch (error) {
      expect((error as ConfigError).issues[0].problem).toMatch(/is larger than 1048576 bytes/);
    }
  });

  it('reads a file of exactly the limit whole, and refuses one byte more', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adam-lab-'));
    const file = join(dir, 'padded.yaml');
    const config = 'name: padded\ndata: {dataset: synthetic, task: moons}\nmodel: {layers: [{linear: 2}]}\n';
    const comment = (bytes: number): string => 'x'.repeat(bytes - config.length - 3);
    const padded = (bytes: number): string => `${config}#${comment(bytes)}\n\n`;
    writeFileSync(file, padded(MAX_CONFIG_BYTES));
    expect(readConfigSource(file).document.comment, 'the comment at the very end was read').toBe(comment(MAX_CONFIG_BYTES));
    writeFileSync(file, padded(MAX_CONFIG_BYTES + 1));
    expect(thrown(ConfigError, () => readConfigSource(file)).issues[0].problem).toMatch(/is larger than 1048576 bytes/);
  });

  it('refuses override paths that would reach object prototypes', () => {
    expect(() => parseOverride('__proto__.polluted=1')).toThrow(UsageError);
    expect(() => parseOverride('optimizer.constructor=1')).toThrow(UsageError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
