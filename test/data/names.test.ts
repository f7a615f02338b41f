import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataSchema, loadDataset } from '../../src/data/registry.js';
import { bundledNameLists, namesCharacters } from '../../src/data/names.js';
import { ZodError } from 'zod';
import { TextSplit, type TextDataset } from '../../src/data/text.js';
import { thrown } from '../thrown.js';

function namesData(options: Record<string, unknown> = {}, seed = 0): TextDataset {
  return loadDataset(dataSchema.parse({ dataset: 'text', corpus: 'names', ...options }), 'config.yaml', 'class', seed) as TextDataset;
}

/** The lists' names as makemore spells them: lowercased, each once. */
function listedNames(): Set<string> {
  const names = bundledNameLists().flatMap((file) => readFileSync(file, 'utf8').split('\n'));
  return new Set(names.map((name) => name.trim().toLowerCase()).filter((name) => name !== ''));
}

describe('the names corpus (data.corpus: names)', () => {
  it('holds every listed name once, each ended by a newline, in a shuffled order', () => {
    const text = namesCharacters().join('');
    expect(text.endsWith('\n')).toBe(true);
    const names = text.slice(0, -1).split('\n');
    const listed = listedNames();
    expect(names).toHaveLength(listed.size);
    expect(new Set(names)).toEqual(listed);
    expect(names).toContain('emma');
    expect(names).toContain('william');
    // Not alphabetical: the validation and test parts at the end would hold only late letters.
    expect(names).not.toEqual([...names].sort());
  });

  it('is the same text for every run and seed, so every seed is judged on the same names', () => {
    expect(namesCharacters()).toEqual(namesCharacters());
    const [a, b] = [namesData({}, 0), namesData({}, 7)];
    expect(a.vocabulary).toEqual(b.vocabulary);
    expect((a.test as TextSplit).tokens).toEqual((b.test as TextSplit).tokens);
  });

  it('has the newline in its vocabulary, with the letters and the hyphen', () => {
    const { vocabulary, targets, unknown } = namesData({ block_size: 16 });
    expect(vocabulary.characters).toEqual(['\n', '-', ...'abcdefghijklmnopqrstuvwxyz']);
    expect(targets).toEqual({ kind: 'class', classes: 28, positions: 16 });
    expect(unknown).toBe(0);
  });

  it('is refused together with a path: one of them names the text', () => {
    const error = thrown(ZodError, () => dataSchema.parse({ dataset: 'text', corpus: 'names', path: 'names.txt' }));
    expect(error.issues.map((issue) => [issue.path, issue.message])).toEqual([[['corpus'], 'names a bundled text, and path names a file: give one of them']]);
    expect(String(error)).toMatch(/names a bundled text, and path names a file: give one of them/);
    expect(dataSchema.parse({ dataset: 'text', corpus: 'moby-dick' })).toMatchObject({ corpus: 'moby-dick' });
  });
});
