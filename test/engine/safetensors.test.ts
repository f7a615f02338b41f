import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Model, planModel } from '../../src/engine/model.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/engine/safetensors.js';
import { encodeModelWeights, loadModelWeights } from '../../src/engine/weights.js';
import { DataError } from '../../src/core/errors.js';

const FILE = 'weights/test.safetensors';

/** A file built by hand: u64 header length, the header text as given, then `data`. */
function craft(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = Buffer.from(text, 'utf8');
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown>; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8');
  return { length, json: JSON.parse(text) as Record<string, unknown>, text };
}

/** Runs `decode`, expects a DataError naming FILE, and returns its problem text. */
function decodeProblem(bytes: Uint8Array): string {
  try {
    decodeSafetensors(bytes, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    const e = error as DataError;
    expect(e.file).toBe(FILE);
    expect(e.message).toContain(FILE);
    return e.problem;
  }
  throw new Error('decodeSafetensors accepted a malformed file');
}

const f32 = (name: string, shape: number[], begin: number) => ({ [name]: { dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] } });

describe('safetensors encode/decode', () => {
  const special = Float32Array.of(
    0,
    -0,
    1,
    -1.5,
    1.401298464324817e-45, // smallest subnormal
    -1.1754942106924411e-38, // largest subnormal, negative
    3.4028234663852886e38, // largest float32
    -3.4028234663852886e38,
    Math.fround(Math.PI),
    Infinity,
    -Infinity,
    Math.fround(1e-30),
  );
  const tensors: NamedTensor[] = [
    { name: '0.weight', shape: [3, 4], data: special },
    { name: '0.bias', shape: [3], data: Float32Array.of(0.1, -0.2, 0.3) },
    { name: 'scalar', shape: [], data: Float32Array.of(42) },
    { name: 'empty', shape: [0, 5], data: new Float32Array(0) },
    { name: 'layer.ß', shape: [2, 1, 1], data: Float32Array.of(7, 8) },
  ];

  it('round-trips names, shapes and every float32 bit pattern (−0, subnormals, extremes, ±∞)', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors), FILE);
    expect(decoded.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    for (const [i, t] of tensors.entries()) {
      expect(decoded[i].shape).toEqual(t.shape);
      expect(decoded[i].data).toBeInstanceOf(Float32Array);
      expect(decoded[i].data.length).toBe(t.data.length);
      for (let j = 0; j < t.data.length; j++) expect(Object.is(decoded[i].data[j], t.data[j]), `${t.name}[${j}]`).toBe(true);
    }
    expect(Object.is(decoded[0].data[1], -0)).toBe(true);
  });

  it('writes the layout the format specifies: u64 LE header length, JSON header, LE float32 data', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2], data: Float32Array.of(1, -2) }], { format: 'pt' });
    const { length, json } = headerOf(bytes);
    expect(json).toEqual({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(bytes.length).toBe(8 + length + 8);
    // 1.0f = 0x3f800000 and -2.0f = 0xc0000000, little-endian.
    expect(Array.from(bytes.subarray(8 + length))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('pads the header with spaces so the data starts on an 8-byte boundary, whatever the names', () => {
    for (let nameLength = 1; nameLength <= 16; nameLength++) {
      for (const char of ['a', 'é']) {
        const bytes = encodeSafetensors([{ name: char.repeat(nameLength), shape: [1], data: Float32Array.of(nameLength) }]);
        const { length, text } = headerOf(bytes);
        expect(length % 8, `name ${char}×${nameLength}`).toBe(0);
        expect(text.trimEnd().endsWith('}')).toBe(true);
        expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
        expect(decodeSafetensors(bytes, FILE)[0].data[0]).toBe(nameLength);
      }
    }
  });

  it('decodes from a view that does not start at its buffer’s first byte', () => {
    const bytes = encodeSafetensors(tensors);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const decoded = decodeSafetensors(host.subarray(3), FILE);
    expect(Array.from(decoded[1].data)).toEqual(Array.from(tensors[1].data));
  });

  it('accepts tensors listed in any header order, tiling the data by their offsets', () => {
    const data = new Uint8Array(12);
    new DataView(data.buffer).setFloat32(0, 5, true);
    new DataView(data.buffer).setFloat32(4, 6, true);
    new DataView(data.buffer).setFloat32(8, 7, true);
    const decoded = decodeSafetensors(craft({ ...f32('late', [1], 8), ...f32('early', [2], 0) }, data), FILE);
    expect(Object.fromEntries(decoded.map((t) => [t.name, Array.from(t.data)]))).toEqual({ late: [7], early: [5, 6] });
  });

  it('accepts a zero-element tensor sharing its offset with the next tensor, in either header order', () => {
    // The reference validator sorts by (begin, end), so an empty tensor at [k, k] sits before [k, m].
    const data = new Uint8Array(4);
    for (const header of [
      { ...f32('empty', [0], 0), ...f32('full', [1], 0) },
      { ...f32('full', [1], 0), ...f32('empty', [0], 0) },
    ]) {
      const decoded = decodeSafetensors(craft(header, data), FILE);
      expect(decoded.map((t) => t.name).sort()).toEqual(['empty', 'full']);
    }
  });

  describe('rejects a malformed file with a DataError naming it', () => {
    it('shorter than 8 bytes', () => {
      expect(decodeProblem(new Uint8Array(5))).toMatch(/5 bytes.*8/);
      expect(decodeProblem(new Uint8Array(0))).toMatch(/0 bytes/);
    });

    it('header length larger than the file', () => {
      const bytes = craft(f32('w', [1], 0), 4);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
      expect(decodeProblem(bytes)).toMatch(/header length \d+ is larger than the file/);
      new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
      expect(decodeProblem(bytes)).toMatch(/header length 9223372036854775808/);
    });

    it('invalid JSON, or JSON that is not an object', () => {
      expect(decodeProblem(craft('{"w": {"dtype": "F32",'))).toMatch(/not valid JSON/);
      expect(decodeProblem(craft('[1, 2]'))).toMatch(/not a JSON object/);
      expect(decodeProblem(craft('null'))).toMatch(/not a JSON object/);
    });

    it('a dtype other than F32 and I64', () => {
      for (const dtype of ['F16', 'F64', 'BF16', 'I32']) {
        const problem = decodeProblem(craft({ w: { dtype, shape: [2], data_offsets: [0, 8] } }, 8));
        expect(problem).toContain(`"w"`);
        expect(problem).toContain(dtype);
        expect(problem).toContain('F32');
      }
    });

    it('data_offsets past the end of the data', () => {
      const problem = decodeProblem(craft(f32('w', [4], 0), 12));
      expect(problem).toMatch(/"w".*\[0, 16\].*12 data bytes/);
      expect(decodeProblem(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 12))).toMatch(/"w"/);
    });

    it('malformed entries, shapes and offsets', () => {
      expect(decodeProblem(craft({ w: 5 }))).toMatch(/"w".*not an object/);
      expect(decodeProblem(craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).toMatch(/"w".*shape/);
      expect(decodeProblem(craft({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4))).toMatch(/"w".*shape/);
      expect(decodeProblem(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4))).toMatch(/"w".*data_offsets/);
    });

    it('overlapping tensors', () => {
      const problem = decodeProblem(craft({ ...f32('a', [2], 0), ...f32('b', [2], 4) }, 12));
      expect(problem).toMatch(/"b" starts at byte 4, expected 8.*overlap/);
    });

    it('a gap between tensors, or data bytes no tensor covers', () => {
      expect(decodeProblem(craft({ ...f32('a', [1], 0), ...f32('b', [1], 8) }, 12))).toMatch(/"b" starts at byte 8, expected 4.*gap/);
      expect(decodeProblem(craft({ ...f32('a', [1], 4) }, 8))).toMatch(/"a" starts at byte 4, expected 0/);
      expect(decodeProblem(craft(f32('a', [1], 0), 8))).toMatch(/cover 4 of the 8 data bytes/);
    });

    it('a byte count that does not match the shape', () => {
      const problem = decodeProblem(craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8));
      expect(problem).toMatch(/"w".*\[3\] needs 12 bytes as F32, offsets give 8/);
    });
  });
});

