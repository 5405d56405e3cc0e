/**
 * What one client holds for its destination worker: the batch being built plus sealed frames
 * not yet handed to the socket. Pure bookkeeping (no I/O), so the bound that `isFull()` relies
 * on is unit-tested without sockets. Frames are self-contained (names interned per batch), so
 * whatever is here survives a reconnect and goes out on the next connection.
 */
import { BatchEncoder } from './tuples-codec.js';
import type { TupleLike } from './frame-types.js';

/** The subset of ClientTuning the buffer needs. */
export interface SendBufferLimits {
  maxFrameBytes: number;
  batchMaxTuples: number;
  batchMaxBytes: number;
}

/** One sealed frame and how many tuples it carries. */
export interface SealedFrame {
  bytes: Uint8Array;
  tuples: number;
}

/** Open batch + FIFO of sealed frames, with running byte and tuple totals. */
export class SendBuffer {
  private readonly encoder: BatchEncoder;
  private frames: SealedFrame[] = [];
  private head = 0;
  private sealedBytes = 0;
  private sealedTuples = 0;

  constructor(private readonly limits: SendBufferLimits) {
    this.encoder = new BatchEncoder(limits.maxFrameBytes);
  }

  /** Tuples held, sealed or in the open batch. */
  get tuples(): number {
    return this.sealedTuples + this.encoder.count;
  }

  /** Bytes held, sealed or in the open batch. */
  get bytes(): number {
    return this.sealedBytes + (this.encoder.count > 0 ? this.encoder.byteLength : 0);
  }

  /** Sealed frames waiting for the socket. */
  get frameCount(): number {
    return this.frames.length - this.head;
  }

  get isEmpty(): boolean {
    return this.sealedTuples === 0 && this.encoder.count === 0;
  }

  /**
   * Encodes a tuple into the open batch. Returns true when that batch reached a size threshold
   * and was sealed, i.e. there is a frame worth writing now.
   * @throws SerializationError (nothing is added)
   */
  add(t: TupleLike): boolean {
    const enc = this.encoder;
    if (!enc.add(t)) {
      this.seal();
      enc.add(t);
    }
    if (enc.count >= this.limits.batchMaxTuples || enc.byteLength >= this.limits.batchMaxBytes) {
      this.seal();
      return true;
    }
    return false;
  }

  /** Closes the open batch into a frame, if it has any tuple. */
  seal(): void {
    const enc = this.encoder;
    if (enc.count === 0) return;
    const tuples = enc.count;
    const bytes = enc.finish();
    this.frames.push({ bytes, tuples });
    this.sealedBytes += bytes.length;
    this.sealedTuples += tuples;
  }

  /** Takes the oldest sealed frame. */
  shift(): SealedFrame | undefined {
    if (this.head >= this.frames.length) return undefined;
    const f = this.frames[this.head]!;
    this.frames[this.head++] = EMPTY;
    // Compact now and then rather than shift() per frame (O(n) each).
    if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    this.sealedBytes -= f.bytes.length;
    this.sealedTuples -= f.tuples;
    return f;
  }

  /** Drops everything; returns how many tuples were dropped. */
  clear(): number {
    const dropped = this.tuples;
    this.encoder.clear();
    this.frames = [];
    this.head = 0;
    this.sealedBytes = 0;
    this.sealedTuples = 0;
    return dropped;
  }
}

const EMPTY: SealedFrame = { bytes: new Uint8Array(0), tuples: 0 };
