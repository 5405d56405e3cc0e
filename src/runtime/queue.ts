/**
 * An executor's input queue: a growable ring buffer with a soft capacity. Producers never
 * block (the runtime is single-threaded); instead an executor is not scheduled while any queue
 * it feeds is full, so a queue exceeds its capacity by at most one scheduling batch.
 */
export class TupleQueue<T> {
  readonly capacity: number;
  private buf: Array<T | undefined>;
  private mask: number;
  private head = 0;
  private tail = 0;
  /** Highest length ever seen; for backpressure tests and stats. */
  highWater = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 16;
    while (size < Math.min(capacity, 1 << 16)) size <<= 1;
    this.buf = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  isFull(): boolean {
    return this.length >= this.capacity;
  }

  push(item: T): void {
    this.buf[this.tail] = item;
    this.tail = (this.tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
    const len = this.length;
    if (len > this.highWater) this.highWater = len;
  }

  peek(): T | undefined {
    return this.head === this.tail ? undefined : this.buf[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    return item;
  }

  private grow(): void {
    // The buffer is exactly full (tail caught up with head): unroll it into a twice-larger one.
    const old = this.buf;
    const size = old.length * 2;
    const next = new Array<T | undefined>(size);
    let j = 0;
    for (let i = this.head; i < old.length; i++) next[j++] = old[i];
    for (let i = 0; i < this.head; i++) next[j++] = old[i];
    this.buf = next;
    this.head = 0;
    this.tail = old.length;
    this.mask = size - 1;
  }
}
