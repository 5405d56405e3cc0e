/**
 * Big-endian byte writing and reading for the frame codec. Pure (no `node:` imports): the writer
 * is a growable buffer reused from batch to batch so the hot path allocates only when a batch is
 * larger than any before it; the reader checks every bound and throws MalformedFrameError, so a
 * hostile frame can never read past its end or make us allocate from a length it claims.
 */
import { MalformedFrameError } from './errors.js';

const utf8Encoder = new TextEncoder();
// fatal: a peer that sends invalid UTF-8 in a name is broken; do not invent replacement chars.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Largest string (in UTF-8 bytes) a u16 length prefix can carry. */
export const MAX_SHORT_STRING_BYTES = 0xffff;

/** A growable output buffer with big-endian writers. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Forgets the content, keeping the storage. */
  reset(): void {
    this.length = 0;
  }

  /** Makes room for n more bytes (amortised doubling). */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
  }

  /** Overwrites a u32 written earlier (length fields known only at the end). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A u16 byte length, then the UTF-8 bytes. The caller checks the length (see utf8Length in src/common/text.ts). */
  shortString(s: string): void {
    const encoded = utf8Encoder.encode(s);
    this.u16(encoded.length);
    this.bytes(encoded);
  }

  /** A copy of what was written, exactly sized (the storage itself is reused). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}


/** Bounds-checked big-endian reader over one frame's payload. */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(readonly bytes: Uint8Array, start = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) {
      throw new MalformedFrameError(`frame truncated: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  slice(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  shortString(what: string): string {
    const n = this.u16(what);
    const raw = this.slice(n, what);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      throw new MalformedFrameError(`${what} is not valid UTF-8`);
    }
  }

  /** Throws unless every byte was consumed: trailing bytes mean the peer and we disagree. */
  end(what: string): void {
    if (this.pos !== this.bytes.length) {
      throw new MalformedFrameError(`${this.bytes.length - this.pos} unexpected trailing bytes after ${what}`);
    }
  }
}
