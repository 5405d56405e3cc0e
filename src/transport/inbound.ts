/**
 * The server's side of one accepted connection. Until a valid hello arrives the connection may
 * send at most one small frame (MAX_HELLO_FRAME_BYTES) within the hello timeout; anything else
 * closes it with a logged reason. Afterwards it carries tuples in, backpressure frames out.
 */
import type { Socket } from 'node:net';
import type { TimerHandle } from '../common/clock.js';
import { FramedConnection } from './connection.js';
import { HandshakeError, MalformedFrameError } from './errors.js';
import { MAX_HELLO_FRAME_BYTES, type DecodedTuple, type Frame, type HelloFrame } from './frame-types.js';

/** Who sent a batch: the peer worker's id (from its hello) and its socket address. */
export interface PeerInfo {
  readonly workerId: string;
  readonly remoteAddress: string;
}

/** What an inbound connection needs from its server. */
export interface InboundContext {
  readonly maxFrameBytes: number;
  readonly helloTimeoutMs: number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Checks topology id and token; throws HandshakeError to refuse. */
  checkHello(hello: HelloFrame): void;
  opened(peer: InboundPeer): void;
  deliver(tuples: DecodedTuple[], peer: InboundPeer): void;
  closed(peer: InboundPeer, error: Error | undefined): void;
}

/** hello: only a hello may arrive; open: tuples flow; closed: the socket is gone. */
export type InboundPhase = 'hello' | 'open' | 'closed';

/** One accepted connection, from its hello to its close. */
export class InboundPeer implements PeerInfo {
  phase: InboundPhase = 'hello';
  workerId = '';
  readonly conn: FramedConnection;
  private helloTimer: TimerHandle | undefined;

  constructor(socket: Socket, private readonly ctx: InboundContext) {
    socket.setNoDelay(true);
    this.conn = new FramedConnection(socket, MAX_HELLO_FRAME_BYTES, {
      onFrame: (frame) => this.handleFrame(frame),
      onClose: (error) => this.handleClose(error),
    });
    this.helloTimer = ctx.setTimeout(() => {
      this.conn.fail(new HandshakeError('E_TRANSPORT_HELLO_TIMEOUT', `no hello within ${ctx.helloTimeoutMs} ms`));
    }, ctx.helloTimeoutMs);
  }

  get remoteAddress(): string {
    return this.conn.remote;
  }

  /** Called by the connection with each decoded frame. */
  handleFrame(f: Frame): void {
    if (this.phase === 'hello') this.handleHello(f);
    else if (f.kind === 'tuples') this.ctx.deliver(f.tuples, this);
    else this.conn.fail(new MalformedFrameError(`unexpected ${f.kind} frame from a sending peer`));
  }

  handleClose(error: Error | undefined): void {
    this.phase = 'closed';
    this.helloTimer?.cancel();
    this.helloTimer = undefined;
    this.ctx.closed(this, error);
  }

  /** Sends a frame to the peer (backpressure); dropped if the connection is gone. */
  send(frame: Uint8Array): void {
    if (this.phase === 'open') this.conn.write(frame);
  }

  private handleHello(f: Frame): void {
    if (f.kind !== 'hello') {
      this.conn.fail(new HandshakeError('E_TRANSPORT_NO_HELLO', `first frame was ${f.kind}, not hello`));
      return;
    }
    try {
      this.ctx.checkHello(f);
    } catch (err) {
      this.conn.fail(err as Error);
      return;
    }
    this.helloTimer?.cancel();
    this.helloTimer = undefined;
    this.phase = 'open';
    this.workerId = f.workerId;
    this.conn.decoder.maxFrameBytes = this.ctx.maxFrameBytes;
    this.ctx.opened(this);
  }
}
