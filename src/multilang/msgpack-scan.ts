/**
 * Finds where each top-level msgpack value ends without decoding it, resumably.
 *
 * pystorm's msgpack stream has no framing: values are simply concatenated. Retrying a full
 * decode on every chunk would re-parse a large value from its start each time (quadratic for a
 * big value arriving in small chunks) and cannot bound memory before the value completes. This
 * scanner walks only the headers (a string's bytes are skipped by length), keeps its position
 * and open containers across chunks, and checks size and depth limits as it goes; the actual
 * decoding happens once per complete value.
 */
import { FrameTooLargeError, ProtocolError } from './errors.js';

/** {@link MsgpackScanner.next}'s answer when the value in progress is not complete yet. */
export const NEED_MORE = -1;

export class MsgpackScanner {
  /** Start of the top-level value being scanned. */
  valueStart = 0;
  /** Next unread byte. */
  pos = 0;
  /** Children still expected by each open container, innermost last. */
  private readonly open: number[] = [];

  constructor(
    private readonly maxValueBytes: number,
    private readonly maxDepth: number,
  ) {}

  /** True between values (no container open, nothing of the next value read). */
  get atValueStart(): boolean {
    return this.open.length === 0 && this.pos === this.valueStart;
  }

  /**
   * Scans `buf[pos, end)`. Returns the end offset of the first top-level value that completes
   * (the next value then starts there), or {@link NEED_MORE}.
   * @throws FrameTooLargeError, ProtocolError for limits and bytes msgpack never uses.
   */
  next(buf: Uint8Array, end: number): number {
    while (this.pos < end) {
      const size = this.elementSize(buf, this.pos, end);
      if (size < 0) break;
      this.pos += size;
      if (this.closeCompleted()) {
        if (this.pos - this.valueStart > this.maxValueBytes) this.tooLarge(buf, this.pos);
        this.valueStart = this.pos;
        return this.pos;
      }
    }
    if (end - this.valueStart > this.maxValueBytes) this.tooLarge(buf, end);
    return NEED_MORE;
  }

  /** Call after the first `delta` bytes were dropped from the buffer. */
  rebase(delta: number): void {
    this.pos -= delta;
    this.valueStart -= delta;
  }

  /**
   * Size of the element (header plus inline payload) at `p`, opening a container if it is one;
   * -1 if its header or payload is not all in the buffer yet.
   */
  private elementSize(buf: Uint8Array, p: number, end: number): number {
    const b = buf[p]!;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return 1;
    if (b <= 0x8f) return this.container(1, (b & 0x0f) * 2);
    if (b <= 0x9f) return this.container(1, b & 0x0f);
    if (b <= 0xbf) return this.payload(p, end, 1, b & 0x1f);
    switch (b) {
      case 0xc4: case 0xd9: return this.sized(buf, p, end, 1, 0); // bin8, str8
      case 0xc5: case 0xda: return this.sized(buf, p, end, 2, 0); // bin16, str16
      case 0xc6: case 0xdb: return this.sized(buf, p, end, 4, 0); // bin32, str32
      case 0xc7: return this.sized(buf, p, end, 1, 1); // ext8 (+ type byte)
      case 0xc8: return this.sized(buf, p, end, 2, 1); // ext16
      case 0xc9: return this.sized(buf, p, end, 4, 1); // ext32
      case 0xca: case 0xce: case 0xd2: return this.payload(p, end, 1, 4);
      case 0xcb: case 0xcf: case 0xd3: return this.payload(p, end, 1, 8);
      case 0xcc: case 0xd0: return this.payload(p, end, 1, 1);
      case 0xcd: case 0xd1: return this.payload(p, end, 1, 2);
      case 0xd4: return this.payload(p, end, 2, 1); // fixext 1..16 (+ type byte)
      case 0xd5: return this.payload(p, end, 2, 2);
      case 0xd6: return this.payload(p, end, 2, 4);
      case 0xd7: return this.payload(p, end, 2, 8);
      case 0xd8: return this.payload(p, end, 2, 16);
      case 0xdc: return this.counted(buf, p, end, 2, 1); // array16
      case 0xdd: return this.counted(buf, p, end, 4, 1); // array32
      case 0xde: return this.counted(buf, p, end, 2, 2); // map16
      case 0xdf: return this.counted(buf, p, end, 4, 2); // map32
    }
    // Only 0xc1 is left: "never used" in the msgpack spec.
    throw new ProtocolError(`invalid msgpack byte 0x${b.toString(16)}`, { input: buf.subarray(this.valueStart, Math.min(end, p + 16)) });
  }

  /** An element of `header` bytes plus `length` payload bytes. */
  private payload(p: number, end: number, header: number, length: number): number {
    // Checked against the declared length, so a huge string is refused before it arrives.
    const valueBytes = p + header + length - this.valueStart;
    if (valueBytes > this.maxValueBytes) throw new FrameTooLargeError(this.maxValueBytes, valueBytes);
    return p + header + length <= end ? header + length : -1;
  }

  /** str/bin/ext: a 1/2/4-byte big-endian length after the marker (and `extra` type bytes). */
  private sized(buf: Uint8Array, p: number, end: number, lenBytes: number, extra: number): number {
    if (p + 1 + lenBytes > end) return -1;
    return this.payload(p, end, 1 + lenBytes + extra, readUint(buf, p + 1, lenBytes));
  }

  /** array16/32, map16/32: a count after the marker; maps hold two elements per entry. */
  private counted(buf: Uint8Array, p: number, end: number, lenBytes: number, perEntry: number): number {
    if (p + 1 + lenBytes > end) return -1;
    return this.container(1 + lenBytes, readUint(buf, p + 1, lenBytes) * perEntry);
  }

  private container(header: number, children: number): number {
    if (children > 0) {
      if (this.open.length >= this.maxDepth) {
        throw new ProtocolError(`msgpack value nests deeper than ${this.maxDepth} levels`);
      }
      // Pushed before the caller advances; the element itself is the header only.
      this.open.push(children + 1);
    }
    return header;
  }

  /**
   * Counts the element just read against its parent, closing every container it completes.
   * Returns true when a top-level value is complete.
   */
  private closeCompleted(): boolean {
    const open = this.open;
    for (;;) {
      const last = open.length - 1;
      if (last < 0) return true;
      const remaining = open[last]! - 1;
      if (remaining > 0) {
        open[last] = remaining;
        return false;
      }
      open.pop();
    }
  }

  private tooLarge(buf: Uint8Array, end: number): never {
    throw new FrameTooLargeError(this.maxValueBytes, end - this.valueStart, { input: buf.subarray(this.valueStart, end) });
  }
}

function readUint(buf: Uint8Array, p: number, bytes: number): number {
  let n = 0;
  for (let k = 0; k < bytes; k++) n = n * 256 + buf[p + k]!;
  return n;
}
