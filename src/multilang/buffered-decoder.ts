/**
 * What every multilang decoder shares, whatever its framing: limits, the buffer for a frame
 * that straddles chunks, and the failure contract of {@link MultilangDecoder} (after a throw the
 * decoder is unusable, and the error carries the messages decoded before it).
 */
import { ProtocolError } from './errors.js';
import { compileDecoderOptions, type CompiledDecoderOptions, type DecoderOptions, type MultilangDecoder } from './limits.js';
import { PendingBytes } from './pending-bytes.js';

const encoder = new TextEncoder();

/** Base class of the text (JSON, NDJSON) and msgpack decoders. */
export abstract class BufferedDecoder implements MultilangDecoder {
  /** Serializer name used in error messages ("json", "ndjson", "msgpack"). */
  protected abstract readonly serializer: string;
  protected readonly limits: CompiledDecoderOptions;
  protected readonly pending: PendingBytes;
  private failure: ProtocolError | undefined;

  constructor(opts: DecoderOptions = {}) {
    this.limits = compileDecoderOptions(opts);
    this.pending = new PendingBytes(this.limits.maxFrameBytes + 64 * 1024);
  }

  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array | string): unknown[] {
    this.assertUsable();
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    const out: unknown[] = [];
    try {
      if (this.pending.length === 0) {
        this.drain(bytes, out, true);
      } else {
        this.pending.append(bytes);
        this.drain(this.pending.view(), out, false);
      }
    } catch (err) {
      throw this.fail(err, out);
    }
    return out;
  }

  abstract finish(): unknown[];

  /**
   * Decodes every complete frame of `buf` into `out` and keeps the unfinished rest in `pending`:
   * `buf` is either a fresh chunk (`fromChunk`, nothing buffered) or `pending`'s own view.
   */
  protected abstract drain(buf: Uint8Array, out: unknown[], fromChunk: boolean): void;

  /** After `drain`: keeps `buf[start..]`, the unfinished frame, for the next push. */
  protected keepRest(buf: Uint8Array, start: number, fromChunk: boolean): void {
    if (fromChunk) {
      if (start < buf.length) this.pending.append(buf.subarray(start));
    } else {
      this.pending.consume(start);
    }
  }

  protected assertUsable(): void {
    if (this.failure) {
      throw new ProtocolError(`${this.serializer} decoder already failed: ${this.failure.message}`, { cause: this.failure });
    }
  }

  /** Marks the decoder failed by a protocol error; returns `err` for the caller to throw. */
  protected fail(err: unknown, out: unknown[]): unknown {
    if (err instanceof ProtocolError) {
      err.decodedBefore = out;
      this.failure = err;
      this.pending.clear(); // nothing more will be decoded; release the memory now
    }
    return err;
  }
}
