import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvFeatureCount, csvSplit, readCsv } from '../../src/data/csv.js';
import { dataSchema, describeDataset, loadSource } from '../../src/data/registry.js';
import type { Split } from '../../src/data/dataset.js';
import { DataError } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';

const root = mkdtempSync(join(tmpdir(), 'adam-lab-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

/** Writes `text` (or raw bytes) to a fresh file and returns its path. */
function csvFile(text: string | Uint8Array): string {
  const file = join(root, `data${files++}.csv`);
  writeFileSync(file, text);
  return file;
}

function gatherAll(split: Split): { x: number[][]; y: number[] } {
  const order = Uint32Array.from({ length: split.size }, (_, i) => i);
  const x = new Float32Array(split.size * split.featureSize);
  const y = new Float32Array(split.size);
  split.gather(order, 0, split.size, x, y, 'value', 1);
  const rows = Array.from({ length: split.size }, (_, r) => Array.from(x.subarray(r * split.featureSize, (r + 1) * split.featureSize)));
  return { x: rows, y: Array.from(y) };
}

/** Runs `action`, expects a DataError naming `file`, returns the error. */
function dataError(action: () => unknown, file: string): DataError {
  const error = thrown(DataError, action);
  expect(error.file).toBe(file);
  expect(error.message).toContain(file);
  return error;
}

const split = (text: string, kind: 'class' | 'values' = 'class', classes: number | null = null, label = 'label') =>
  csvSplit(readCsv(csvFile(text)), label, kind, classes);

describe('readCsv', () => {
  it('reads the header and the rows, each with its line number', () => {
    const file = csvFile('x1,x2,label\n0.5,-1,1\n2,3e2,0\n');
    const table = readCsv(file);
    expect(table.file).toBe(file);
    expect(table.header).toEqual(['x1', 'x2', 'label']);
    expect(table.rows).toEqual([
      { line: 2, cells: ['0.5', '-1', '1'] },
      { line: 3, cells: ['2', '3e2', '0'] },
    ]);
  });

  it('strips a UTF-8 byte-order mark from the first header cell', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('label,x\n1,2\n')]);
    const table = readCsv(csvFile(bytes));
    expect(table.header).toEqual(['label', 'x']);
    expect(csvSplit(table, 'label', 'class', null).targets).toEqual({ kind: 'class', classes: 2 });
    // Also when the first header cell is quoted, so the mark sits before the quote.
    const quoted = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"label",x\n1,2\n')]);
    expect(readCsv(csvFile(quoted)).header).toEqual(['label', 'x']);
  });

  it('reads CRLF line endings, skips blank lines and keeps true line numbers', () => {
    const table = readCsv(csvFile('a,label\r\n1,0\r\n\r\n2,1\r\n'));
    expect(table.header).toEqual(['a', 'label']);
    expect(table.rows).toEqual([
      { line: 2, cells: ['1', '0'] },
      { line: 4, cells: ['2', '1'] },
    ]);
  });

  it('reads quoted cells, including commas inside quotes, and trims spaces', () => {
    const table = readCsv(csvFile('"width, cm","label"\n "1.5" , 2\n'));
    expect(table.header).toEqual(['width, cm', 'label']);
    expect(table.rows[0].cells).toEqual(['1.5', '2']);
  });

  it('a ragged row is a DataError naming the line and both cell counts', () => {
    const file = csvFile('a,b,label\n1,2,0\n3,1\n');
    expect(dataError(() => readCsv(file), file).problem).toBe('line 3 has 2 cells, the header has 3');
    const long = csvFile('a,label\n1,0\n2,1\n3,4,5\n');
    expect(dataError(() => readCsv(long), long).problem).toMatch(/^line 4 has 3 cells, the header has 2/);
  });

  it('an empty file, broken quoting and a missing file are DataErrors', () => {
    const empty = csvFile('');
    expect(dataError(() => readCsv(empty), empty).problem).toMatch(/empty/);
    const broken = csvFile('a,label\n"1,0\n');
    expect(dataError(() => readCsv(broken), broken).problem).toMatch(/not valid CSV/);
    const missing = join(root, 'nope.csv');
    expect(dataError(() => readCsv(missing), missing).problem).toMatch(/not found/);
  });
});

