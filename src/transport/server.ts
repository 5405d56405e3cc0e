/**
 * The receiving end of worker-to-worker traffic: one listener per worker, one connection per
 * sending peer. It checks each connection's hello, hands decoded tuple batches to `onTuples`,
 * and tells every peer which local tasks are congested (Storm 2's BackPressureStatus) so they
 * stop sending to them. A misbehaving connection is closed with a logged reason; the server and
 * the other peers carry on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { IllegalStateError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { BackpressureTracker } from './backpressure.js';
import { HandshakeError, TransportError } from './errors.js';
import { encodeBackpressure } from './frame-codec.js';
import { DEFAULT_MAX_FRAME_BYTES, type DecodedTuple, type HelloFrame } from './frame-types.js';
import { InboundPeer, type InboundContext, type PeerInfo } from './inbound.js';
import { LogLimiter } from './log-limiter.js';
import {
  DEFAULT_BACKPRESSURE_CHECK_MS, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_MAX_CONNECTIONS, positiveInt,
} from './options.js';

export type { PeerInfo } from './inbound.js';

/** What `onTuples` may answer: local tasks that cannot take more for now. */
export interface TuplesVerdict {
  congested?: readonly number[];
}

/**
 * Receives each decoded batch, in arrival order per connection. It must take every tuple (the
 * sender stops within its bounded buffer once told); returning `congested` tasks announces
 * backpressure for them. A throw is logged and the batch counted as lost.
 */
export type TuplesHandler = (tuples: DecodedTuple[], from: PeerInfo) => TuplesVerdict | void;

/** Options of TransportServer.start. */
export interface TransportServerOptions {
  /** Peers must say hello with this topology id. */
  topologyId: string;
  /** This worker's id, sent in backpressure frames. */
  workerId: string;
  onTuples: TuplesHandler;
  /** @default "127.0.0.1" (binding elsewhere is logged at WARN: the transport has no TLS yet) */
  host?: string;
  /** @default 0 (an ephemeral port; read `address` after start) */
  port?: number;
  /** When set, a hello must carry exactly this token. Never logged. */
  authToken?: string;
  /**
   * Polled every `backpressureCheckMs` for each congested task; false relieves it. Without it,
   * call `relieve()` yourself.
   */
  isCongested?: (task: number) => boolean;
  /** @default 50 (Storm's topology.backpressure.check.millis) */
  backpressureCheckMs?: number;
  /** @default 16 MiB; must be ≥ every sender's maxFrameBytes */
  maxFrameBytes?: number;
  /** @default 10000 */
  helloTimeoutMs?: number;
  /** @default 1024 */
  maxConnections?: number;
  clock?: Clock;
  logger?: Logger;
}

/** listening → draining (no new connections) → closed, or listening → closed. */
export type TransportServerState = 'listening' | 'draining' | 'closed';

/** Counters for status pages and tests. */
export interface TransportServerStats {
  connections: number;
  rejected: number;
  batches: number;
  tuples: number;
  handlerErrors: number;
}

/**
 * A worker's transport listener. Create with `await TransportServer.start(...)`; release with
 * `drain()` (let peers finish) or `close()` / `await using` (at once).
 */
