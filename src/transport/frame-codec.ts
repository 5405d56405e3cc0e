/**
 * The transport's wire codec: length-prefixed frames (see frame-types.ts for the layout) and an
 * incremental decoder that survives any split of the byte stream. Pure: no sockets, no `node:`
 * imports, so every rule here is tested with bytes alone.
 */
import { FrameTooLargeError, HandshakeError, MalformedFrameError, TransportError, asWireError } from './errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, HELLO_MAGIC, KIND_BACKPRESSURE, KIND_HELLO, KIND_TUPLES, PROTOCOL_VERSION,
  type BackpressureFrame, type Frame, type HelloFrame,
} from './frame-types.js';
import { decodeTuplesPayload } from './tuples-codec.js';
import { utf8Length } from '../common/text.js';
import { ByteReader, ByteWriter, MAX_SHORT_STRING_BYTES } from './wire.js';

export * from './frame-types.js';
export { BatchEncoder, decodeTuplesPayload, encodeTuples } from './tuples-codec.js';

/** Encodes a hello frame (length prefix included). */
export function encodeHello(h: Omit<HelloFrame, 'kind' | 'version'> & { version?: number }): Uint8Array {
  const w = new ByteWriter(256);
  w.u32(0);
  w.u8(KIND_HELLO);
  w.bytes(HELLO_MAGIC);
  w.u16(h.version ?? PROTOCOL_VERSION);
  writeString(w, h.topologyId, 'topology id');
  writeString(w, h.workerId, 'worker id');
  writeString(w, h.authToken, 'auth token');
  w.patchU32(0, w.length - FRAME_HEADER_BYTES);
  return w.toBytes();
}

/** Encodes a backpressure frame (length prefix included). */
export function encodeBackpressure(bp: Omit<BackpressureFrame, 'kind'>): Uint8Array {
  const w = new ByteWriter(64 + 4 * (bp.congested.length + bp.relieved.length));
  w.u32(0);
  w.u8(KIND_BACKPRESSURE);
  writeString(w, bp.workerId, 'worker id');
  for (const list of [bp.congested, bp.relieved]) {
    w.u32(list.length);
    for (const task of list) w.u32(task);
  }
  w.patchU32(0, w.length - FRAME_HEADER_BYTES);
  return w.toBytes();
}

/**
 * Decodes one frame's payload (what follows the length prefix).
 * @throws MalformedFrameError for a broken body; HandshakeError `E_TRANSPORT_VERSION` for a
 *   hello of another protocol version.
 */
export function decodePayload(payload: Uint8Array): Frame {
  if (payload.length === 0) throw new MalformedFrameError('empty frame');
  const kind = payload[0];
  switch (kind) {
    case KIND_TUPLES:
      return { kind: 'tuples', tuples: decodeTuplesPayload(payload) };
    case KIND_HELLO:
      return decodeHello(payload);
    case KIND_BACKPRESSURE:
      return decodeBackpressure(payload);
    default:
      throw new MalformedFrameError(`unknown frame kind ${kind}`);
  }
}

function decodeHello(payload: Uint8Array): HelloFrame {
  const r = new ByteReader(payload, 1);
  const magic = r.slice(HELLO_MAGIC.length, 'hello magic');
  if (!magic.every((b, i) => b === HELLO_MAGIC[i])) throw new MalformedFrameError('hello does not start with the Squall transport magic');
  const version = r.u16('protocol version');
  if (version !== PROTOCOL_VERSION) {
    throw new HandshakeError('E_TRANSPORT_VERSION', `peer speaks transport protocol version ${version}; this worker speaks ${PROTOCOL_VERSION}`, {
      hint: 'run the same Squall version on every worker of a topology',
    });
  }
  const topologyId = r.shortString('topology id');
  const workerId = r.shortString('worker id');
  const authToken = r.shortString('auth token');
  r.end('hello');
  return { kind: 'hello', version, topologyId, workerId, authToken };
}

function decodeBackpressure(payload: Uint8Array): BackpressureFrame {
  const r = new ByteReader(payload, 1);
  const workerId = r.shortString('worker id');
  const congested = readTaskList(r);
  const relieved = readTaskList(r);
  r.end('backpressure');
  return { kind: 'backpressure', workerId, congested, relieved };
}

function readTaskList(r: ByteReader): number[] {
  const n = r.u32('task count');
  if (n > r.remaining / 4) throw new MalformedFrameError(`task count ${n} does not fit in ${r.remaining} bytes`);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = r.u32('task id');
  return out;
}

