/**
 * One TCP connection carrying frames, used by both ends: bytes in go through a FrameDecoder and
 * come out as frames; frames out are written with cork/uncork so a burst becomes one writev.
 * Every failure (socket error, undecodable bytes, a rule broken by the owner's handler) ends in
 * exactly one `onClose(error)` call after the socket is gone, which keeps owners simple.
 */
import type { Socket } from 'node:net';
import { FrameDecoder } from './frame-codec.js';
import type { Frame } from './frame-types.js';

/** What a FramedConnection reports to its owner. */
export interface ConnectionHandlers {
  /**
   * One decoded frame, called before the next one is even parsed (so a hello can be checked and
   * limits changed in between). Decoding stops once the connection is no longer open.
   */
  onFrame(frame: Frame): void;
  /** The socket's write buffer emptied after a write returned false. */
  onDrain?(): void;
  /** The socket closed; `error` is the first failure seen, undefined for a clean close. */
  onClose(error: Error | undefined): void;
}

/** A socket speaking frames: decoding in, cork-batched writes out, one close notification. */
export class FramedConnection {
  readonly decoder: FrameDecoder;
  /** "address:port" of the other end, for logs. */
  readonly remote: string;
  private error: Error | undefined;
  private open = true;

  /** @param remote label for logs; default: the socket's remote address (known once connected). */
  constructor(readonly socket: Socket, maxFrameBytes: number, private readonly handlers: ConnectionHandlers, remote?: string) {
    this.decoder = new FrameDecoder({ maxFrameBytes });
    this.remote = remote ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('data', this.onData);
    // Without an 'error' listener a reset peer would crash the process.
    socket.on('error', (err) => {
      this.error ??= err;
      this.open = false;
    });
    socket.on('drain', () => handlers.onDrain?.());
    socket.once('close', () => {
      this.open = false;
      handlers.onClose(this.error);
    });
  }

  /** False once the connection failed, was closed, or is closing. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Bytes accepted by `write` but not yet handed to the kernel. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /** True while the socket wants no more writes until 'drain'. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Writes one frame; returns false when the caller should wait for onDrain. */
  write(frame: Uint8Array): boolean {
    if (!this.open) return false;
    return this.socket.write(frame);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Stops reading (TCP flow control then slows the sender down). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Half-closes after everything written so far is flushed. */
  end(): void {
    this.open = false;
    this.socket.end();
  }

  /** Closes at once, recording why (the reason reaches onClose). */
  fail(reason: Error): void {
    this.error ??= reason;
    this.open = false;
    this.socket.destroy();
  }

  /** Closes at once without an error. */
  destroy(): void {
    this.open = false;
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.open) return;
    try {
      this.decoder.pushEach(chunk, this.deliver);
    } catch (err) {
      this.fail(err as Error);
    }
  };

  private readonly deliver = (frame: Frame): boolean => {
    this.handlers.onFrame(frame);
    return this.open;
  };
}
