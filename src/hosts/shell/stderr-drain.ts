/**
 * A child's stderr, drained continuously so the child can never block on a full pipe: split
 * into lines (each cut at maxLineBytes, the rest of an over-long line dropped and counted), and
 * the last tailBytes kept for error reports. Memory stays bounded whatever the child writes.
 */
export class StderrDrain {
  private partial = '';
  private dropping = 0;
  private tail = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = 8192,
    private readonly tailBytes = 64 * 1024,
  ) {}

  push(chunk: string): void {
    this.keepTail(chunk);
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.take(chunk.slice(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.slice(start), false);
  }

  /** Emits whatever partial line is left (at exit). */
  flush(): void {
    if (this.partial.length > 0 || this.dropping > 0) this.take('', true);
  }

  /** The last bytes the child wrote to stderr (at most tailBytes). */
  tailText(): string {
    return this.tail;
  }

  private take(piece: string, endOfLine: boolean): void {
    if (this.dropping > 0) {
      this.dropping += piece.length;
    } else if (this.partial.length + piece.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.partial.length;
      this.partial += piece.slice(0, room);
      this.dropping = piece.length - room;
    } else {
      this.partial += piece;
    }
    if (!endOfLine) return;
    const line = this.dropping > 0 ? `${this.partial}… (${this.dropping} more bytes of this line not logged)` : this.partial;
    this.partial = '';
    this.dropping = 0;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private keepTail(chunk: string): void {
    if (chunk.length >= this.tailBytes) {
      this.tail = chunk.slice(chunk.length - this.tailBytes);
      return;
    }
    const over = this.tail.length + chunk.length - this.tailBytes;
    this.tail = (over > 0 ? this.tail.slice(over) : this.tail) + chunk;
  }
}
