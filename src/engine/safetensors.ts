/**
 * The safetensors format (huggingface/safetensors), float32 only:
 *
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][tensor bytes]
 *   header = { "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, ...,
 *              "__metadata__": { "<key>": "<string>" } }
 *
 * Offsets are relative to the first byte after the header; tensors must tile the data area
 * exactly (no gaps, no overlap). Reading checks all of that, so a lying header is an error
 * naming the file rather than garbage weights. Tensor data is little-endian.
 */
import { DataError } from '../errors.js';
import { sizeOf, type Shape } from './tensor.js';

export interface NamedTensor {
  readonly name: string;
  readonly shape: Shape;
  readonly data: Float32Array;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (Object.hasOwn(header, t.name) || t.name === '__proto__') throw new RangeError(`tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
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
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file: string): NamedTensor[] {
  const fail = (problem: string): never => {
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
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry is not an object`);
    if (e.dtype !== 'F32') fail(`tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported (only F32)`);
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
    if (end - begin !== sizeOf(shape as number[]) * 4) {
      fail(`tensor "${name}": shape ${JSON.stringify(shape)} needs ${sizeOf(shape as number[]) * 4} bytes, offsets give ${end - begin}`);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end); // empty tensors first at a shared offset
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) fail(`tensor "${e.name}" starts at byte ${e.begin}, expected ${expected}: tensors overlap or leave a gap`);
    expected = e.end;
  }
  if (expected !== dataLength) fail(`the tensors cover ${expected} of the ${dataLength} data bytes`);
  return entries.map((e) => {
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + e.begin + 4 * i, true);
    return { name: e.name, shape: e.shape, data };
  });
}
