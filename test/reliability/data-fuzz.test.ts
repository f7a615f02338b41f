/**
 * Data fuzzing: corrupt IDX, CIFAR-10, CSV and safetensors files, each given to adam-lab through a
 * config as a user would, must end in exit 2 with a message that starts with the file's path and
 * says what is wrong (CSV variants that are merely unusual — BOM, CRLF, quoted commas — must
 * train). fast-check draws the corruptions from fixed seeds.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MNIST_FILES } from '../../src/data/mnist.js';
import { encodeSafetensors } from '../../src/engine/safetensors.js';
import { tempDir } from '../cli/run-cli.js';
import { CIFAR_NAMES, CIFAR_RECORD, cifarRecords, CliDriver, expectNoStackTrace, writeCifarLike, writeMnistLike } from './harness.js';

const SEED = 7;
const world = tempDir();
const driver = new CliDriver(world);
type Format = 'IDX' | 'CIFAR-10' | 'CSV' | 'safetensors';
/** Files tried, by format and kind: corrupt ones (refused) apart from the valid controls (which must be accepted, or refused for not fitting the model). */
const tried = { corrupt: new Map<Format, Map<string, number>>(), valid: new Map<string, number>(), notFiles: 0 };
function countCorrupt(format: Format, kind: string): void {
  const kinds = tried.corrupt.get(format) ?? new Map<string, number>();
  tried.corrupt.set(format, kinds.set(kind, (kinds.get(kind) ?? 0) + 1));
}
function countValid(what: string): void {
  tried.valid.set(what, (tried.valid.get(what) ?? 0) + 1);
}
afterAll(() => {
  driver.stop();
  const sum = (counts: Iterable<number>): number => [...counts].reduce((a, b) => a + b, 0);
  const formats = [...tried.corrupt].map(([format, kinds]) => `${format} ${sum(kinds.values())} (${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(', ')})`);
  console.info(
    `data fuzzing (seed ${SEED}): ${sum([...tried.corrupt.values()].map((k) => sum(k.values())))} corrupt files — ${formats.join('; ')}; ` +
      `besides, ${sum(tried.valid.values())} valid controls (${[...tried.valid].map(([what, n]) => `${n} ${what}`).join(', ')}) and ${tried.notFiles} paths that are no regular file`,
  );
});

/** Runs `args` and expects exit 2 with a first line `<file>: <problem>`, the problem matching `problem`. */
async function expectRefused(args: string[], file: string, problem: RegExp, about: string): Promise<void> {
  const result = await driver.run(args);
  const context = `${about}\nexit ${result.code}\nstderr: ${result.stderr}`;
  expectNoStackTrace(result, `${about}\n`);
  expect(result.code, context).toBe(2);
  const first = result.stderr.split('\n')[0];
  expect(first.startsWith(`${file}: `), context).toBe(true);
  expect(first.slice(file.length + 2), context).toMatch(problem);
}

function truncated(bytes: Uint8Array, fraction: number): Uint8Array {
  return bytes.subarray(0, Math.min(bytes.length - 1, Math.floor(fraction * bytes.length)));
}

const fraction = fc.double({ min: 0, max: 1, noNaN: true });

