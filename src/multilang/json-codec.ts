/**
 * Storm's JSON serializer: each message is JSON text followed by a line that is exactly `end`.
 *
 * Output follows the strictest adapter (storm.js splits on the exact bytes "\nend\n"): compact
 * single-line JSON, LF only. Input follows Storm's reader (Java `readLine`): the body may span
 * lines, lines may end in CRLF, blank lines before a message are harmless. Unlike `readLine`,
 * a lone CR (classic Mac line end) is not a line break; no adapter writes one.
 */
import { InvalidJsonError, ProtocolError } from './errors.js';
import { stringifyJson } from './json-text.js';
import { TextFrameDecoder, type FrameEnd, type NeedMore } from './text-frames.js';

/** The bytes that end every frame we write. */
export const JSON_FRAME_TERMINATOR = '\nend\n';

const LF = 0x0a;
const CR = 0x0d;
const END = [0x65, 0x6e, 0x64] as const; // "end"

/**
 * Encodes one message as a Storm multilang JSON frame: compact JSON + "\nend\n".
 * `bigint`s (lossless ids from {@link JsonFrameDecoder}) are written back digit for digit.
 * @throws TypeError if the value has no JSON text (undefined, a function, a cycle).
 */
export function encodeJsonFrame(msg: unknown): string {
  return stringifyJson(msg) + JSON_FRAME_TERMINATOR;
}

/**
 * Incremental decoder for Storm JSON frames. Feed stdout chunks (bytes or text) to `push`; it
 * returns every complete message, parsed, with integers beyond 2^53 as `bigint`.
 *
 * @example
 * const d = new JsonFrameDecoder({ maxFrameBytes: 16 << 20 });
 * d.push('{"command":"sync"}\nen'); // []
 * d.push('d\n');                     // [{ command: 'sync' }]
 */
export class JsonFrameDecoder extends TextFrameDecoder {
  protected readonly serializer = 'json';

  protected locate(buf: Uint8Array, start: number, from: number, end: number): FrameEnd | NeedMore {
    if (from === start) {
      // An `end` line right at a frame start means an empty body.
      const m = matchEndLine(buf, start, end);
      if (m > 0) throw new ProtocolError('empty json frame: an "end" line with no message before it', { input: buf.subarray(start, start + m) });
      if (m < 0) return { resumeAt: start };
    }
    for (let i = from; ; ) {
      const nl = buf.indexOf(LF, i);
      if (nl < 0) return { resumeAt: end };
      const m = matchEndLine(buf, nl + 1, end);
      // The body excludes the LF; a CR before it is JSON whitespace and harmless.
      if (m > 0) return { bodyEnd: nl, next: nl + 1 + m };
      if (m < 0) return { resumeAt: nl };
      i = nl + 1;
    }
  }

  protected onBlankFrame(buf: Uint8Array, start: number, bodyEnd: number): void {
    throw new ProtocolError('empty json frame: an "end" line after only whitespace', { input: buf.subarray(start, bodyEnd) });
  }

  protected onUnterminatedTail(rest: Uint8Array, out: unknown[]): void {
    // Java's readLine also returns a last line without a newline, so Storm accepts a final
    // "end" with no LF after it; so do we.
    const bodyEnd = finalEndLineStart(rest);
    if (bodyEnd >= 0) {
      this.decodeFrame(rest, 0, bodyEnd, out);
      return;
    }
    throw new InvalidJsonError('stream ended inside a json frame (no "end" line after it)', { input: rest });
  }
}

/**
 * Matches a line that is exactly `end` at `p`: returns its length including the line break
 * (4 for LF, 5 for CRLF), 0 if it is something else, -1 if more bytes are needed to tell.
 */
function matchEndLine(buf: Uint8Array, p: number, end: number): number {
  for (let k = 0; k < 3; k++) {
    if (p + k >= end) return -1;
    if (buf[p + k] !== END[k]) return 0;
  }
  if (p + 3 >= end) return -1;
  const b = buf[p + 3];
  if (b === LF) return 4;
  if (b !== CR) return 0;
  if (p + 4 >= end) return -1;
  return buf[p + 4] === LF ? 5 : 0;
}

/** If `rest` ends with "\nend" (or "\nend\r"), the offset of that LF, else -1. */
function finalEndLineStart(rest: Uint8Array): number {
  let n = rest.length;
  if (rest[n - 1] === CR) n--;
  const nl = n - 4;
  if (nl < 0 || rest[nl] !== LF) return -1;
  return rest[nl + 1] === END[0] && rest[nl + 2] === END[1] && rest[nl + 3] === END[2] ? nl : -1;
}
