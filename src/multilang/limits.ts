/**
 * Decoder options and limits shared by every serializer, and the decoder interface the hosts
 * program against.
 */

/** Default cap for one frame (JSON body, NDJSON line or msgpack value): 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Default cap on array/object nesting. Real messages nest 3–5 levels; a cap keeps recursive
 * encoders (ours, msgpackr's, `JSON.stringify`) far from the stack limit when a child sends a
 * `[[[[…` bomb.
 */
export const DEFAULT_MAX_DEPTH = 512;

/** Options of every decoder. */
export interface DecoderOptions {
  /**
   * Largest frame accepted, in bytes. A frame is rejected as soon as it grows past this, without
   * waiting for its end.
   * @default DEFAULT_MAX_FRAME_BYTES (16 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Deepest array/object nesting accepted in one message.
   * @default DEFAULT_MAX_DEPTH (512)
   */
  maxDepth?: number;
}

export interface CompiledDecoderOptions {
  readonly maxFrameBytes: number;
  readonly maxDepth: number;
}

/** Fills defaults and rejects nonsense limits (a programming error, hence RangeError). */
export function compileDecoderOptions(opts: DecoderOptions = {}): CompiledDecoderOptions {
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1) {
    throw new RangeError(`maxFrameBytes must be a positive integer, got ${maxFrameBytes}`);
  }
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
  }
  return { maxFrameBytes, maxDepth };
}

/**
 * An incremental decoder: feed it the child's stdout chunks as they arrive, get back whole
 * decoded messages (not yet validated; see `parseChildMessage`).
 *
 * After any throw the decoder is unusable: every later call throws a {@link ProtocolError}
 * whose cause is the first error. Resynchronising a byte stream after garbage is guesswork, and
 * Storm treats any protocol error as fatal for the component anyway.
 */
export interface MultilangDecoder {
  /**
   * Decodes every complete message in `chunk` plus what was buffered before it.
   * @throws ProtocolError (or a subclass) on malformed input; see `decodedBefore` on the error.
   */
  push(chunk: Uint8Array | string): unknown[];
  /**
   * Call at end of stream. Returns a final message if the serializer allows an unterminated
   * last one (NDJSON), throws if a partial frame is left (JSON, msgpack).
   */
  finish(): unknown[];
  /** Bytes held for the frame in progress; never much more than `maxFrameBytes` + one chunk. */
  readonly bufferedBytes: number;
}

/**
 * True when `node` nests arrays/objects more than `remaining` levels deep. Recursion is safe
 * here: it stops at that many levels whatever the input, and it allocates nothing per node
 * (this runs on every large decoded frame).
 */
export function exceedsDepth(node: unknown, remaining: number): boolean {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return false;
  if (remaining <= 0) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (exceedsDepth(node[i], remaining - 1)) return true;
    return false;
  }
  for (const key in node) {
    if (Object.prototype.hasOwnProperty.call(node, key) && exceedsDepth((node as Record<string, unknown>)[key], remaining - 1)) return true;
  }
  return false;
}