describe('model weights as safetensors', () => {
  const layers = [{ linear: { out_features: 3, bias: true } }, 'relu', { linear: { out_features: 2, bias: true } }];
  const plan = planModel(layers, [4]);

  /** Runs loadModelWeights, expects a DataError naming the file, returns its problem text. */
  function loadProblem(model: Model, bytes: Uint8Array): string {
    const before = Array.from(model.values);
    try {
      loadModelWeights(model, bytes, FILE);
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).file).toBe(FILE);
      // A rejected file leaves the model as it was.
      expect(Array.from(model.values)).toEqual(before);
      return (error as DataError).problem;
    }
    throw new Error('loadModelWeights accepted a mismatching file');
  }

  const tensorsOf = (model: Model): NamedTensor[] => model.parameters.map((p) => ({ name: p.fullName, shape: p.shape, data: p.value }));

  it('encodeModelWeights → loadModelWeights restores every parameter exactly, under nn.Sequential names', () => {
    const source = new Model(plan, 2, 1);
    const target = new Model(plan, 2, 2);
    expect(Array.from(target.values)).not.toEqual(Array.from(source.values));
    const bytes = encodeModelWeights(source);
    const { json } = headerOf(bytes);
    expect(Object.keys(json).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '__metadata__']);
    expect(json['0.weight']).toMatchObject({ dtype: 'F32', shape: [3, 4] });
    expect(json.__metadata__).toEqual({ format: 'pt' });
    loadModelWeights(target, bytes, FILE);
    expect(Array.from(target.values)).toEqual(Array.from(source.values));
  });

  it('a missing tensor', () => {
    const model = new Model(plan, 1, 3);
    const problem = loadProblem(model, encodeSafetensors(tensorsOf(model).filter((t) => t.name !== '2.bias')));
    expect(problem).toContain('the file has no "2.bias" (shape [2])');
  });

  it('an unexpected extra tensor', () => {
    const model = new Model(plan, 1, 3);
    const extra = [...tensorsOf(model), { name: '4.weight', shape: [1], data: Float32Array.of(1) }];
    expect(loadProblem(model, encodeSafetensors(extra))).toContain('the file has "4.weight", which the model does not');
  });

  it('a wrong shape, even with the right number of values (a transposed weight)', () => {
    const model = new Model(plan, 1, 3);
    const transposed = tensorsOf(model).map((t) => (t.name === '0.weight' ? { ...t, shape: [4, 3] } : t));
    expect(loadProblem(model, encodeSafetensors(transposed))).toContain('"0.weight" has shape [4, 3] in the file but [3, 4] in the config');
  });

  it('lists every problem at once', () => {
    const model = new Model(plan, 1, 3);
    const tensors = tensorsOf(model)
      .filter((t) => t.name !== '0.bias')
      .map((t) => (t.name === '2.weight' ? { ...t, shape: [6] } : t));
    tensors.push({ name: 'extra', shape: [], data: Float32Array.of(0) });
    const problem = loadProblem(model, encodeSafetensors(tensors));
    expect(problem).toContain('the file has no "0.bias"');
    expect(problem).toContain('"2.weight" has shape [6]');
    expect(problem).toContain('the file has "extra", which the model does not');
  });

  it('round-trips I64 counters (batch norm num_batches_tracked) exactly', () => {
    const bytes = encodeSafetensors([
      { name: 'n', shape: [], dtype: 'I64', data: Float64Array.of(2 ** 40 + 3) },
      { name: 'w', shape: [2], data: Float32Array.of(1.5, -2) },
    ]);
    const [n, w] = decodeSafetensors(bytes, 'x.safetensors');
    expect(n).toMatchObject({ name: 'n', dtype: 'I64', shape: [] });
    expect(Array.from(n.data)).toEqual([2 ** 40 + 3]);
    expect(Array.from(w.data)).toEqual([1.5, -2]);
  });

  it('a malformed file is reported as such, not as a model mismatch', () => {
    const model = new Model(plan, 1, 3);
    expect(loadProblem(model, new Uint8Array(3))).toMatch(/shorter than the 8-byte header length/);
  });
});

describe('a safetensors file written from PyTorch (test/fixtures/torch/safetensors_fixture.py)', () => {
  const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/torch/${name}`, import.meta.url));
  const expected = JSON.parse(readFileSync(fixture('sequential.json'), 'utf8')) as {
    tensors: Record<string, { shape: number[]; values: number[] }>;
    input: number[];
    output: number[];
  };

  it('loads into planModel(linear 3, relu, linear 2) with identical values and gives torch’s outputs', () => {
    const plan = planModel([{ linear: { out_features: 3, bias: true } }, 'relu', { linear: { out_features: 2, bias: true } }], [4]);
    const model = new Model(plan, 2, 99);
    const file = fixture('sequential.safetensors');
    loadModelWeights(model, readFileSync(file), file);
    expect(model.parameters.map((p) => p.fullName).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const p of model.parameters) {
      const t = expected.tensors[p.fullName];
      expect(p.shape).toEqual(t.shape);
      expect(Array.from(p.value)).toEqual(t.values); // JSON holds each float32 as its exact double
    }
    model.input.set(expected.input);
    const out = model.forward(2, 'eval');
    for (let i = 0; i < 4; i++) expect(Math.abs(out[i] - expected.output[i])).toBeLessThan(1e-6);
  });
});
