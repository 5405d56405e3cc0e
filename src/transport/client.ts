/**
 * The sending end towards one remote worker. Tuples are encoded at `send()` into a batch that
 * becomes one frame per flush (a microtask after the current run of sends, or earlier when the
 * batch reaches its size threshold). What the client holds is bounded: `isFull()` turns true at
 * `maxBufferedTuples` or `maxBufferedBytes`, and the runtime then stops the producers (Storm's
 * transfer queue). The socket is written only while it accepts data (write() false → wait for
 * 'drain'), so a slow peer fills our bounded buffer instead of Node's unbounded one.
 *
 * Delivery across failures: frames already handed to a socket that then fails are lost (acking
 * replays their trees, as in Storm); frames still held here are kept, up to the bound, and sent
 * on the next connection. The link reconnects by itself with exponential backoff.
 */
import { connect as netConnect, type Socket, type TcpNetConnectOpts } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { IllegalStateError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { FramedConnection } from './connection.js';
import { MalformedFrameError, TransportError } from './errors.js';
import { encodeHello } from './frame-codec.js';
import type { BackpressureFrame, Frame, TupleLike } from './frame-types.js';
import { LogLimiter } from './log-limiter.js';
import { backoffDelayMs, compileClientTuning, type ClientTuning, type CompiledClientTuning } from './options.js';
import { SendBuffer } from './send-buffer.js';

/** Largest frame a server may send us (backpressure frames are a few bytes per task). */
const MAX_INBOUND_FRAME_BYTES = 1024 * 1024;
const KEEPALIVE_DELAY_MS = 10_000;

/** What the client asks a socket factory for (Node's net.connect honours the high-water mark). */
export interface SocketOptions extends TcpNetConnectOpts {
  writableHighWaterMark?: number;
}

/** Opens a socket; tests and TLS later inject their own. */
export type SocketFactory = (opts: SocketOptions) => Socket;

/** Options of PeerClient.start; the tunables are in ClientTuning. */
export interface PeerClientOptions extends ClientTuning {
  host: string;
  port: number;
  /** Sent in the hello; the server refuses other topologies. */
  topologyId: string;
  /** This (sending) worker's id, sent in the hello. */
  workerId: string;
  /** Sent in the hello when the cluster uses transport auth. */
  authToken?: string;
  /**
   * Called when `isFull()` or a task's congestion may have turned false, so the owner can wake
   * producers at once instead of at its next poll. Workers pass `runtime.wake`.
   */
  onRelief?: () => void;
  /** @default net.connect */
  connect?: SocketFactory;
  clock?: Clock;
  logger?: Logger;
}

/** Lifecycle: running → draining → closed, or running → closed. */
export type PeerClientState = 'running' | 'draining' | 'closed';
/** The connection underneath, which comes and goes on its own. */
export type LinkState = 'connecting' | 'connected' | 'backoff' | 'down';

/** A snapshot for status pages and tests. */
export interface PeerClientStats {
  state: PeerClientState;
  link: LinkState;
  connects: number;
  /** Attempts that never connected or lost the link, since the last stable connection. */
  consecutiveFailures: number;
  /** Delay before the pending reconnect attempt (0 when none is pending). */
  retryDelayMs: number;
  sentFrames: number;
  sentTuples: number;
  bufferedTuples: number;
  bufferedBytes: number;
  /** Tuples discarded because the client was closed while holding them. */
  droppedTuples: number;
  congestedTasks: number;
}

/**
 * The link to one remote worker. Create with `PeerClient.start(...)`; release with `drain()`
 * (send what is held) or `close()` / `await using` (drop it, counted).
 */
export class PeerClient {
  state: PeerClientState = 'running';
  link: LinkState = 'down';
  /** Resolves once the client is closed and its socket is gone. */
  readonly closed: Promise<void>;
  private readonly tuning: CompiledClientTuning;
  private readonly buffer: SendBuffer;
  private readonly congested = new Set<number>();
  private readonly hello: Uint8Array;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limited: LogLimiter;
  private readonly label: string;
  private conn: FramedConnection | undefined;
  private connectTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryDelayMs = 0;
  private failures = 0;
  private connectedAt = 0;
  private flushScheduled = false;
  private fullReported = false;
  private counters = { connects: 0, sentFrames: 0, sentTuples: 0, droppedTuples: 0 };
  private resolveClosed!: () => void;

  private constructor(private readonly opts: PeerClientOptions) {
    this.tuning = compileClientTuning(opts);
    this.buffer = new SendBuffer(this.tuning);
    this.hello = encodeHello({ topologyId: opts.topologyId, workerId: opts.workerId, authToken: opts.authToken ?? '' });
    this.clock = opts.clock ?? systemClock;
    this.label = `${opts.host}:${opts.port}`;
    this.logger = (opts.logger ?? silentLogger).child({ module: 'transport', peer: this.label });
    this.limited = new LogLimiter(this.logger, this.clock);
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
  }

  /** Creates the client and starts connecting; `send` works at once (tuples wait in the buffer). */
  static start(opts: PeerClientOptions): PeerClient {
    const c = new PeerClient(opts);
    c.connect();
    return c;
  }

  /**
   * Queues a tuple for the peer. Never blocks and never drops while open: callers honour
   * `isFull()` between batches, so the buffer exceeds its bound by at most one caller batch.
   * @throws SerializationError when the tuple cannot be encoded (nothing is queued)
   * @throws IllegalStateError after close()
   */
  send(t: TupleLike): void {
    if (this.state === 'closed') throw new IllegalStateError(`transport client to ${this.label} is closed`);
    if (this.buffer.add(t)) this.pump();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** True while the client holds as much as it may: producers should wait. */
  isFull(): boolean {
    const full = this.buffer.tuples >= this.tuning.maxBufferedTuples || this.bufferedBytes >= this.tuning.maxBufferedBytes;
    if (full) this.fullReported = true;
    return full;
  }

  /** True while the peer says `task` cannot take more (its last backpressure frame). */
  isTaskCongested(task: number): boolean {
    return this.congested.has(task);
  }

  /** Bytes held for the peer: the open batch, sealed frames, and the socket's write buffer. */
  get bufferedBytes(): number {
    return this.buffer.bytes + (this.conn?.writableLength ?? 0);
  }

  /** Tuples held for the peer that the socket has not taken yet. */
  get bufferedTuples(): number {
    return this.buffer.tuples;
  }

  stats(): PeerClientStats {
    return {
      ...this.counters,
      state: this.state,
      link: this.link,
      consecutiveFailures: this.failures,
      retryDelayMs: this.retryTimer ? this.retryDelayMs : 0,
      bufferedTuples: this.bufferedTuples,
      bufferedBytes: this.bufferedBytes,
      congestedTasks: this.congested.size,
    };
  }

  /** Seals the open batch and writes what the socket will take, now rather than at the microtask. */
  flush(): void {
    this.buffer.seal();
    this.pump();
  }

  /**
   * Writes everything held (sends made meanwhile included), half-closes the socket and waits for
   * it to close, reconnecting meanwhile if the peer is away. Resolves true if everything was
   * handed to the peer's socket within timeoutMs; false if the rest was dropped (counted).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.state === 'closed') return this.counters.droppedTuples === 0;
    this.state = 'draining';
    this.buffer.seal();
    if (this.buffer.isEmpty && this.link !== 'connected') {
      await this.close();
      return true;
    }
    this.pump();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      void this.close();
    }, timeoutMs);
    await this.closed;
    timer.cancel();
    return !timedOut && this.counters.droppedTuples === 0;
  }

  /** Closes at once, dropping anything held (counted in droppedTuples). Idempotent. */
  close(): Promise<void> {
    if (this.state === 'closed') return this.closed;
    this.state = 'closed';
    this.cancelTimers();
    const conn = this.conn;
    if (conn) conn.destroy(); // onClose finishes
    else this.finishClose();
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- the link -----------------------------------------------------------------------------

  private connect(): void {
    this.retryTimer = undefined;
    this.link = 'connecting';
    const factory = this.opts.connect ?? netConnect;
    const options: SocketOptions = { host: this.opts.host, port: this.opts.port, noDelay: true, writableHighWaterMark: this.tuning.socketHighWaterBytes };
    const socket = factory(options);
    const conn: FramedConnection = new FramedConnection(socket, MAX_INBOUND_FRAME_BYTES, {
      onFrame: (frame) => this.onFrame(conn, frame),
      onDrain: () => this.pump(),
      onClose: (error) => this.onClose(conn, error),
    }, this.label);
    this.conn = conn;
    this.connectTimer = this.clock.setTimeout(() => {
      conn.fail(new TransportError(`connect to ${this.label} timed out after ${this.tuning.connectTimeoutMs} ms`, {}, 'E_TRANSPORT_CONNECT_TIMEOUT'));
    }, this.tuning.connectTimeoutMs);
    socket.once('connect', () => this.onConnect(conn));
  }

  private onConnect(conn: FramedConnection): void {
    if (conn !== this.conn) return;
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    conn.socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    this.link = 'connected';
    this.connectedAt = this.clock.now();
    this.counters.connects++;
    if (this.failures > 0) this.logger.info(`transport link to ${this.label} up after ${this.failures} failed attempts`);
    conn.write(this.hello);
    this.pump();
  }

  private onFrame(conn: FramedConnection, f: Frame): void {
    if (f.kind === 'backpressure') this.applyBackpressure(f);
    else conn.fail(new MalformedFrameError(`unexpected ${f.kind} frame from the receiving worker`));
  }

  private applyBackpressure(f: BackpressureFrame): void {
    for (const t of f.congested) this.congested.add(t);
    let relieved = false;
    for (const t of f.relieved) relieved = this.congested.delete(t) || relieved;
    if (relieved) this.opts.onRelief?.();
  }

  private onClose(conn: FramedConnection, error: Error | undefined): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    const wasConnected = this.link === 'connected';
    this.link = 'down';
    // The peer's congestion state died with the connection; it resends it on the next hello.
    if (this.congested.size > 0) {
      this.congested.clear();
      this.opts.onRelief?.();
    }
    if (this.state === 'closed' || (this.state === 'draining' && this.buffer.isEmpty)) {
      this.finishClose();
      return;
    }
    this.scheduleRetry(error, wasConnected);
  }

  private scheduleRetry(error: Error | undefined, wasConnected: boolean): void {
    const t = this.tuning;
    // A link that stayed up a while was healthy: start the backoff over. One that the peer
    // dropped at once (hello refused) keeps backing off.
    if (wasConnected && this.clock.now() - this.connectedAt >= t.reconnectMaxMs) this.failures = 0;
    this.retryDelayMs = backoffDelayMs(this.failures, t.reconnectMinMs, t.reconnectMaxMs);
    this.failures++;
    this.link = 'backoff';
    const why = error?.message ?? 'closed by peer';
    if (wasConnected) this.limited.warn(`transport link to ${this.label} lost (${why}); reconnecting in ${this.retryDelayMs} ms`, { held: this.buffer.tuples });
    else this.logger.debug(`transport connect to ${this.label} failed (${why}); retry in ${this.retryDelayMs} ms`);
    this.retryTimer = this.clock.setTimeout(() => this.connect(), this.retryDelayMs);
  }

  // ---- writing ------------------------------------------------------------------------------

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.pump();
  };

  /** Writes sealed frames while the socket takes them; seals the open batch when it can go out. */
  private pump(): void {
    const conn = this.conn;
    if (this.link !== 'connected' || conn === undefined || !conn.isOpen || conn.needsDrain) return;
    this.buffer.seal();
    if (this.buffer.frameCount > 0) {
      conn.cork();
      for (let f = this.buffer.shift(); f !== undefined; f = this.buffer.shift()) {
        this.counters.sentFrames++;
        this.counters.sentTuples += f.tuples;
        if (!conn.write(f.bytes)) break;
      }
      conn.uncork();
    }
    if (this.state === 'draining' && this.buffer.isEmpty) conn.end();
    if (this.fullReported && !this.isFull()) {
      this.fullReported = false;
      this.opts.onRelief?.();
    }
  }

  private cancelTimers(): void {
    this.connectTimer?.cancel();
    this.retryTimer?.cancel();
    this.connectTimer = undefined;
    this.retryTimer = undefined;
  }

  private finishClose(): void {
    this.state = 'closed';
    this.link = 'down';
    this.cancelTimers();
    const dropped = this.buffer.clear();
    if (dropped > 0) {
      this.counters.droppedTuples += dropped;
      this.logger.warn(`transport client to ${this.label} closed with ${dropped} tuples unsent`);
    }
    this.resolveClosed();
  }
}