function writeString(w: ByteWriter, s: string, what: string): void {
  if (utf8Length(s) > MAX_SHORT_STRING_BYTES) throw new RangeError(`${what} is longer than ${MAX_SHORT_STRING_BYTES} bytes`);
  w.shortString(s);
}

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest payload accepted. A length prefix above it fails at once, before any of the body is
   * buffered. Can be changed later (the server starts small until the hello is accepted).
   * @default DEFAULT_MAX_FRAME_BYTES (16 MiB)
   */
  maxFrameBytes?: number;
}

/**
 * Turns a byte stream into frames. `push` accepts chunks split anywhere (inside the length
 * prefix, inside a body, several frames at once) and returns every frame they complete. A frame
 * wholly inside one chunk is decoded in place; a split one is copied into one buffer of exactly
 * its declared size, allocated only after that size has passed the limit.
 *
 * After any throw the decoder is unusable: later calls throw a TransportError whose cause is the
 * first failure. Resynchronising a byte stream after garbage is guesswork; the connection closes.
 */
export class FrameDecoder {
  private limit: number;
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private failure: TransportError | undefined;

  constructor(opts: FrameDecoderOptions = {}) {
    this.limit = checkLimit(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  get maxFrameBytes(): number {
    return this.limit;
  }

  set maxFrameBytes(n: number) {
    this.limit = checkLimit(n);
  }

  /** Bytes held for the frame in progress (never more than 4 + maxFrameBytes). */
  get bufferedBytes(): number {
    return this.headerFill + this.bodyFill;
  }

  /**
   * Decodes every frame completed by `chunk`.
   * @throws FrameTooLargeError, MalformedFrameError, HandshakeError. The error's
   *   `decodedBefore` holds the frames this call completed before the failure.
   */
  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    try {
      this.pushEach(chunk, (f) => {
        out.push(f);
        return true;
      });
    } catch (err) {
      (err as TransportError).decodedBefore = out;
      throw err;
    }
    return out;
  }

  /**
   * Like push, but hands each frame to `onFrame` as soon as it is complete, before the next
   * length prefix is even read. A receiver can therefore check a hello and raise
   * `maxFrameBytes` (or refuse the peer) between two frames of one chunk. Returning false stops
   * decoding; the decoder is then unusable, the rest of the chunk is discarded.
   * @throws FrameTooLargeError, MalformedFrameError, HandshakeError
   */
  pushEach(chunk: Uint8Array, onFrame: (frame: Frame) => boolean): void {
    if (this.failure) throw new TransportError('frame decoder used after a failure', { cause: this.failure });
    try {
      if (!this.consume(chunk, onFrame)) this.failure = new TransportError('frame decoding stopped by its consumer');
    } catch (err) {
      this.failure = asWireError(err, 'bad frame');
      throw this.failure;
    }
  }

  /** Returns false when onFrame asked to stop. */
  private consume(chunk: Uint8Array, onFrame: (frame: Frame) => boolean): boolean {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.body === null) {
        let length: number;
        if (this.headerFill === 0 && end - pos >= FRAME_HEADER_BYTES) {
          length = readU32(chunk, pos);
          pos += FRAME_HEADER_BYTES;
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, end - pos);
          this.header.set(chunk.subarray(pos, pos + n), this.headerFill);
          this.headerFill += n;
          pos += n;
          if (this.headerFill < FRAME_HEADER_BYTES) return true;
          this.headerFill = 0;
          length = readU32(this.header, 0);
        }
        if (length > this.limit) throw new FrameTooLargeError(this.limit, length);
        if (length === 0) throw new MalformedFrameError('empty frame');
        if (end - pos >= length) {
          const frame = decodePayload(chunk.subarray(pos, pos + length));
          pos += length;
          if (!onFrame(frame)) return false;
          continue;
        }
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
      const n = Math.min(this.body.length - this.bodyFill, end - pos);
      this.body.set(chunk.subarray(pos, pos + n), this.bodyFill);
      this.bodyFill += n;
      pos += n;
      if (this.bodyFill === this.body.length) {
        const body = this.body;
        this.body = null;
        this.bodyFill = 0;
        if (!onFrame(decodePayload(body))) return false;
      }
    }
    return true;
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function checkLimit(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`maxFrameBytes must be an integer in [1, 2^32), got ${n}`);
  return n;
}
