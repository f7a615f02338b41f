/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 *   bytes 0–1: zero; byte 2: element type (0x08 = unsigned byte); byte 3: number of dimensions d;
 *   then d big-endian u32 sizes; then the elements, row-major.
 * Only unsigned bytes occur in these datasets, so only they are accepted.
 */
import { DataError } from '../core/errors.js';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function decodeIdx(bytes: Uint8Array, file: string, hint: string): IdxArray {
  const fail = (problem: string): never => {
    throw new DataError(file, problem, hint);
  };
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`not an IDX file (magic number starts with ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00)`);
  if (bytes[2] !== UNSIGNED_BYTE) fail(`IDX element type ${hex(bytes[2])} is not supported (expected 08, unsigned bytes)`);
  const rank = bytes[3];
  if (rank === 0) fail('IDX header declares zero dimensions');
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) fail(`truncated: ${bytes.length} bytes, the header alone needs ${headerSize}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const expected = headerSize + count;
  if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, but the header [${dims.join('×')}] needs ${expected}`);
  if (bytes.length > expected) fail(`${bytes.length - expected} unexpected bytes after the ${dims.join('×')} elements the header declares`);
  return { dims, data: bytes.subarray(headerSize) };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
