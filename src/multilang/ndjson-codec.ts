/**
 * Squall's `ndjson` serializer, for languages with no multilang adapter (a bash/jq/awk loop can
 * speak it): the same messages as Storm's JSON serializer, one compact JSON value per line, no
 * `end` lines. Input tolerates CRLF and skips blank lines.
 */
import { SerializerMismatchError } from './errors.js';
import { stringifyJson } from './json-text.js';
import { TextFrameDecoder, type FrameEnd, type NeedMore } from './text-frames.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Encodes one message as an NDJSON line: compact JSON + "\n". JSON never needs a raw newline
 * (strings escape it), so one message is always one line.
 * @throws TypeError if the value has no JSON text.
 */
export function encodeNdjson(msg: unknown): string {
  return stringifyJson(msg) + '\n';
}

/** Incremental NDJSON decoder; same contract as `JsonFrameDecoder`. */
export class NdjsonDecoder extends TextFrameDecoder {
  protected readonly serializer = 'ndjson';

  protected locate(buf: Uint8Array, start: number, from: number, end: number): FrameEnd | NeedMore {
    const nl = buf.indexOf(LF, from);
    if (nl < 0) return { resumeAt: end };
    if (isEndLine(buf, start, nl)) {
      // A bare "end" line is Storm JSON framing, never valid NDJSON.
      throw new SerializerMismatchError('ndjson', 'json ("end" lines of Storm\'s JSON serializer)', { input: buf.subarray(start, nl + 1) });
    }
    return { bodyEnd: nl, next: nl + 1 };
  }

  protected onBlankFrame(): void {
    // Blank lines are allowed between messages.
  }

  protected onUnterminatedTail(rest: Uint8Array, out: unknown[]): void {
    // A last line without "\n" is still a whole message (e.g. `printf` without a newline).
    this.decodeFrame(rest, 0, rest.length, out);
  }
}

function isEndLine(buf: Uint8Array, start: number, nl: number): boolean {
  const len = buf[nl - 1] === CR ? nl - 1 - start : nl - start;
  return len === 3 && buf[start] === 0x65 && buf[start + 1] === 0x6e && buf[start + 2] === 0x64;
}
