/**
 * vocab.json: the characters of a text run in id order, `{"characters": ["\n", " ", "!", …]}`, so
 * that `sample` turns ids into text and a resumed run checks that its text still gives the same ids.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DataError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import type { Vocabulary } from '../data/dataset.js';
import { writeFileAtomic } from './atomic.js';
import { RUN_FILES } from './layout.js';

const vocabularyFile = z.strictObject({ characters: z.array(z.string().min(1)).min(1) });

export function writeVocabulary(runDir: string, vocabulary: Vocabulary): void {
  writeFileAtomic(join(runDir, RUN_FILES.vocabulary), `${JSON.stringify({ characters: vocabulary.characters })}\n`);
}

export function readVocabulary(runDir: string): Vocabulary {
  const file = join(runDir, RUN_FILES.vocabulary);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readTextBounded(file));
  } catch (error) {
    throw new DataError(file, `cannot be read (${(error as Error).message})`, 'only a run of a text dataset has a vocabulary');
  }
  const checked = vocabularyFile.safeParse(parsed);
  if (!checked.success) throw new DataError(file, 'is not a vocabulary: expected {"characters": [...]}');
  return checked.data;
}

/** True when both list the same characters in the same order. */
export function sameVocabulary(a: Vocabulary, b: Vocabulary): boolean {
  return a.characters.length === b.characters.length && a.characters.every((c, i) => c === b.characters[i]);
}
