/**
 * Errors raised by the multilang codecs. All of them are {@link ProtocolError}s, so a host can
 * treat "the child broke the protocol" with one `instanceof` and still tell the cases apart by
 * `code`. Each carries a bounded excerpt of what was read, because the first question after a
 * protocol failure is always "what did the child actually write?".
 */
import { SquallError, type SquallErrorOptions } from '../common/errors.js';

/** Longest excerpt (in characters) attached to a protocol error. */
export const MAX_EXCERPT_CHARS = 200;

export interface ProtocolErrorOptions extends SquallErrorOptions {
  /** The offending input: raw bytes, text, or an already decoded value. */
  input?: unknown;
}

/**
 * Thrown when a child (or, in tests, a parent) sends something the multilang protocol does not
 * allow: bytes that are not a frame, a frame that is not JSON/msgpack, a message with missing or
 * mistyped fields. Code `E_MULTILANG_PROTOCOL` unless a subclass says otherwise.
 */
export class ProtocolError extends SquallError {
  /** At most {@link MAX_EXCERPT_CHARS} characters of the offending input, printable. */
  readonly excerpt: string;
  /**
   * Messages that the same `push()` call decoded successfully before the failure. A child that
   * sends an `error` command followed by garbage (Petrel does this on purpose) should still get
   * its error reported, so decoders hand these over instead of dropping them.
   */
  decodedBefore: readonly unknown[] = [];

  /** @param code for subclasses only; callers use the default. */
  constructor(message: string, options: ProtocolErrorOptions = {}, code = 'E_MULTILANG_PROTOCOL') {
    const excerpt = options.input === undefined ? '' : makeExcerpt(options.input);
    super(code, excerpt ? `${message}; got: ${excerpt}` : message, options);
    this.excerpt = excerpt;
  }
}

/**
 * Thrown as soon as one frame (or msgpack value) grows past `maxFrameBytes`, before its end has
 * arrived, so a runaway child cannot make the parent buffer without bound.
 */
export class FrameTooLargeError extends ProtocolError {
  readonly limit: number;
  readonly bufferedBytes: number;
  constructor(limit: number, bufferedBytes: number, options: ProtocolErrorOptions = {}) {
    super(
      `multilang frame exceeds the limit of ${limit} bytes (${bufferedBytes} bytes read)`,
      { hint: 'the child sent one huge message or never terminated it; split large values or raise the frame limit', ...options },
      'E_MULTILANG_FRAME_TOO_LARGE',
    );
    this.limit = limit;
    this.bufferedBytes = bufferedBytes;
  }
}

/**
 * Thrown when a frame's text is not JSON. The usual cause is a `print()` in user code writing to
 * stdout, which the protocol owns.
 */
export class InvalidJsonError extends ProtocolError {
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(
      message,
      { hint: 'a multilang child must write only protocol messages to stdout; log through the adapter (e.g. self.log(...)) instead of print()', ...options },
      'E_PROTOCOL_NONJSON',
    );
  }
}

/** Thrown when the bytes clearly belong to another serializer than the one configured. */
export class SerializerMismatchError extends ProtocolError {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, options: ProtocolErrorOptions = {}) {
    super(
      `serializer mismatch: expected ${expected} but the child sent ${actual}`,
      {
        hint: `set topology.multilang.serializer to the serializer the child uses (e.g. streamparse "-s msgpack" needs msgpack), or change the child to ${expected}`,
        ...options,
      },
      'E_MULTILANG_SERIALIZER_MISMATCH',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Renders any input as at most {@link MAX_EXCERPT_CHARS} printable characters: text is
 * JSON-escaped (so control characters and newlines are visible), binary data is shown as hex,
 * decoded values as JSON.
 */
export function makeExcerpt(input: unknown): string {
  let text: string;
  if (typeof input === 'string') text = escapeText(input.slice(0, MAX_EXCERPT_CHARS));
  else if (input instanceof Uint8Array) text = bytesExcerpt(input);
  else text = valueExcerpt(input);
  return text.length <= MAX_EXCERPT_CHARS ? text : `${text.slice(0, MAX_EXCERPT_CHARS - 3)}...`;
}

function escapeText(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function bytesExcerpt(bytes: Uint8Array): string {
  const head = bytes.subarray(0, MAX_EXCERPT_CHARS);
  const text = lenientUtf8.decode(head);
  // Mostly-printable bytes read better as text; anything else (msgpack) as hex.
  // eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
  if (!/[\uFFFD\u0000-\u0008\u000E-\u001F]/.test(text)) return escapeText(text);
  const hex = Array.from(head.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `hex ${hex}${bytes.length > 64 ? ' ...' : ''}`;
}

function valueExcerpt(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return s === undefined ? String(value) : s;
  } catch {
    return String(value);
  }
}
