/**
 * A growable byte buffer for the unfinished tail of a stream. Decoders only copy into it when a
 * frame straddles chunks; frames that lie inside one chunk are decoded straight from the chunk.
 */

/** Buffers above this size are dropped once emptied, so one huge frame does not pin memory. */
const RETAIN_LIMIT = 1024 * 1024;

export class PendingBytes {
  private buf = new Uint8Array(0);
  private len = 0;

  /** @param softCap growth stops doubling here, so capacity stays near the frame limit. */
  constructor(private readonly softCap: number) {}

  get length(): number {
    return this.len;
  }

  /** The buffered bytes (a view, valid until the next mutation). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  append(bytes: Uint8Array): void {
    const needed = this.len + bytes.length;
    if (needed > this.buf.length) this.grow(needed);
    this.buf.set(bytes, this.len);
    this.len = needed;
  }

  /** Drops the first `n` bytes. */
  consume(n: number): void {
    if (n <= 0) return;
    if (n >= this.len) {
      this.clear();
      return;
    }
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }

  clear(): void {
    this.len = 0;
    if (this.buf.length > RETAIN_LIMIT) this.buf = new Uint8Array(0);
  }

  private grow(needed: number): void {
    // Doubling keeps appends amortised O(1); the cap keeps a rejected giant frame from
    // allocating twice the limit before it is rejected.
    const doubled = Math.max(this.buf.length * 2, 4096);
    const capacity = Math.max(needed, Math.min(doubled, this.softCap));
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
