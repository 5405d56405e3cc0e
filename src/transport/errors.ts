/**
 * Errors of the worker-to-worker transport. Every one is a {@link TransportError}, so a caller
 * can handle "the link or the peer misbehaved" with one `instanceof` and still tell the cases
 * apart by `code`. Wire errors (a peer sent bytes we will not accept) close that one connection;
 * they never take the server down.
 */
import { SquallError, type SquallErrorOptions } from '../common/errors.js';
import type { Frame } from './frame-types.js';

/** Base class; code `E_TRANSPORT` unless a subclass says otherwise. */
export class TransportError extends SquallError {
  /**
   * Frames the same `FrameDecoder.push()` call completed before this failure, so a receiver can
   * still deliver the good tuples that arrived in the chunk that ended with garbage.
   */
  decodedBefore: readonly Frame[] = [];

  /** @param code for subclasses only; callers use the default. */
  constructor(message: string, options: SquallErrorOptions = {}, code = 'E_TRANSPORT') {
    super(code, message, options);
  }
}

/**
 * Thrown by the frame decoder as soon as a length prefix announces more than the limit, before
 * a single byte of the body is buffered (the lesson of CVE-2026-82435: never allocate from an
 * untrusted length). Code `E_TRANSPORT_FRAME_TOO_LARGE`.
 */
export class FrameTooLargeError extends TransportError {
  readonly limit: number;
  readonly declaredBytes: number;
  constructor(limit: number, declaredBytes: number, options: SquallErrorOptions = {}) {
    super(`frame of ${declaredBytes} bytes exceeds the limit of ${limit} bytes`, {
      hint: 'the peer is not a Squall worker of this version, or a tuple is larger than transport.max.frame.bytes allows',
      ...options,
    }, 'E_TRANSPORT_FRAME_TOO_LARGE');
    this.limit = limit;
    this.declaredBytes = declaredBytes;
  }
}

/**
 * Thrown when a frame's body breaks the format: unknown kind, truncated or trailing bytes, an
 * out-of-range name index, invalid UTF-8, values that are not msgpack. Code `E_TRANSPORT_MALFORMED`.
 */
export class MalformedFrameError extends TransportError {
  constructor(message: string, options: SquallErrorOptions = {}) {
    super(message, options, 'E_TRANSPORT_MALFORMED');
  }
}

/** Why a connection's hello was refused; each reason is its own stable code. */
export type HandshakeFailure =
  | 'E_TRANSPORT_NO_HELLO'
  | 'E_TRANSPORT_VERSION'
  | 'E_TRANSPORT_TOPOLOGY_MISMATCH'
  | 'E_TRANSPORT_AUTH'
  | 'E_TRANSPORT_HELLO_TIMEOUT';

/**
 * Thrown (and logged by the server at WARN) when a new connection does not open with an
 * acceptable hello. Messages never contain the expected topology id or any token.
 */
export class HandshakeError extends TransportError {
  constructor(code: HandshakeFailure, message: string, options: SquallErrorOptions = {}) {
    super(message, options, code);
  }
}

/**
 * Thrown by `send()` when a tuple cannot be put on the wire: a value msgpack cannot carry (a
 * symbol, a bigint beyond ~1000 bits), a task id out of range, or one tuple larger than a frame.
 * The emit that caused it fails; nothing is queued. Code `E_TRANSPORT_SERIALIZE`.
 */
export class SerializationError extends TransportError {
  constructor(message: string, options: SquallErrorOptions = {}) {
    super(message, options, 'E_TRANSPORT_SERIALIZE');
  }
}

/** Thrown by `TcpRemoteTransport.send()` for a task that no worker address is known for. */
export class NoRouteError extends TransportError {
  constructor(task: number) {
    super(`no worker address known for task ${task}`, {
      context: { task },
      hint: 'the assignment given to the transport does not cover this task; it may be mid-reassignment',
      retriable: true,
    }, 'E_TRANSPORT_NO_ROUTE');
  }
}

/** Wraps anything thrown into a MalformedFrameError, keeping transport errors as they are. */
export function asWireError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new MalformedFrameError(`${what}: ${detail}`, { cause: err });
}