export class TransportServer {
  state: TransportServerState = 'listening';
  /** Resolves once the listener and every connection are closed. */
  readonly closed: Promise<void>;
  private readonly peers = new Set<InboundPeer>();
  private readonly tracker = new BackpressureTracker();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limited: LogLimiter;
  private readonly tokenDigest: Buffer | undefined;
  private readonly counters: TransportServerStats = { connections: 0, rejected: 0, batches: 0, tuples: 0, handlerErrors: 0 };
  private readonly ctx: InboundContext;
  private readonly checkMs: number;
  private recheckTimer: TimerHandle | undefined;
  private peersChanged: (() => void) | undefined;
  private paused = false;
  private resolveClosed!: () => void;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: TransportServerOptions, private readonly server: Server) {
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ module: 'transport', worker: opts.workerId });
    this.limited = new LogLimiter(this.logger, this.clock);
    this.ctx = {
      maxFrameBytes: positiveInt('maxFrameBytes', opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
      helloTimeoutMs: positiveInt('helloTimeoutMs', opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS),
      setTimeout: (fn, ms) => this.clock.setTimeout(fn, ms),
      checkHello: (hello) => this.checkHello(hello),
      opened: (peer) => this.peerOpened(peer),
      deliver: (tuples, peer) => this.deliver(tuples, peer),
      closed: (peer, error) => this.peerClosed(peer, error),
    };
    this.checkMs = positiveInt('backpressureCheckMs', opts.backpressureCheckMs ?? DEFAULT_BACKPRESSURE_CHECK_MS);
    this.tokenDigest = opts.authToken ? digest(opts.authToken) : undefined;
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    server.maxConnections = positiveInt('maxConnections', opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    server.on('connection', (socket) => this.accept(socket));
    // Errors after listen() (EMFILE on accept) must not crash the worker.
    server.on('error', (err) => this.limited.error(`transport listener error: ${err.message}`));
  }

  /**
   * Listens and resolves once bound.
   * @throws TransportError `E_TRANSPORT_LISTEN` (port in use, address not available...)
   */
  static async start(opts: TransportServerOptions): Promise<TransportServer> {
    const host = opts.host ?? DEFAULT_HOST;
    const port = opts.port ?? 0;
    const server = createServer({ noDelay: true });
    const s = new TransportServer(opts, server);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new TransportError(`cannot listen on ${host}:${port}: ${err.message}`, {
        cause: err, context: { worker: opts.workerId }, hint: 'is another worker using this slot port?',
      }, 'E_TRANSPORT_LISTEN'));
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    if (!isLoopback(host)) s.logger.warn(`transport listening on ${host} without TLS or mandatory auth; keep worker ports on a private network`);
    return s;
  }

  /** The bound address (the real port when started with port 0). */
  get address(): { host: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new IllegalStateError('transport server is not listening');
    return { host: a.address, port: a.port };
  }

  /** Local tasks announced as congested right now. */
  get congestedTasks(): ReadonlySet<number> {
    return this.tracker.congested;
  }

  stats(): TransportServerStats {
    return { ...this.counters, connections: this.peers.size };
  }

  /** Announces tasks as congested to every peer (no-op for those already congested). */
  congest(tasks: Iterable<number>): void {
    const added = this.tracker.congest(tasks);
    if (added.length === 0) return;
    this.broadcast(added, []);
    this.startRecheck();
  }

  /** Announces tasks as relieved to every peer (no-op for those not congested). */
  relieve(tasks: Iterable<number>): void {
    const removed = this.tracker.relieve(tasks);
    if (removed.length > 0) this.broadcast([], removed);
    if (this.tracker.congested.size === 0) this.stopRecheck();
  }

  /**
   * Stops reading from every connection: TCP flow control then stalls the senders. A peer that
   * connects while paused cannot say hello, so it is dropped at the hello timeout.
   */
  pause(): void {
    this.paused = true;
    for (const p of this.peers) p.conn.pause();
  }

  resume(): void {
    this.paused = false;
    for (const p of this.peers) p.conn.resume();
  }

  /**
   * Stops accepting connections and waits (at most timeoutMs) for peers to close theirs after
   * sending what they hold, then closes. Returns true when every peer left on its own.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.state !== 'listening') {
      await this.close();
      return this.peers.size === 0;
    }
    this.state = 'draining';
    this.server.close();
    const clean = await this.waitForPeers(timeoutMs);
    await this.close();
    return clean;
  }

  /** Closes the listener and every connection at once. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- connection events --------------------------------------------------------------------

  private checkHello(hello: HelloFrame): void {
    if (hello.topologyId !== this.opts.topologyId) {
      throw new HandshakeError('E_TRANSPORT_TOPOLOGY_MISMATCH', `peer worker "${hello.workerId}" belongs to another topology`);
    }
    if (this.tokenDigest && !timingSafeEqual(this.tokenDigest, digest(hello.authToken))) {
      throw new HandshakeError('E_TRANSPORT_AUTH', `peer worker "${hello.workerId}" sent a wrong or missing auth token`);
    }
  }

  private peerOpened(peer: InboundPeer): void {
    this.logger.debug('transport peer connected', { peer: peer.workerId, remote: peer.remoteAddress });
    const now = [...this.tracker.congested];
    if (now.length > 0) peer.send(encodeBackpressure({ workerId: this.opts.workerId, congested: now, relieved: [] }));
  }

  private deliver(tuples: DecodedTuple[], peer: InboundPeer): void {
    this.counters.batches++;
    this.counters.tuples += tuples.length;
    let verdict: TuplesVerdict | void;
    try {
      verdict = this.opts.onTuples(tuples, peer);
    } catch (err) {
      this.counters.handlerErrors++;
      this.limited.error(`onTuples failed; ${tuples.length} tuples lost: ${err instanceof Error ? err.message : String(err)}`, { peer: peer.workerId });
      return;
    }
    if (verdict?.congested && verdict.congested.length > 0) this.congest(verdict.congested);
  }

  private peerClosed(peer: InboundPeer, error: Error | undefined): void {
    const wasOpen = this.peers.delete(peer) && peer.workerId !== '';
    if (error instanceof TransportError && !wasOpen) {
      this.counters.rejected++;
      this.limited.warn(`transport connection from ${peer.remoteAddress} refused: ${error.message}`, { code: error.code, remote: peer.remoteAddress });
    } else if (error instanceof TransportError) {
      this.limited.warn(`transport peer ${peer.workerId} (${peer.remoteAddress}) dropped: ${error.message}`, { code: error.code, remote: peer.remoteAddress });
    } else {
      this.logger.debug('transport peer disconnected', { peer: peer.workerId, remote: peer.remoteAddress, error: error?.message });
    }
    this.peersChanged?.();
  }

  // ---- internals ----------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const peer = new InboundPeer(socket, this.ctx);
    this.peers.add(peer);
    if (this.paused) peer.conn.pause();
  }

  private broadcast(congested: number[], relieved: number[]): void {
    const frame = encodeBackpressure({ workerId: this.opts.workerId, congested, relieved });
    for (const p of this.peers) p.send(frame);
  }

  private startRecheck(): void {
    const check = this.opts.isCongested;
    if (check === undefined || this.recheckTimer !== undefined) return;
    this.recheckTimer = this.clock.setInterval(() => {
      const relieved = this.tracker.recheck(check);
      if (relieved.length > 0) this.broadcast([], relieved);
      if (this.tracker.congested.size === 0) this.stopRecheck();
    }, this.checkMs);
  }

  private stopRecheck(): void {
    this.recheckTimer?.cancel();
    this.recheckTimer = undefined;
  }

  private waitForPeers(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => finish(false), timeoutMs);
      const finish = (clean: boolean): void => {
        timer.cancel();
        this.peersChanged = undefined;
        resolve(clean);
      };
      this.peersChanged = () => {
        if (this.peers.size === 0) finish(true);
      };
      this.peersChanged();
    });
  }

  private async closeAll(): Promise<void> {
    this.state = 'closed';
    this.stopRecheck();
    const listenerClosed = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    const peersClosed = [...this.peers].map((p) => new Promise<void>((resolve) => {
      p.conn.socket.once('close', () => resolve());
      p.conn.destroy();
    }));
    await Promise.all([listenerClosed, ...peersClosed]);
    this.resolveClosed();
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
