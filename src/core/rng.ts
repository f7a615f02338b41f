/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna, 2018), a 32-bit generator
 * with 128 bits of state, seeded through SplitMix32 so that nearby seeds give unrelated streams.
 *
 * Every consumer (initialization, shuffling, dropout, synthetic data, augmentation) draws from its own
 * named stream, so that adding dropout to a model does not change the shuffling order and
 * the same seed reproduces the same run bit for bit.
 */

export type RngStream = 'init' | 'shuffle' | 'dropout' | 'data' | 'augment' | 'sweep' | 'split' | 'sample';

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream: RngStream) {
    // SplitMix32 over (seed low word, seed high word, stream name) fills the state.
    let x = mix32((seed >>> 0) ^ 0x9e3779b9);
    x = mix32(x ^ Math.floor(seed / 0x100000000));
    x = mix32(x ^ fnv1a(stream));
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The four state words, for a checkpoint: restore() puts the stream back exactly here. */
  state(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  restore(words: readonly number[]): void {
    if (words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || words.every((w) => w === 0)) {
      throw new RangeError(`Rng.restore: expected four 32-bit words, not all zero (got ${JSON.stringify(words)})`);
    }
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits, so every value is exactly a float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) * 5.9604644775390625e-8; // 2^-24
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /**
   * Uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^53, unbiased (rejection of the incomplete
   * top range). Past 2^32 one word has too few values (the loop would never end), so two words
   * make a 53-bit draw; below 2^32 the draws are the single words they always were.
   */
  below(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 2 ** 53)) throw new RangeError(`Rng.below(${n}): n must be an integer in 1..2^53`);
    const wide = n > 0x100000000;
    const span = wide ? 2 ** 53 : 0x100000000;
    const limit = span - (span % n);
    for (;;) {
      const x = wide ? (this.nextUint32() % 0x200000) * 0x100000000 + this.nextUint32() : this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal by the Box–Muller transform (one of the pair is discarded: simple and stateless). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1], so the log is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle of `order` in place. */
  shuffle(order: Uint32Array): void {
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The SplitMix32 finalizer (Stafford's mix, the 32-bit variant used by SplitMix32). */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
