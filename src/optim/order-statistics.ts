/**
 * Order statistics of a float32 array without reordering it or sorting it: a radix select on the
 * bits. A float32's bits, with the sign bit flipped (and every bit of a negative number flipped),
 * order as unsigned integers exactly as the numbers do; a histogram of their top 16 bits (sign,
 * exponent, 7 bits of mantissa: buckets 2⁻⁷ wide relative to their value) says which bucket holds
 * each wanted rank, and only those buckets' elements are gathered and sorted. Two passes over the
 * array and a sort of a few hundred elements, where a selection that reorders a copy costs several
 * times more (the optimizer internals read 100 000-element state arrays this way, on a budget of
 * a fraction of a training step).
 */

const BUCKETS = 1 << 16;

/** The histogram, and each bucket's place in the gathered elements (−1: not wanted); allocated on first use. */
let counts = new Uint32Array(0);
let places = new Int32Array(0);

/**
 * The bucket of a float32 given as its bits read as an int32 (Smi arithmetic only, for speed): the
 * top 16 bits of its order key — sign bit set for a positive number, every bit flipped for a negative one.
 */
function bucketOf(bits: number): number {
  return bits >= 0 ? (bits >> 16) + 0x8000 : -1 - (bits >> 16);
}

/**
 * out[i] = the value at 0-based rank ranks[i] of `values` in ascending order (ranks ascending,
 * each < values.length). `scratch` (at least values.length) holds the gathered elements.
 * Returns false, writing nothing, when a value is NaN.
 */
export function orderStatistics(values: Float32Array, ranks: readonly number[], scratch: Int32Array, out: number[]): boolean {
  if (counts.length === 0) {
    counts = new Uint32Array(BUCKETS);
    places = new Int32Array(BUCKETS).fill(-1);
  }
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  counts.fill(0);
  for (let i = 0; i < bits.length; i++) counts[bucketOf(bits[i])]++;
  if (hasNaN(bits)) return false;
  // Each rank's bucket and how many elements lie in the buckets before it.
  const buckets: number[] = [];
  const below: number[] = [];
  let bucket = 0;
  let before = 0;
  for (const rank of ranks) {
    while (before + counts[bucket] <= rank) before += counts[bucket++];
    buckets.push(bucket);
    below.push(before);
  }
  // The wanted buckets' elements, gathered bucket after bucket in ascending order.
  const wanted = [...new Set(buckets)];
  const starts: number[] = [];
  let gathered = 0;
  for (const b of wanted) {
    places[b] = gathered;
    starts.push(gathered);
    gathered += counts[b];
  }
  // Most elements lie outside the wanted buckets' span: a range check spares their lookup.
  const first = wanted[0];
  const last = wanted[wanted.length - 1];
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    const bucket = bucketOf(b);
    if (bucket < first || bucket > last) continue;
    const place = places[bucket];
    if (place >= 0) {
      scratch[place] = b;
      places[bucket] = place + 1;
    }
  }
  const floats = new Float32Array(scratch.buffer, scratch.byteOffset, scratch.length);
  out.length = 0;
  wanted.forEach((b, i) => {
    places[b] = -1;
    sortUnlessEqual(scratch.subarray(starts[i], starts[i] + counts[b]));
  });
  ranks.forEach((rank, i) => {
    const w = wanted.indexOf(buckets[i]);
    const within = rank - below[i];
    // A bucket holds numbers of one sign; the bits of negative ones sort in reverse.
    const index = buckets[i] >= 0x8000 ? within : counts[buckets[i]] - 1 - within;
    out.push(floats[starts[w] + index]);
  });
  return true;
}

/**
 * Whether a NaN is among the counted bits: NaNs fill buckets of their own (0–126 and
 * 0xff81–0xffff), and share 127 and 0xff80 with −∞ and +∞ only, which are then looked at.
 */
function hasNaN(bits: Int32Array): boolean {
  for (let b = 0; b < 127; b++) if (counts[b] > 0) return true;
  for (let b = 0xff81; b < BUCKETS; b++) if (counts[b] > 0) return true;
  if (counts[127] === 0 && counts[0xff80] === 0) return false;
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7fffffff) > 0x7f800000) return true;
  return false;
}

/** Sorts bits ascending; a bucket of one repeated value (a state that is 0 wherever the gradient always was) needs none. */
function sortUnlessEqual(bits: Int32Array): void {
  for (let i = 1; i < bits.length; i++) {
    if (bits[i] !== bits[0]) {
      bits.sort();
      return;
    }
  }
}
