/**
 * The safetensors format (huggingface/safetensors), for the two dtypes a model holds: F32
 * (parameters, running statistics) and I64 (batch norm's num_batches_tracked):
 *
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][tensor bytes]
 *   header = { "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, ...,
 *              "__metadata__": { "<key>": "<string>" } }
 *
 * Offsets are relative to the first byte after the header; tensors must tile the data area
 * exactly (no gaps, no overlap). Reading checks all of that, so a lying header is an error
 * naming the file rather than garbage weights. Tensor data is little-endian.
 */
import { DataError } from '../core/errors.js';
import { sizeOf, type Shape } from '../core/shape.js';

export type Dtype = 'F32' | 'I64';

export interface NamedTensor {
  readonly name: string;
  readonly shape: Shape;
  /** Defaults to F32. I64 values are held as exact integers in a Float64Array. */
  readonly dtype?: Dtype;
  readonly data: Float32Array | Float64Array;
}

const BYTES: Record<Dtype, number> = { F32: 4, I64: 8 };

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (Object.hasOwn(header, t.name) || t.name === '__proto__') throw new RangeError(`tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
    const bytes = t.data.length * BYTES[t.dtype ?? 'F32'];
    header[t.name] = { dtype: t.dtype ?? 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the format recommends 8-byte alignment
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    if (t.dtype === 'I64') for (let i = 0; i < t.data.length; i++, at += 8) view.setBigInt64(at, BigInt(t.data[i]), true);
    else for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

/** A tensor's header entry, checked against the data area. */
interface HeaderEntry {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: Dtype;
  readonly begin: number;
  readonly end: number;
}

type Fail = (problem: string) => never;

export function decodeSafetensors(bytes: Uint8Array, file: string): NamedTensor[] {
  const fail: Fail = (problem) => {
    throw new DataError(file, problem, 'write the file with safetensors.torch.save_file or adam-lab');
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) fail(`header length ${headerLength} is larger than the file (${bytes.length} bytes)`);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, dataStart)).toString('utf8'));
  } catch {
    fail('the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataLength = bytes.length - dataStart;
  const entries = Object.entries(header as Record<string, unknown>)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, entry]) => headerEntry(name, entry, dataLength, fail));
  checkTiling(entries, dataLength, fail);
  return entries.map((e) => {
    const at = dataStart + e.begin;
    if (e.dtype === 'I64') {
      const data = new Float64Array((e.end - e.begin) / 8);
      for (let i = 0; i < data.length; i++) data[i] = Number(view.getBigInt64(at + 8 * i, true));
      return { name: e.name, shape: e.shape, dtype: e.dtype, data };
    }
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(at + 4 * i, true);
    return { name: e.name, shape: e.shape, dtype: e.dtype, data };
  });
}

/** One tensor's entry: a supported dtype, a shape, and offsets inside the data that hold exactly that shape. */
function headerEntry(name: string, entry: unknown, dataLength: number, fail: Fail): HeaderEntry {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry is not an object`);
  if (e.dtype !== 'F32' && e.dtype !== 'I64') fail(`tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported (only F32, and I64 for counters)`);
  const dtype = e.dtype as Dtype;
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not a pair of byte offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataLength) fail(`tensor "${name}": data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
  const needed = sizeOf(shape as number[]) * BYTES[dtype];
  if (end - begin !== needed) fail(`tensor "${name}": shape ${JSON.stringify(shape)} needs ${needed} bytes as ${dtype}, offsets give ${end - begin}`);
  return { name, shape: shape as number[], dtype, begin, end };
}

/** The tensors tile the data area exactly: no gap, no overlap, nothing left over. */
function checkTiling(entries: readonly HeaderEntry[], dataLength: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end); // empty tensors first at a shared offset
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) fail(`tensor "${e.name}" starts at byte ${e.begin}, expected ${expected}: tensors overlap or leave a gap`);
    expected = e.end;
  }
  if (expected !== dataLength) fail(`the tensors cover ${expected} of the ${dataLength} data bytes`);
}
