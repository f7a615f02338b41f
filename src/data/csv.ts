/**
 * CSV datasets: a header row, then one sample per row. The `label` column is the target;
 * every other column is a feature, in file order. With class targets (cross_entropy) the
 * label is a class index 0..C−1; otherwise it is a real number. Every bad cell is an error
 * naming the file, the line and the column.
 */
import { parse } from 'csv-parse/sync';
import { DataError } from '../core/errors.js';
import { samplesArray, Split, type TargetInfo } from './dataset.js';
import { readDataFile } from './files.js';

export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  /** Data rows, each with its 1-based line number in the file. */
  readonly rows: readonly { readonly line: number; readonly cells: readonly string[] }[];
}

const HINT = 'a CSV dataset needs a header row and one number per cell';
/** A decimal number as people write it in CSV: not '', 'NaN', 'inf' or JavaScript's 0x1F. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function readCsv(file: string, headerOnly = false): CsvTable {
  const text = Buffer.from(readDataFile(file, HINT)).toString('utf8');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    const options = { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, ...(headerOnly ? { to: 1 } : {}) };
    records = parse(text, options) as unknown as typeof records;
  } catch (error) {
    throw new DataError(file, `is not valid CSV: ${(error as Error).message}`, HINT);
  }
  if (records.length === 0) throw new DataError(file, 'is empty: no header row', HINT);
  const header = records[0].record;
  const rows = records.slice(1).map(({ record, info }) => ({ line: info.lines, cells: record }));
  // A split of no samples has no batches and no mean loss; say so here, where the file is known.
  if (!headerOnly && rows.length === 0) throw new DataError(file, 'has a header row but no data rows', HINT);
  for (const row of rows) {
    if (row.cells.length !== header.length) {
      throw new DataError(file, `line ${row.line} has ${row.cells.length} cells, the header has ${header.length}`, HINT);
    }
  }
  return { file, header, rows };
}

/** Parses only the header, for shape checks before the data is loaded. */
export function csvFeatureCount(file: string, label: string): number {
  return csvFeatureColumns(readCsv(file, true), label).length;
}

/** The feature columns: every column but the label, in file order (the order features are read in). */
export function csvFeatureColumns(table: CsvTable, label: string): string[] {
  const labelAt = labelIndex(table.header, label, table.file);
  return table.header.filter((_, c) => c !== labelAt);
}

/**
 * A test file must have the training file's feature columns in the same order, since features are
 * read by position: another set, or the same in another order, would be evaluated on misaligned
 * values. Checked from the headers alone, so `validate` finds it before any data are read.
 */
export function checkSameColumns(test: CsvTable, train: CsvTable, label: string): void {
  const [testColumns, trainColumns] = [csvFeatureColumns(test, label), csvFeatureColumns(train, label)];
  if (testColumns.length === trainColumns.length && testColumns.every((name, c) => name === trainColumns[c])) return;
  const listed = (columns: readonly string[]): string => columns.map((name) => JSON.stringify(name)).join(', ');
  throw new DataError(
    test.file,
    `has the feature columns ${listed(testColumns)}, but the training file ${train.file} has ${listed(trainColumns)}: every split needs the same feature columns, in the same order`,
    'make data.csv.test hold the columns of data.csv.train',
  );
}

function labelIndex(header: readonly string[], label: string, file: string): number {
  const index = header.indexOf(label);
  if (index < 0) {
    throw new DataError(file, `has no column "${label}" (data.csv.label); its columns are ${header.map((h) => `"${h}"`).join(', ')}`);
  }
  return index;
}

/**
 * Turns a table into a split. `classes` is the class count when the targets are class indices
 * (null to infer it as max label + 1 from this table), or 'values' for real-valued targets;
 * `classesFrom` names the training file it was inferred from, for a test file's labels.
 */
export function csvSplit(
  table: CsvTable,
  label: string,
  targetKind: 'class' | 'values',
  classes: number | null,
  classesFrom?: string,
): { split: Split; targets: TargetInfo } {
  const { file, header, rows } = table;
  const labelAt = labelIndex(header, label, file);
  const width = header.length - 1;
  const features = samplesArray(Float32Array, rows.length * width);
  const targets = samplesArray(Float32Array, rows.length);
  let binary = true;
  let maxLabel = 0;
  rows.forEach(({ line, cells }, r) => {
    let f = 0;
    cells.forEach((cell, c) => {
      const value = DECIMAL.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(value)) {
        throw new DataError(file, `line ${line}, column "${header[c]}": ${JSON.stringify(cell)} is not a finite number`, HINT);
      }
      if (c === labelAt) targets[r] = value;
      else features[r * width + f++] = value;
    });
    const y = targets[r];
    if (targetKind === 'class' && (!Number.isInteger(y) || y < 0 || (classes !== null && y >= classes))) {
      const inferred = classesFrom === undefined ? '' : ` (the classes of the training file ${classesFrom}; set data.num_classes if it lacks some)`;
      const range = classes === null ? 'a class index ≥ 0' : `a class index in 0..${classes - 1}${inferred}`;
      throw new DataError(file, `line ${line}, column "${label}": ${y} is not ${range}`, HINT);
    }
    if (y !== 0 && y !== 1) binary = false;
    if (y > maxLabel) maxLabel = y;
  });
  const info: TargetInfo =
    targetKind === 'class'
      ? { kind: 'class', classes: classes ?? maxLabel + 1 }
      : { kind: 'values', width: 1, binary };
  return { split: new Split(rows.length, features, [width], targets, 1, null), targets: info };
}
