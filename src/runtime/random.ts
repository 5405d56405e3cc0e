/**
 * Fast 32-bit random numbers for edge ids (two per 64-bit id), seeded from the system CSPRNG.
 * xoshiro128**: a per-tuple crypto call would cost more than the rest of the emit path.
 */
export class Random32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed?: Uint32Array) {
    const s = seed ?? crypto.getRandomValues(new Uint32Array(4));
    this.a = s[0]! | 0;
    this.b = s[1]! | 0;
    this.c = s[2]! | 0;
    this.d = s[3]! | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
