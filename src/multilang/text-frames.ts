/**
 * The machinery shared by the two text serializers (Storm JSON with `end` lines, and NDJSON):
 * split a byte stream into frames, decode each frame's UTF-8 and parse it as JSON.
 *
 * Frames are split on bytes, not text: the byte 0x0A never occurs inside a multi-byte UTF-8
 * sequence, so a chunk boundary inside a character needs no special care, and the frame limit
 * counts real bytes. Frames inside one chunk are decoded from the chunk directly; only the
 * unfinished tail is copied, and the terminator search resumes where the previous one stopped.
 */
import { BufferedDecoder } from './buffered-decoder.js';
import { FrameTooLargeError, InvalidJsonError, SerializerMismatchError } from './errors.js';
import { JsonSyntaxError, parseJsonText } from './json-text.js';
import { exceedsDepth } from './limits.js';

const LF = 0x0a;

/** Where the frame starting at some offset ends; see {@link TextFrameDecoder.locate}. */
export interface FrameEnd {
  /** Exclusive end of the frame body. */
  bodyEnd: number;
  /** Where the next frame starts (after the terminator). */
  next: number;
}

/** Result of a search that found no complete frame yet: where to resume scanning. */
export interface NeedMore {
  resumeAt: number;
}

/**
 * Base class of the JSON and NDJSON decoders. Subclasses say how a frame ends ({@link locate})
 * and what a blank frame means ({@link onBlankFrame}).
 */
export abstract class TextFrameDecoder extends BufferedDecoder {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  /** Offset inside `pending` where the terminator search resumes. */
  private scanFrom = 0;

  finish(): unknown[] {
    this.assertUsable();
    const rest = this.pending.view();
    const out: unknown[] = [];
    try {
      if (!isBlank(rest, 0, rest.length)) this.onUnterminatedTail(rest, out);
    } catch (err) {
      throw this.fail(err, out);
    }
    this.pending.clear();
    this.scanFrom = 0;
    return out;
  }

  /**
   * Finds the end of the frame that starts at `start`, scanning from `from` (bytes before it were
   * already searched). `end` is the end of valid data.
   */
  protected abstract locate(buf: Uint8Array, start: number, from: number, end: number): FrameEnd | NeedMore;

  /** A frame whose body is empty or whitespace: NDJSON skips it, Storm JSON rejects it. */
  protected abstract onBlankFrame(buf: Uint8Array, start: number, bodyEnd: number): void;

  /** End of stream with non-blank bytes buffered. */
  protected abstract onUnterminatedTail(rest: Uint8Array, out: unknown[]): void;

  /** Decodes one frame body into `out` (shared with `finish` implementations). */
  protected decodeFrame(buf: Uint8Array, start: number, bodyEnd: number, out: unknown[]): void {
    if (bodyEnd - start > this.limits.maxFrameBytes) {
      throw new FrameTooLargeError(this.limits.maxFrameBytes, bodyEnd - start, { input: buf.subarray(start, bodyEnd) });
    }
    if (isBlank(buf, start, bodyEnd)) {
      this.onBlankFrame(buf, start, bodyEnd);
      return;
    }
    const body = buf.subarray(start, bodyEnd);
    const value = this.parseBody(body, this.decodeUtf8(body));
    out.push(value);
  }

  protected drain(buf: Uint8Array, out: unknown[], fromChunk: boolean): void {
    const end = buf.length;
    let start = 0;
    let from = fromChunk ? 0 : this.scanFrom;
    let found = this.locateChecked(buf, start, from, end);
    while ('bodyEnd' in found) {
      this.decodeFrame(buf, start, found.bodyEnd, out);
      start = from = found.next;
      found = this.locateChecked(buf, start, from, end);
    }
    this.keepTail(buf, start, found.resumeAt, fromChunk);
  }

  private locateChecked(buf: Uint8Array, start: number, from: number, end: number): FrameEnd | NeedMore {
    // O(1) in practice: the first byte of a frame is almost always '{'.
    this.checkFrameStart(buf, start, end);
    return this.locate(buf, start, from, end);
  }

  /** Keeps the unfinished frame `[start, end)` for the next push, within the frame limit. */
  private keepTail(buf: Uint8Array, start: number, resumeAt: number, fromChunk: boolean): void {
    const limit = this.limits.maxFrameBytes + 8; // the terminator may be partly buffered
    if (buf.length - start > limit) {
      // Checked before copying, so one giant chunk is refused without being buffered.
      throw new FrameTooLargeError(this.limits.maxFrameBytes, buf.length - start, { input: buf.subarray(start) });
    }
    this.keepRest(buf, start, fromChunk);
    this.scanFrom = resumeAt - start;
  }

  /**
   * Fails fast on bytes that can never start JSON text. msgpack output (a map or array header)
   * would otherwise be buffered until the frame limit, since it contains no `end` line.
   */
  private checkFrameStart(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end && isWs(buf[i]!)) i++;
    if (i === end) return;
    const b = buf[i]!;
    if (b < 0x80 || b === 0xef /* UTF-8 byte-order mark, stripped by the decoder */) return;
    const input = buf.subarray(i, Math.min(end, i + 64));
    if (looksLikeMsgpackContainer(b)) {
      throw new SerializerMismatchError(this.serializer, `msgpack (first byte 0x${b.toString(16)})`, { input });
    }
    throw new InvalidJsonError(`${this.serializer} frame starts with byte 0x${b.toString(16)}, which cannot start JSON text`, { input });
  }

  private decodeUtf8(body: Uint8Array): string {
    try {
      return this.utf8.decode(body);
    } catch {
      throw new InvalidJsonError(`${this.serializer} frame is not valid UTF-8`, { input: body });
    }
  }

  private parseBody(body: Uint8Array, text: string): unknown {
    let value: unknown;
    try {
      value = parseJsonText(text, this.limits.maxDepth);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      throw new InvalidJsonError(`${this.serializer} frame is not valid JSON (${err.message})`, { input: text, cause: err });
    }
    // JSON.parse has no depth limit; only a long frame can be deep enough to matter.
    if (body.length > 2 * this.limits.maxDepth && exceedsDepth(value, this.limits.maxDepth)) {
      throw new InvalidJsonError(`${this.serializer} frame nests deeper than ${this.limits.maxDepth} levels`, { input: text });
    }
    return value;
  }
}

/** JSON whitespace (space, tab, CR, LF). */
function isWs(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === 0x09;
}

/** True when `[start, end)` holds only JSON whitespace. */
function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isWs(buf[i]!)) return false;
  return true;
}

/** msgpack map/array headers (fix, 16 and 32 bit): what every msgpack message starts with. */
function looksLikeMsgpackContainer(b: number): boolean {
  return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
}