describe('IDX files (MNIST, Fashion-MNIST)', () => {
  const folder = join(world, 'mnist');
  mkdirSync(folder);
  writeMnistLike(folder, 32, 16);
  const names = Object.values(MNIST_FILES);
  const originals = names.map((name) => readFileSync(join(folder, name)));
  const config = join(world, 'idx.yaml');
  writeFileSync(config, 'name: idx\ndata: {dataset: fashion-mnist, path: mnist, batch_size: 16}\nmodel: {layers: [{linear: 10}]}\n');

  const corruption = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), keep: fraction }),
    fc.record({ kind: fc.constant('empty' as const) }),
    fc.record({ kind: fc.constant('magic' as const), first: fc.integer({ min: 0, max: 255 }), second: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('element type' as const), type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 8) }),
    fc.record({ kind: fc.constant('rank' as const), rank: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('dimension' as const), which: fc.nat(), size: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('random bytes' as const), bytes: fc.uint8Array({ maxLength: 4000 }) }),
    fc.record({ kind: fc.constant('trailing bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 100 }) }),
    fc.record({ kind: fc.constant('label' as const), at: fc.nat(), value: fc.integer({ min: 10, max: 255 }) }),
    fc.record({ kind: fc.constant('bad gzip' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  );

  it('truncated, oversized-header, wrong-magic, zero-length and random-byte files: exit 2 naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 3 }), corruption, async (index, c) => {
        const name = names[index];
        const file = join(folder, name);
        const original = originals[index];
        const rank = original[3];
        let bytes: Uint8Array = Uint8Array.from(original);
        let blamed = file;
        let problem = /./;
        switch (c.kind) {
          case 'truncate':
            bytes = truncated(bytes, c.keep);
            problem = /truncated|too short/;
            break;
          case 'empty':
            bytes = new Uint8Array(0);
            problem = /truncated: 0 bytes/;
            break;
          case 'magic':
            bytes[0] = c.first;
            bytes[1] = c.second;
            problem = /not an IDX file/;
            break;
          case 'element type':
            bytes[2] = c.type;
            problem = /element type/;
            break;
          case 'rank':
            if (c.rank === rank) return;
            bytes[3] = c.rank;
            problem = /dimensions|truncated|unexpected bytes|shape|labels for/;
            break;
          case 'dimension': {
            const at = 4 + 4 * (c.which % rank);
            if (new DataView(bytes.buffer).getUint32(at, false) === c.size) return;
            new DataView(bytes.buffer).setUint32(at, c.size, false);
            problem = /truncated|unexpected bytes/;
            break;
          }
          case 'random bytes':
            bytes = c.bytes;
            problem = /truncated|not an IDX|element type|dimensions|unexpected bytes|shape|labels for/;
            break;
          case 'trailing bytes':
            bytes = Buffer.concat([bytes, c.bytes]);
            problem = /unexpected bytes/;
            break;
          case 'label':
            if (!name.includes('labels')) return;
            bytes[4 + 4 * rank + (c.at % (bytes.length - 4 - 4 * rank))] = c.value;
            problem = /is not a digit class/;
            break;
          case 'bad gzip':
            rmSync(file);
            blamed = `${file}.gz`;
            writeFileSync(blamed, c.bytes);
            problem = /not a valid gzip file/;
            break;
        }
        if (c.kind !== 'bad gzip') writeFileSync(file, bytes);
        countCorrupt('IDX', c.kind);
        try {
          await expectRefused(['train', config, '--out', join(world, 'out'), '--quiet'], blamed, problem, `${name}: ${c.kind}`);
        } finally {
          rmSync(`${file}.gz`, { force: true });
          writeFileSync(file, original);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);
});

describe('CIFAR-10 binary files', () => {
  const folder = join(world, 'cifar');
  mkdirSync(folder);
  writeCifarLike(folder, 4);
  const config = join(world, 'cifar.yaml');
  writeFileSync(config, 'name: cifar\ndata: {dataset: cifar10, path: cifar, batch_size: 8}\nmodel: {layers: [{linear: 10}]}\n');

  const corruption = fc.oneof(
    fc.record({ kind: fc.constant('cut short' as const), keep: fraction }),
    fc.record({ kind: fc.constant('empty' as const) }),
    fc.record({ kind: fc.constant('label' as const), record: fc.nat({ max: 3 }), value: fc.integer({ min: 10, max: 255 }) }),
    fc.record({ kind: fc.constant('trailing bytes' as const), count: fc.integer({ min: 1, max: CIFAR_RECORD - 1 }) }),
    fc.record({ kind: fc.constant('random bytes' as const), bytes: fc.uint8Array({ maxLength: 3 * CIFAR_RECORD }) }),
  );

  it('records cut short, zero-length files, bad labels: exit 2 naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: CIFAR_NAMES.length - 1 }), corruption, async (index, c) => {
        const file = join(folder, CIFAR_NAMES[index]);
        const original = readFileSync(file);
        let bytes: Uint8Array = Uint8Array.from(original);
        let problem = /./;
        switch (c.kind) {
          case 'cut short':
            bytes = truncated(bytes, c.keep);
            problem = /not a whole number of 3073-byte records/;
            break;
          case 'empty':
            bytes = new Uint8Array(0);
            problem = /is 0 bytes/;
            break;
          case 'label':
            bytes[c.record * CIFAR_RECORD] = c.value;
            problem = new RegExp(`record ${c.record} has label ${c.value}, not a class 0–9`);
            break;
          case 'trailing bytes':
            bytes = Buffer.concat([bytes, cifarRecords(1).subarray(0, c.count)]);
            problem = /not a whole number/;
            break;
          case 'random bytes':
            // whole records of random bytes are a valid file unless a label byte is out of range
            if (c.bytes.length > 0 && c.bytes.length % CIFAR_RECORD === 0 && Array.from({ length: c.bytes.length / CIFAR_RECORD }, (_, r) => c.bytes[r * CIFAR_RECORD]).every((l) => l < 10)) return;
            bytes = c.bytes;
            problem = /not a whole number|has label/;
            break;
        }
        writeFileSync(file, bytes);
        countCorrupt('CIFAR-10', c.kind);
        try {
          await expectRefused(['train', config, '--out', join(world, 'out'), '--quiet'], file, problem, `${CIFAR_NAMES[index]}: ${c.kind}`);
        } finally {
          writeFileSync(file, original);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  }, 120_000);
});

describe('CSV files', () => {
  const folder = join(world, 'csv');
  mkdirSync(folder);
  const config = join(folder, 'exp.yaml');
  writeFileSync(config, 'name: csv\ndata: {dataset: csv, csv: {train: train.csv, label: label}, num_classes: 3, batch_size: 4}\nmodel: {layers: [{linear: 3}]}\n');
  const file = join(folder, 'train.csv');

  const table = fc.record({
    features: fc.array(fc.constantFrom('x', 'y', 'a,b', 'w "q"', 'é', ' z '), { minLength: 1, maxLength: 4 }).map((names) => names.map((n, i) => `${n}${i}`)),
    rows: fc.array(fc.tuple(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 2 })), { minLength: 2, maxLength: 12 }),
  });
  // Unusual but valid; each kind of damage is one wrong cell, row or quote.
  const style = fc.record({ bom: fc.boolean(), crlf: fc.boolean(), quoteNumbers: fc.boolean(), spaces: fc.boolean(), finalNewline: fc.boolean() });
  const damage = fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.record({ kind: fc.constant('ragged' as const), row: fc.nat(), extra: fc.boolean() }),
    fc.record({ kind: fc.constant('bad cell' as const), row: fc.nat(), column: fc.nat(), text: fc.constantFrom('', 'NaN', 'nan', 'inf', '-inf', 'Infinity', '-Infinity', '1e999', '0x1F', '1,5', 'one', '1.2.3', '--1') }),
    fc.record({ kind: fc.constant('label out of range' as const), row: fc.nat(), label: fc.constantFrom('3', '-1', '0.5', '7') }),
    fc.record({ kind: fc.constant('open quote' as const), row: fc.nat() }),
    fc.constant({ kind: 'header only' as const }),
  );

  it('ragged rows, empty cells, NaN/inf strings, bad quotes: exit 2 naming the file; BOM, CRLF and quoted commas train', async () => {
    await fc.assert(
      fc.asyncProperty(table, style, damage, async ({ features, rows }, s, d) => {
        const quote = (cell: string): string => (/[",\s]/.test(cell) || s.quoteNumbers ? `"${cell.replace(/"/g, '""')}"` : cell);
        const pad = (cell: string): string => (s.spaces ? ` ${cell} ` : cell);
        const header = [...features, 'label'];
        let body: string[][] = rows.map(([values, label]) => [...features.map((_, i) => String(values[i])), String(label)]);
        let problem: RegExp | null = null;
        const r = 'row' in d ? d.row % body.length : 0;
        switch (d.kind) {
          case 'ragged':
            body[r] = d.extra ? [...body[r], '1'] : body[r].slice(0, -1);
            problem = new RegExp(`line ${r + 2} has ${body[r].length} cells, the header has ${header.length}`);
            break;
          case 'bad cell':
            body[r][d.column % header.length] = d.text;
            problem = new RegExp(`line ${r + 2}, column ".*": .* is not a finite number`);
            break;
          case 'label out of range':
            body[r][header.length - 1] = d.label;
            problem = new RegExp(`line ${r + 2}, column "label": .* is not a class index in 0\\.\\.2`);
            break;
          case 'header only':
            body = [];
            problem = /has a header row but no data rows/;
            break;
        }
        const lines = [header.map(quote), ...body.map((cells) => cells.map((c) => pad(quote(c))))].map((cells) => cells.join(','));
        if (d.kind === 'open quote') {
          lines[r + 1] = `${lines[r + 1]},"unclosed`;
          problem = /is not valid CSV/;
        }
        const newline = s.crlf ? '\r\n' : '\n';
        writeFileSync(file, `${s.bom ? '\uFEFF' : ''}${lines.join(newline)}${s.finalNewline ? newline : ''}`);
        if (problem === null) countValid('unusual CSV files (BOM, CRLF, quoting, spaces) that must train');
        else countCorrupt('CSV', d.kind);
        const about = `${d.kind}:\n${readFileSync(file, 'utf8')}`;
        if (problem === null) {
          const result = await driver.run(['train', config, '--out', join(world, 'out'), '--quiet']);
          expect(result.code, `${about}\n${result.stderr}`).toBe(0);
        } else await expectRefused(['train', config, '--out', join(world, 'out'), '--quiet'], file, problem, about);
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);
});

describe('splits that do not fit together', () => {
  const folder = join(world, 'splits');
  mkdirSync(folder);
  const config = join(folder, 'exp.yaml');
  writeFileSync(config, 'name: splits\ndata: {dataset: csv, csv: {train: train.csv, test: test.csv, label: label}, batch_size: 4}\nmodel: {layers: [{linear: 3}]}\n');
  const [trainFile, testFile] = [join(folder, 'train.csv'), join(folder, 'test.csv')];
  const csv = (columns: readonly string[], labels: readonly number[]): string =>
    `${[...columns, 'label'].join(',')}\n${labels.map((label, r) => [...columns.map((_, c) => String(r + c / 10)), String(label)].join(',')).join('\n')}\n`;

  const columns = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 4 });
  const change = fc.oneof(
    fc.constant({ kind: 'same' as const }),
    fc.record({ kind: fc.constant('fewer' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('more' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('renamed' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('reordered' as const), at: fc.nat() }),
    fc.constant({ kind: 'new class' as const }),
  );

  it('a test CSV with fewer, more, other or reordered feature columns, or a class the training CSV lacks: exit 2 naming both files', async () => {
    await fc.assert(
      fc.asyncProperty(columns, change, async (trainColumns, c) => {
        let testColumns: string[] = [...trainColumns];
        const at = 'at' in c ? c.at % trainColumns.length : 0;
        if (c.kind === 'fewer') testColumns.splice(at, 1);
        if (c.kind === 'more') testColumns.splice(at, 0, 'z');
        if (c.kind === 'renamed') testColumns[at] = 'z';
        if (c.kind === 'reordered') testColumns = [...trainColumns.slice(at + 1), ...trainColumns.slice(0, at + 1)];
        writeFileSync(trainFile, csv(trainColumns, [0, 1, 2, 0, 1, 2]));
        writeFileSync(testFile, csv(testColumns, c.kind === 'new class' ? [0, 3] : [2, 1]));
        const about = `${c.kind}: ${trainColumns.join(',')} → ${testColumns.join(',')}`;
        const aligned = testColumns.join() === trainColumns.join();
        if (aligned && c.kind !== 'new class') {
          countValid('test CSVs with the training CSV’s columns, that must train');
          const result = await driver.run(['train', config, '--out', join(world, 'out'), '--quiet']);
          expect(result.code, `${about}\n${result.stderr}`).toBe(0);
          return;
        }
        countCorrupt('CSV', aligned ? 'a test class the training file lacks' : 'test columns unlike the training file’s');
        const problem = aligned
          ? new RegExp(`line 3, column "label": 3 is not a class index in 0\\.\\.2 \\(the classes of the training file ${trainFile};`)
          : new RegExp(`^has the feature columns .*, but the training file ${trainFile} has .*: every split needs the same feature columns, in the same order$`);
        // columns are checked from the headers, so validate finds them too
        if (!aligned) await expectRefused(['validate', config], testFile, problem, about);
        await expectRefused(['train', config, '--out', join(world, 'out'), '--quiet'], testFile, problem, about);
      }),
      { seed: SEED, numRuns: 40 },
    );
  }, 120_000);

  it('an empty split — IDX files of 0 images, a CSV of a header alone — is an error of its own, naming the file', async () => {
    const idx = join(folder, 'idx');
    mkdirSync(idx);
    const idxConfig = join(folder, 'idx.yaml');
    writeFileSync(idxConfig, 'name: empty\ndata: {dataset: fashion-mnist, path: idx, batch_size: 16}\nmodel: {layers: [{linear: 10}]}\n');
    for (const [train, test, file] of [
      [32, 0, MNIST_FILES.testImages],
      [0, 16, MNIST_FILES.trainImages],
    ] as const) {
      writeMnistLike(idx, train, test);
      countCorrupt('IDX', 'a split of 0 images');
      await expectRefused(['train', idxConfig, '--out', join(world, 'out'), '--quiet'], join(idx, file), /^holds no images \(its header says \[0, 28, 28\]\): every split needs at least one sample$/, `${train} training, ${test} test images`);
    }
    writeFileSync(trainFile, csv(['a'], [0, 1]));
    writeFileSync(testFile, 'a,label\n');
    countCorrupt('CSV', 'a test file of a header alone');
    await expectRefused(['train', config, '--out', join(world, 'out'), '--quiet'], testFile, /^has a header row but no data rows$/, 'header-only test file');
  });
});

describe('safetensors files (model.init.from)', () => {
  const folder = join(world, 'weights');
  mkdirSync(folder);
  const config = join(folder, 'exp.yaml');
  writeFileSync(config, 'name: init\ndata: {dataset: synthetic, task: moons, n_train: 32, n_test: 16}\nmodel:\n  layers: [{linear: 3}, relu, {linear: 2}]\n  init: {from: start.safetensors}\n');
  const file = join(folder, 'start.safetensors');
  const tensors = [
    { name: '0.weight', shape: [3, 2], data: new Float32Array(6).fill(0.5) },
    { name: '0.bias', shape: [3], data: new Float32Array(3) },
    { name: '2.weight', shape: [2, 3], data: new Float32Array(6).fill(-0.25) },
    { name: '2.bias', shape: [2], data: new Float32Array(2) },
  ];
  const valid = encodeSafetensors(tensors, { format: 'pt' });
  const headerLength = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(valid.subarray(8, 8 + headerLength)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  const data = valid.subarray(8 + headerLength);
  const craft = (json: string, body: Uint8Array = data, length?: bigint): Uint8Array => {
    const text = Buffer.from(json, 'utf8');
    const out = new Uint8Array(8 + text.length + body.length);
    new DataView(out.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
    out.set(text, 8);
    out.set(body, 8 + text.length);
    return out;
  };
  const names = tensors.map((t) => t.name);

  const lie = fc.oneof(
    fc.record({ kind: fc.constant('header length past the end' as const), extra: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n - BigInt(valid.length) }) }),
    fc.record({ kind: fc.constant('shorter than 8 bytes' as const), length: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant('offsets past the end' as const), tensor: fc.constantFrom(...names), by: fc.integer({ min: 1, max: 1 << 30 }) }),
    fc.record({ kind: fc.constant('overlapping' as const), tensor: fc.constantFrom(...names.slice(1)), back: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('dtype' as const), tensor: fc.constantFrom(...names), dtype: fc.constantFrom('F16', 'BF16', 'F64', 'I32', 'I8', 'U8', 'BOOL', 'f32', '', 'F32 ') }),
    fc.record({ kind: fc.constant('shape' as const), tensor: fc.constantFrom(...names), shape: fc.constantFrom<unknown>([-1, 2], [1.5], 'x', null, [2 ** 60, 2 ** 60], [0]) }),
    fc.record({ kind: fc.constant('offsets type' as const), tensor: fc.constantFrom(...names), offsets: fc.constantFrom<unknown>([0], [0, 1, 2], ['0', '24'], null, [-4, 0], [1.5, 2]) }),
    fc.record({ kind: fc.constant('not JSON' as const), text: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !/^\s*[[{"\d-tfn]/.test(t)) }),
    fc.record({ kind: fc.constant('not an object' as const), json: fc.constantFrom('[]', '1', '"x"', 'null', 'true') }),
    fc.record({ kind: fc.constant('data cut short' as const), keep: fraction }),
    fc.record({ kind: fc.constant('random bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant('missing tensor' as const), tensor: fc.constantFrom(...names) }),
  );

  it('a lying header (past the end, overlapping, non-F32, longer than the file): exit 2 naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(lie, async (l) => {
        let bytes: Uint8Array;
        let problem = /./;
        const edited = (change: (h: typeof header) => void): string => {
          const copy = structuredClone(header);
          change(copy);
          return JSON.stringify(copy);
        };
        switch (l.kind) {
          case 'header length past the end':
            bytes = craft(JSON.stringify(header), data, BigInt(headerLength) + BigInt(data.length) + l.extra);
            problem = /header length \d+ is larger than the file/;
            break;
          case 'shorter than 8 bytes':
            bytes = valid.subarray(0, l.length);
            problem = /shorter than the 8-byte header length/;
            break;
          case 'offsets past the end':
            bytes = craft(edited((h) => (h[l.tensor].data_offsets[1] += l.by)));
            problem = /lie outside the \d+ data bytes|needs \d+ bytes/;
            break;
          case 'overlapping':
            bytes = craft(
              edited((h) => {
                const offsets = h[l.tensor].data_offsets;
                const shift = Math.min(l.back * 4, offsets[0]);
                h[l.tensor].data_offsets = offsets.map((o) => o - shift);
              }),
            );
            problem = /overlap or leave a gap|cover/;
            break;
          case 'dtype':
            bytes = craft(edited((h) => (h[l.tensor].dtype = l.dtype)));
            problem = /dtype .* is not supported/;
            break;
          case 'shape':
            bytes = craft(edited((h) => ((h[l.tensor] as { shape: unknown }).shape = l.shape)));
            problem = /shape .* (is not a list|needs)/;
            break;
          case 'offsets type':
            bytes = craft(edited((h) => ((h[l.tensor] as { data_offsets: unknown }).data_offsets = l.offsets)));
            problem = /data_offsets .* (is not a pair|lie outside)/;
            break;
          case 'not JSON':
            bytes = craft(l.text);
            problem = /not valid JSON/;
            break;
          case 'not an object':
            bytes = craft(l.json);
            problem = /not a JSON object/;
            break;
          case 'data cut short':
            bytes = truncated(valid, l.keep);
            problem = /shorter than|larger than the file|not valid JSON|lie outside|cover/;
            break;
          case 'random bytes':
            bytes = l.bytes;
            problem = /shorter than|larger than the file|exceeds|not valid JSON|not a JSON object|cover/;
            break;
          case 'missing tensor':
            bytes = encodeSafetensors(tensors.filter((t) => t.name !== l.tensor));
            problem = new RegExp(`the file has no "${l.tensor.replace('.', '\\.')}"`);
            break;
        }
        writeFileSync(file, bytes);
        if (l.kind === 'missing tensor') countValid('well-formed safetensors files that do not fit the model');
        else countCorrupt('safetensors', l.kind);
        if (l.kind === 'missing tensor') {
          // a well-formed file that does not fit the model: the config's layer is blamed, naming the file
          const result = await driver.run(['validate', config]);
          expect(result.code, result.stderr).toBe(2);
          expect(result.stderr).toMatch(problem);
          expect(result.stderr).toContain(file);
          return;
        }
        for (const command of [['validate', config], ['train', config, '--out', join(world, 'out'), '--quiet']]) {
          await expectRefused(command, file, problem, l.kind);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);

  it('a directory, a device or a missing file is refused by name', async () => {
    for (const [path, problem] of [
      [folder, /is not a regular file/],
      ['/dev/zero', /is not a regular file/],
      [join(folder, 'missing.safetensors'), /weights file not found/],
    ] as const) {
      writeFileSync(config, readFileSync(config, 'utf8').replace(/from: .*\}/, `from: ${path}}`));
      tried.notFiles++;
      await expectRefused(['validate', config], path, problem, path);
    }
  });
});