describe('csvSplit', () => {
  it('turns rows into features and class targets; the label column may be anywhere', () => {
    for (const [text, features] of [
      ['label,a,b\n1,0.5,2\n0,3,4\n', [[0.5, 2], [3, 4]]],
      ['a,label,b\n0.5,1,2\n3,0,4\n', [[0.5, 2], [3, 4]]],
      ['a,b,label\n0.5,2,1\n3,4,0\n', [[0.5, 2], [3, 4]]],
    ] as const) {
      const { split: s, targets } = split(text);
      expect(s.size).toBe(2);
      expect(s.shape).toEqual([2]);
      expect(targets).toEqual({ kind: 'class', classes: 2 });
      expect(gatherAll(s)).toEqual({ x: features, y: [1, 0] });
    }
  });

  it('keeps the features in file order around the label', () => {
    const { split: s } = split('z,label,y,a\n1,0,2,3\n');
    expect(gatherAll(s).x).toEqual([[1, 2, 3]]);
  });

  it('stores features as float32 values', () => {
    const { split: s } = split('a,label\n0.1,0\n');
    expect(gatherAll(s).x[0][0]).toBe(Math.fround(0.1));
  });

  it.each([
    ['abc', 'a word'],
    ['', 'an empty cell'],
    ['NaN', 'NaN'],
    ['inf', 'inf'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['1e999', 'an overflowing number'],
    ['0x1F', 'a hexadecimal literal'],
    ['0b11', 'a binary literal'],
  ])('a non-number cell (%j, %s) is a DataError naming the line and the column', (cell) => {
    const file = csvFile(`a,b,label\n1,2,0\n3,${cell},1\n`);
    const error = dataError(() => csvSplit(readCsv(file), 'label', 'values', null), file);
    expect(error.problem).toBe(`line 3, column "b": ${JSON.stringify(cell)} is not a finite number`);
  });

  it('checks the label cell too', () => {
    const file = csvFile('a,label\n1,x\n');
    expect(dataError(() => csvSplit(readCsv(file), 'label', 'class', null), file).problem).toMatch(/^line 2, column "label": "x"/);
  });

  it('class targets must be integers ≥ 0', () => {
    for (const [bad, shown] of [
      ['1.5', '1.5'],
      ['-1', '-1'],
    ]) {
      const file = csvFile(`a,label\n1,0\n2,${bad}\n`);
      const error = dataError(() => csvSplit(readCsv(file), 'label', 'class', null), file);
      expect(error.problem).toBe(`line 3, column "label": ${shown} is not a class index ≥ 0`);
    }
    // 2.0 is the integer 2.
    expect(split('a,label\n1,2.0\n').targets).toEqual({ kind: 'class', classes: 3 });
  });

  it('class targets must be below the class count when it is given', () => {
    const file = csvFile('a,label\n1,0\n2,3\n');
    const error = dataError(() => csvSplit(readCsv(file), 'label', 'class', 3), file);
    expect(error.problem).toBe('line 3, column "label": 3 is not a class index in 0..2');
    expect(split('a,label\n1,0\n2,2\n', 'class', 3).targets).toEqual({ kind: 'class', classes: 3 });
  });

  it('infers the class count as the largest label + 1, or keeps the one given', () => {
    expect(split('a,label\n1,0\n2,4\n3,1\n').targets).toEqual({ kind: 'class', classes: 5 });
    expect(split('a,label\n1,0\n2,1\n', 'class', 7).targets).toEqual({ kind: 'class', classes: 7 });
  });

  it('values targets take any real number, and are flagged binary only when all are 0 or 1', () => {
    const real = split('a,label\n1,0.25\n2,-3\n', 'values');
    expect(real.targets).toEqual({ kind: 'values', width: 1, binary: false });
    expect(gatherAll(real.split).y).toEqual([0.25, -3]);
    expect(split('a,label\n1,0\n2,1\n3,1\n', 'values').targets).toEqual({ kind: 'values', width: 1, binary: true });
    expect(split('a,label\n1,0\n2,2\n', 'values').targets).toEqual({ kind: 'values', width: 1, binary: false });
  });

  it('a missing label column is an error listing the columns', () => {
    const file = csvFile('width,height,class\n1,2,0\n');
    const error = dataError(() => csvSplit(readCsv(file), 'label', 'class', null), file);
    expect(error.problem).toBe('has no column "label" (data.csv.label); its columns are "width", "height", "class"');
    expect(dataError(() => csvFeatureCount(file, 'label'), file).problem).toMatch(/"width", "height", "class"/);
  });

  it('csvFeatureCount counts every column but the label, reading only the header', () => {
    expect(csvFeatureCount(csvFile('a,b,label,c\n1,2,0,3\n'), 'label')).toBe(3);
    expect(csvFeatureCount(csvFile('a,b,label,c\n1,2\n"unclosed\n'), 'label')).toBe(3);
  });
});

describe('a test file beside the training file', () => {
  const config = (train: string, test: string, extra: object = {}) => {
    const data = dataSchema.parse({ dataset: 'csv', csv: { train, test, label: 'label' }, ...extra });
    if (data.dataset !== 'csv') throw new Error('a csv config');
    return data;
  };
  const sourceOf = (train: string, test: string, extra: object = {}) => loadSource(config(train, test, extra), join(root, 'exp.yaml'), 'class');

  it('must have the training file’s feature columns, in its order: fewer, more, other or reordered ones are an error naming both files', () => {
    const train = csvFile('a,b,label\n1,2,0\n3,4,1\n');
    for (const [header, row, columns] of [
      ['a,label', '1,0', '"a"'],
      ['a,b,c,label', '1,2,3,0', '"a", "b", "c"'],
      ['a,c,label', '1,2,0', '"a", "c"'],
      ['b,a,label', '2,1,0', '"b", "a"'],
    ] as const) {
      const test = csvFile(`${header}\n${row}\n`);
      const problem = `has the feature columns ${columns}, but the training file ${train} has "a", "b": every split needs the same feature columns, in the same order`;
      // when the data are loaded, and already when the config is checked against its data (validate)
      expect(dataError(() => sourceOf(train, test), test).problem).toBe(problem);
      expect(dataError(() => describeDataset(config(train, test), join(root, 'exp.yaml')), test).problem).toBe(problem);
    }
  });

  it('with the same columns, around the label anywhere, loads', () => {
    const source = sourceOf(csvFile('a,label,b\n1,0,2\n3,1,4\n'), csvFile('label,a,b\n1,5,6\n'));
    expect([source.train.size, source.test?.size, source.test?.shape]).toEqual([2, 1, [2]]);
    expect(gatherAll(source.test!)).toEqual({ x: [[5, 6]], y: [1] });
  });

  it('may only hold classes the training file has, unless num_classes says more: the error names both files', () => {
    const train = csvFile('a,label\n1,0\n2,1\n');
    const test = csvFile('a,label\n1,0\n2,2\n');
    expect(dataError(() => sourceOf(train, test), test).problem).toBe(
      `line 3, column "label": 2 is not a class index in 0..1 (the classes of the training file ${train}; set data.num_classes if it lacks some)`,
    );
    expect(sourceOf(train, test, { num_classes: 3 }).targets).toEqual({ kind: 'class', classes: 3 });
  });

  it('a test file of a header alone is an error of its own, naming it', () => {
    const test = csvFile('a,label\n');
    expect(dataError(() => sourceOf(csvFile('a,label\n1,0\n'), test), test).problem).toBe('has a header row but no data rows');
  });
});
