/**
 * fmaf32(a, b, c) = a·b + c rounded once to float32 (to nearest, ties to even), for float32
 * a, b and c: what a fused multiply-add instruction computes (C's fmaf). JavaScript has none.
 *
 * a·b of two float32 numbers is exact in a double (24 + 24 significant bits ≤ 53, and the
 * exponents stay in range), but a·b + c is not, and rounding it to double and then to
 * float32 can round twice the wrong way: a sum just below a float32 tie lands on the tie in
 * double, and the tie then goes to its even neighbour, which may lie on the wrong side. Rounding to double *to odd*
 * instead makes the second rounding correct, because double carries at least two bits more
 * than float32 (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
 * algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008). Round to odd is built from
 * TwoSum (Knuth, TAOCP vol. 2, 4.2.2): s = fl(p + c) and e = (p + c) − s exactly; when e ≠ 0
 * and s's last bit is even, s moves one double ulp toward e.
 */

const double = new Float64Array(1);
/** double's two 32-bit halves, in the platform's byte order (big-endian on s390x). */
const words = new Uint32Array(double.buffer);
const LOW = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

export function fmaf32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return Math.fround(s);
  const cPart = s - p;
  const e = p - (s - cPart) + (c - cPart);
  if (e === 0) return Math.fround(s);
  // Here s ≠ 0 (a sum that rounds to 0 is exactly 0), so its magnitude can step down.
  double[0] = s;
  if ((words[LOW] & 1) === 0) {
    if ((e > 0) === (s > 0)) words[LOW] += 1; // the low word is even: no carry into the high word
    else if (words[LOW] === 0) {
      words[LOW] = 0xffffffff;
      words[HIGH] -= 1;
    } else words[LOW] -= 1;
  }
  return Math.fround(double[0]);
}
