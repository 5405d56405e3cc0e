/**
 * One Run stream served by a component SDK: a fresh component instance, fed by the host's
 * batches in order, its output (emits, acks, fails, syncs, logs, errors) sent back as one
 * ComponentBatch per incoming batch, plus whatever it produces later (an ack from a timer).
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../common/logger.js';
import { decodeHostBatch } from '../../multilang/grpc-host-batch.js';
import { encodeComponentBatches } from '../../multilang/grpc-component-batch.js';
import type { ComponentBatchWire, HostBatchWire } from '../../multilang/grpc-wire.js';
import {
  isHeartbeatTuple, type BoltTupleMessage, type ChildMessage, type HandshakeMessage, type ParentMessage, type SpoutCommandMessage,
} from '../../multilang/messages.js';
import type { Bolt, BoltCollector, EmitOptions, Spout, Tuple } from '../../runtime/api.js';
import { RemoteContext, RemoteTuple, streamLogger } from './remote-context.js';

export type ComponentInstance = Spout | Bolt;
/** A component class (constructed with no arguments) or a function returning an instance. */
export type ComponentSource = (new () => ComponentInstance) | (() => ComponentInstance | Promise<ComponentInstance>);

/** Until the handshake says otherwise: gRPC's default receive limit. */
const INITIAL_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export class ComponentSession {
  private instance: ComponentInstance | undefined;
  private context: RemoteContext | undefined;
  private outbox: ChildMessage[] = [];
  private maxMessageBytes = INITIAL_MAX_MESSAGE_BYTES;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private flushScheduled = false;
  private closed = false;
  /** close()/cleanup() is running or done: no new tuples or commands are handled. */
  private closing = false;
  /** The stream was cancelled or failed: nothing can be written any more. */
  private gone = false;
  private readonly collector: BoltCollector;

  constructor(
    private readonly call: ServerDuplexStream<HostBatchWire, ComponentBatchWire>,
    private readonly source: ComponentSource,
    private readonly logger: Logger,
  ) {
    this.collector = this.makeCollector();
    call.on('data', (batch: HostBatchWire) => this.enqueue(() => this.handle(batch)));
    // The host half-closed: the task is shutting down. Finish what is queued, then close ours.
    call.on('end', () => this.enqueue(async () => {
      await this.shutdown();
      call.end();
    }));
    call.on('cancelled', () => this.streamLost());
    call.on('error', () => this.streamLost());
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.abort(err));
  }

  private streamLost(): void {
    this.gone = true;
    void this.shutdown();
  }

  private async handle(batch: HostBatchWire): Promise<void> {
    if (this.closing) return;
    this.busy = true;
    if (batch.handshake?.maxMessageBytes) this.maxMessageBytes = batch.handshake.maxMessageBytes;
    try {
      for (const msg of decodeHostBatch(batch)) await this.dispatch(msg);
    } finally {
      this.busy = false;
      this.flush();
    }
  }

  private async dispatch(msg: ParentMessage): Promise<void> {
    if (Array.isArray(msg)) return; // task ids: this SDK never asks for them
    if ('context' in msg) return this.start(msg);
    if (this.instance === undefined) throw new Error('the host sent data before the handshake');
    if ('command' in msg) return this.command(msg);
    return this.tuple(msg);
  }

  private async start(h: HandshakeMessage): Promise<void> {
    if (this.instance !== undefined) throw new Error('a second handshake on one stream');
    const conf = h.conf;
    const instance = await instantiate(this.source);
    const logger = streamLogger((level, text) => this.push({ command: 'log', msg: text, level }));
    this.context = new RemoteContext(h.context, conf, logger);
    this.instance = instance;
    if (isSpout(instance)) await instance.open?.(conf, this.context, this.collector);
    else await instance.prepare?.(conf, this.context, this.collector);
    // Ready must lead the first batch, ahead of anything open/prepare logged or emitted.
    this.outbox.unshift({ command: 'pid', pid: process.pid, extensions: [] });
  }

  private async tuple(m: BoltTupleMessage): Promise<void> {
    if (isHeartbeatTuple(m)) return this.push({ command: 'sync' });
    const bolt = this.instance as Bolt;
    const comp = m.comp ?? '';
    const fields = this.context!.outputFields(comp, m.stream) ?? [];
    const t = new RemoteTuple(m.id, m.tuple, comp, m.stream, m.task, fields);
    try {
      const r = bolt.execute(t);
      if (r !== undefined) await r;
    } catch (err) {
      this.collector.reportError(err);
      if (!t.settled) this.collector.fail(t);
    }
  }

  private async command(c: SpoutCommandMessage): Promise<void> {
    const spout = this.instance as Spout;
    try {
      switch (c.command) {
        case 'next': await spout.nextTuple(); break;
        case 'ack': spout.ack?.(c.id); break;
        case 'fail': spout.fail?.(c.id); break;
        case 'activate': spout.activate?.(); break;
        case 'deactivate': spout.deactivate?.(); break;
      }
    } catch (err) {
      this.collector.reportError(err);
    }
    this.push({ command: 'sync' });
  }

  private makeCollector(): BoltCollector {
    const settle = (command: 'ack' | 'fail', t: Tuple): void => {
      const rt = t as RemoteTuple;
      if (rt.settled) return;
      rt.settled = true;
      this.push({ command, id: rt.id });
    };
    return {
      emit: (values: unknown[], opts: EmitOptions = {}): readonly number[] => {
        const anchors = opts.anchors === undefined ? [] : Array.isArray(opts.anchors) ? opts.anchors : [opts.anchors];
        this.push({
          command: 'emit',
          tuple: values,
          stream: opts.stream ?? 'default',
          anchors: (anchors as RemoteTuple[]).map((a) => a.id),
          directTask: opts.directTask,
          needTaskIds: false,
          id: opts.messageId === undefined || opts.messageId === null ? undefined : opts.messageId,
        });
        // Task ids would cost a round trip per emit; components served this way do without.
        return [];
      },
      ack: (t) => settle('ack', t),
      fail: (t) => settle('fail', t),
      resetTimeout: () => {},
      reportError: (err) => this.push({ command: 'error', msg: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    };
  }

  private push(msg: ChildMessage): void {
    if (this.closed) return;
    this.outbox.push(msg);
    if (!this.busy && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    if (this.outbox.length === 0 || this.closed || this.gone) return;
    const msgs = this.outbox;
    this.outbox = [];
    for (const b of encodeComponentBatches(msgs, this.maxMessageBytes)) this.call.write(b);
  }

  private abort(err: unknown): void {
    this.logger.error(`component stream failed: ${err instanceof Error ? err.message : String(err)}`);
    this.push({ command: 'error', msg: err instanceof Error ? err.message : String(err) });
    this.flush();
    void this.shutdown();
    this.call.end();
  }

  /**
   * Closes the instance once (Spout.close / Bolt.cleanup). What it logs while closing still
   * reaches the host when the stream stands (a half-close); output after that is dropped.
   */
  private async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const inst = this.instance;
    this.instance = undefined;
    try {
      if (inst && isSpout(inst)) await inst.close?.();
      else await inst?.cleanup?.();
    } catch (err) {
      this.logger.warn(`closing the component failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.flush();
    this.closed = true;
  }
}

function isSpout(c: ComponentInstance): c is Spout {
  return typeof (c as Spout).nextTuple === 'function';
}

async function instantiate(source: ComponentSource): Promise<ComponentInstance> {
  const proto = (source as { prototype?: Record<string, unknown> }).prototype;
  if (proto && (typeof proto['execute'] === 'function' || typeof proto['nextTuple'] === 'function')) {
    return new (source as new () => ComponentInstance)();
  }
  return (source as () => ComponentInstance | Promise<ComponentInstance>)();
}
