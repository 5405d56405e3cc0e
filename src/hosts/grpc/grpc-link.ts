/**
 * One task's Run stream to a gRPC component (proto/squall/v1/component.proto): multilang
 * messages queued in one turn of the event loop go out as one HostBatch (split under the
 * agreed size), each ComponentBatch comes back as the child messages it carries.
 *
 * A broken stream is fatal for the link but not for a launched process: the task opens a new
 * stream to the same process unless the process died or the link was killed (hung, protocol
 * violation), which takes the process group down.
 */
import { credentials, status as Status, Client, type ChannelOptions, type ClientDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { ComponentError, type ErrorContext, type SquallError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { decodeComponentBatch } from '../../multilang/grpc-component-batch.js';
import { encodeHostBatches } from '../../multilang/grpc-host-batch.js';
import type { ComponentBatchWire, HostBatchWire } from '../../multilang/grpc-wire.js';
import type { ChildMessage } from '../../multilang/index.js';
import type { ComponentLink, LinkHooks } from '../multilang-task/component-link.js';
import { withPid } from '../shell/child-errors.js';
import { loadComponentProto } from './component-proto.js';
import type { GrpcProcess } from './grpc-process.js';
import {
  connectTimeoutError, handshakeTimeoutError, isTransportLoss, streamEndedError, streamError, tupleTooLargeError, type StreamErrorInput,
} from './stream-errors.js';

export interface GrpcLinkOptions {
  address: string;
  /** The launched process serving the stream; absent for `grpc: {address}` components. */
  process?: GrpcProcess;
  maxMessageBytes: number;
  /** Launched processes: keep trying to connect for this long while the process starts. */
  connectTimeoutMs: number;
  /** The launched process served a stream before: a timeout means it is frozen, not slow to start. */
  reconnect?: boolean;
  /**
   * Ping the component this often, even with no call open; a ping unanswered within half of
   * it drops the connection, which breaks the stream (UNAVAILABLE) and restarts the task's link.
   */
  keepaliveMs: number;
  logger: Logger;
  clock: Clock;
  where: ErrorContext;
  hooks: LinkHooks;
}

/** How long a transport error waits for the process's exit, whose report says more. */
const EXIT_REPORT_WAIT_MS = 500;

/** How long a keepalive ping may go unanswered: half the interval. */
export function keepaliveTimeoutMs(keepaliveMs: number): number {
  return Math.max(1, Math.floor(keepaliveMs / 2));
}

export function channelOptions(maxMessageBytes: number, keepaliveMs: number): ChannelOptions {
  return {
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_receive_message_length': maxMessageBytes,
    // grpc-js honours any positive interval (it only caps it from above); the host's
    // liveness check cannot see an idle stream, so these pings are what notice a frozen peer.
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs(keepaliveMs),
    'grpc.keepalive_permit_without_calls': 1,
    // A launched process binds within a second or two; grpc's default first retry is 1 s.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    // One connection per task, so one task's broken stream never touches another's.
    'grpc.use_local_subchannel_pool': 1,
  };
}

export class GrpcLink implements ComponentLink {
  pid: number | undefined;
  lastActivity: number;
  readonly exited: Promise<void>;
  private readonly client: Client;
  private call: ClientDuplexStream<HostBatchWire, ComponentBatchWire> | undefined;
  private outbox: unknown[] = [];
  private flushScheduled = false;
  private full = false;
  private dead = false;
  private closing = false;
  private reported = false;
  private exitWait: TimerHandle | undefined;
  private readonly unsubscribe: () => void;
  private finished!: () => void;

  constructor(private readonly opts: GrpcLinkOptions) {
    this.pid = opts.process?.pid;
    this.lastActivity = opts.clock.now();
    this.exited = new Promise((resolve) => { this.finished = resolve; });
    const { ComponentClient } = loadComponentProto();
    this.client = new ComponentClient(opts.address, credentials.createInsecure(), channelOptions(opts.maxMessageBytes, opts.keepaliveMs));
    this.unsubscribe = opts.process?.onEnd((err) => this.fatal(err)) ?? (() => {});
    if (opts.process) {
      this.connectWhenReady();
    } else {
      this.openStream();
      this.expectReadyWithin(opts.keepaliveMs + keepaliveTimeoutMs(opts.keepaliveMs));
    }
  }

  get writable(): boolean {
    return !this.dead && !this.full;
  }

  get isDead(): boolean {
    return this.dead;
  }

  send(msg: unknown): void {
    if (this.dead) return;
    this.outbox.push(msg);
    if (!this.flushScheduled && this.call) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  kill(reason?: SquallError): void {
    if (reason) this.fatal(reason);
    this.dead = true;
    this.opts.process?.kill();
    this.teardown();
  }

  /** Half-closes the stream, waits up to `graceMs` for the component to close its side, then cancels. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.dead || !this.call) {
      this.teardown();
      return;
    }
    this.flush();
    this.call.end();
    const t = this.opts.clock.setTimeout(() => this.teardown(), graceMs);
    await this.exited;
    t.cancel();
    this.teardown();
  }

  private connectWhenReady(): void {
    // gRPC deadlines are wall-clock dates, not durations on the injected clock.
    const deadline = new Date(Date.now() + this.opts.connectTimeoutMs);
    this.client.waitForReady(deadline, (err) => {
      if (this.dead) return;
      if (err) {
        // A process that never listens is of no use; the next attempt starts a fresh one.
        const ms = this.opts.connectTimeoutMs;
        this.kill(this.opts.reconnect ? handshakeTimeoutError(this.errorInput(), ms, err) : connectTimeoutError(this.errorInput(), ms, err));
        return;
      }
      this.openStream();
    });
  }

  /**
   * An address link opens its stream at once, so a refused connection fails it at once. A
   * peer that accepts the TCP connection and never answers HTTP/2 (a frozen process) leaves it
   * pending forever, before keepalive starts: it gets as long as keepalive gives a silent peer.
   */
  private expectReadyWithin(ms: number): void {
    const deadline = new Date(Date.now() + ms);
    this.client.waitForReady(deadline, (err) => {
      if (this.dead || !err) return;
      this.kill(handshakeTimeoutError(this.errorInput(), ms, err));
    });
  }

  private openStream(): void {
    const { service } = loadComponentProto();
    const run = service['Run']!;
    const call = this.client.makeBidiStreamRequest(run.path, run.requestSerialize, run.responseDeserialize) as ClientDuplexStream<HostBatchWire, ComponentBatchWire>;
    this.call = call;
    call.on('data', (batch: ComponentBatchWire) => this.onBatch(batch));
    call.on('error', (err: ServiceError) => this.onStreamLost(streamError(err, this.errorInput()), err.code));
    // Every call ends with a status; a non-OK one has also been reported as 'error'.
    call.on('status', (st: StatusObject) => {
      if (st.code === Status.OK) this.onStreamLost(streamEndedError(this.errorInput()), st.code);
      this.finished();
    });
    call.on('drain', () => {
      this.full = false;
      this.opts.hooks.onWritable();
    });
    if (this.outbox.length > 0) this.flush();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const call = this.call;
    if (!call || this.dead || this.outbox.length === 0) return;
    const msgs = this.outbox;
    this.outbox = [];
    let encoded: ReturnType<typeof encodeHostBatches>;
    try {
      encoded = encodeHostBatches(msgs, this.opts.maxMessageBytes);
    } catch (err) {
      this.kill(new ComponentError('E_GRPC_ENCODE', `cannot encode a batch for the gRPC component: ${err instanceof Error ? err.message : String(err)}`, { context: this.context(), cause: err }));
      return;
    }
    for (const b of encoded.batches) if (!call.write(b)) this.full = true;
    for (const r of encoded.rejected) {
      this.opts.hooks.onError(tupleTooLargeError(this.errorInput(), r.bytes, r.message.id));
      this.opts.hooks.onMessage({ command: 'fail', id: r.message.id });
    }
  };

  private onBatch(batch: ComponentBatchWire): void {
    if (this.dead) return;
    this.lastActivity = this.opts.clock.now();
    if (batch.ready && this.pid === undefined && batch.ready.pid > 0) this.pid = batch.ready.pid;
    let msgs: ChildMessage[];
    try {
      msgs = decodeComponentBatch(batch);
    } catch (err) {
      this.kill(new ComponentError('E_MULTILANG_PROTOCOL', `broke the gRPC component protocol: ${err instanceof Error ? err.message : String(err)}`, {
        context: this.context(), cause: err, hint: 'the component must send ComponentBatches as proto/squall/v1/component.proto describes',
      }));
      return;
    }
    for (const m of msgs) {
      this.opts.hooks.onMessage(m);
      if (this.dead) return;
    }
  }

  private onStreamLost(report: SquallError, code: number): void {
    if (this.dead || this.closing) return;
    const proc = this.opts.process;
    if (proc?.alive && (code === Status.OK || isTransportLoss(code))) {
      // The process may be dying (kill -9); its exit status is the better report.
      this.dead = true;
      this.exitWait = this.opts.clock.setTimeout(() => this.fatal(report), EXIT_REPORT_WAIT_MS);
      return;
    }
    this.fatal(report);
  }

  /** Reports the first fatal condition only. Leaves a launched process running. */
  private fatal(err: SquallError): void {
    if (this.reported) return;
    this.reported = true;
    this.dead = true;
    this.teardown();
    if (!this.closing) this.opts.hooks.onFatal(err);
  }

  private teardown(): void {
    this.dead = true;
    this.exitWait?.cancel();
    this.unsubscribe();
    this.call?.cancel();
    this.client.close();
    this.finished();
  }

  private errorInput(): StreamErrorInput {
    return { address: this.opts.address, context: this.context(), maxMessageBytes: this.opts.maxMessageBytes, keepaliveMs: this.opts.keepaliveMs };
  }

  private context(): ErrorContext {
    return withPid(this.opts.where, this.pid);
  }
}
