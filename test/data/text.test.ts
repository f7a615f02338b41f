import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataSchema } from '../../src/data/registry.js';
import { loadText, type TextDataset } from '../../src/data/text.js';
import type { Split } from '../../src/data/dataset.js';
import { DataError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';

const root = mkdtempSync(join(tmpdir(), 'adam-lab-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

function textFile(content: string | Uint8Array): string {
  const file = join(root, `text${files++}.txt`);
  writeFileSync(file, content);
  return file;
}

/** The text config with its defaults, as the schema fills them in. */
const config = (options: Record<string, unknown>) => {
  const parsed = dataSchema.parse({ dataset: 'text', ...options });
  if (parsed.dataset !== 'text') throw new Error('not text');
  return parsed;
};

function load(content: string | Uint8Array, options: Record<string, unknown> = {}, seed = 0): TextDataset {
  return loadText(config(options), textFile(content), seed);
}

/** Every block of a split, in order, as strings of its input and its target characters. */
function blocks(split: Split, vocabulary: readonly string[]): { input: string; target: string }[] {
  const t = split.shape[0];
  const order = Uint32Array.from({ length: split.size }, (_, i) => i);
  const x = new Float32Array(split.size * t);
  const y = new Float32Array(split.size * t);
  split.gather(order, 0, split.size, x, y, 'index', t);
  const text = (ids: Float32Array, b: number): string => Array.from(ids.subarray(b * t, (b + 1) * t), (id) => vocabulary[id]).join('');
  return Array.from({ length: split.size }, (_, b) => ({ input: text(x, b), target: text(y, b) }));
}

describe('dataset: text', () => {
  it('cuts the text by position into training, validation and test blocks whose targets are the next characters', () => {
    const text = 'abcdefghij'.repeat(10); // 100 characters
    const d = load(text, { block_size: 4, windows: 'sequential', validation: 0.1, test: 0.1 });
    expect(d.vocabulary.characters.join('')).toBe('abcdefghij');
    expect(d.inputShape).toEqual([4]);
    expect(d.targets).toEqual({ kind: 'class', classes: 10, positions: 4 });
    // 80 training characters: (80 − 1) / 4 → 19 blocks; 10 for validation and test: 2 blocks each.
    expect([d.train.size, d.validation?.size, d.test?.size]).toEqual([19, 2, 2]);
    d.beginEpoch(1);
    expect(blocks(d.train, d.vocabulary.characters).slice(0, 2)).toEqual([
      { input: 'abcd', target: 'bcde' },
      { input: 'efgh', target: 'fghi' },
    ]);
    expect(blocks(d.validation!, d.vocabulary.characters)[0]).toEqual({ input: 'abcd', target: 'bcde' });
  });

  it('random windows cut every epoch at an offset drawn from the seed, the same on every load', () => {
    const text = Array.from({ length: 400 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const offsets = (seed: number): string[] => {
      const d = load(text, { block_size: 8, validation: 0, test: 0 }, seed);
      return [1, 2, 3, 4, 5].map((epoch) => {
        d.beginEpoch(epoch);
        return blocks(d.train, d.vocabulary.characters)[0].input;
      });
    };
    expect(offsets(0)).toEqual(offsets(0));
    expect(new Set(offsets(0)).size).toBeGreaterThan(1);
    expect(offsets(1)).not.toEqual(offsets(0));
  });

  it('reads UTF-8 by code point: multi-byte characters and surrogate pairs are one character each', () => {
    const text = 'héllo wörld — 漢字 😀🐳! '.repeat(8);
    const d = load(text, { block_size: 5, windows: 'sequential', validation: 0, test: 0 });
    const characters = d.vocabulary.characters;
    expect(characters).toContain('😀');
    expect(characters).toContain('漢');
    expect(characters.every((c) => Array.from(c).length === 1)).toBe(true);
    // Sorted by code point, as Python's sorted(set(text)): U+1F433 after U+FFxx-range-free BMP text.
    expect(characters.slice(-2)).toEqual(['🐳', '😀']);
    expect(blocks(d.train, characters).map((b) => b.input).join('')).toBe(Array.from(text).slice(0, d.train.size * 5).join(''));
  });

  it('drops validation and test characters the training part lacks, and counts them', () => {
    // 110 characters: the first 82 train (only a and b), the last 28 hold all ten X.
    const d = load(`${'ab'.repeat(40)}${'abX'.repeat(10)}`, { block_size: 2, windows: 'sequential', validation: 0, test: 0.25 });
    expect(d.vocabulary.characters).toEqual(['a', 'b']);
    expect(d.unknown).toBe(10);
    expect(d.test?.size).toBe(Math.floor((28 - 10 - 1) / 2));
  });

  it('refuses an empty file, invalid UTF-8, and a text shorter than a block, naming the file', () => {
    expect(thrown(DataError, () => load('')).problem).toMatch(/is empty/);
    expect(thrown(DataError, () => load('\uFEFF')).problem).toMatch(/is empty/);
    const invalid = thrown(DataError, () => load(new Uint8Array([0x61, 0xff, 0x62])));
    expect(invalid.problem).toMatch(/not valid UTF-8/);
    expect(invalid.file).toMatch(/text\d+\.txt$/);
    // A lone surrogate's bytes (CESU-style ED A0 80) are not UTF-8 either.
    expect(thrown(DataError, () => load(new Uint8Array([0x61, 0xed, 0xa0, 0x80]))).problem).toMatch(/not valid UTF-8/);
    expect(thrown(DataError, () => load('abcdef', { block_size: 64, validation: 0, test: 0 })).problem).toMatch(/training part has 6 characters; a block of 64 needs at least 128 with random windows/);
    expect(thrown(DataError, () => load('abcdef', { block_size: 6, windows: 'sequential', validation: 0, test: 0 })).problem).toMatch(/needs at least 7$/);
    expect(thrown(DataError, () => load('abcdefghij'.repeat(10), { block_size: 8, validation: 0.05, test: 0 })).problem).toMatch(/validation part has 5 characters/);
  });

  it('reads the bundled Moby-Dick when no path is given', async () => {
    const { loadDataset } = await import('../../src/data/registry.js');
    const d = loadDataset(config({}), join(root, 'config.yaml'), 'class', 0);
    expect(d.vocabulary?.characters.length).toBe(83);
    expect(d.train.size).toBeGreaterThan(10_000);
  });
});
