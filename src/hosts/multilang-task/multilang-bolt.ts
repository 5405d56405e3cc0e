/**
 * A bolt run over a multilang link (Storm's ShellBolt; the link is a subprocess's stdio or a
 * gRPC stream). Tuples get string ids and stay pending until the component acks or fails
 * them; at most topology.shellbolt.max.pending are in flight. Heartbeats every second; if the
 * link dies every pending tuple is failed at once.
 */
import { ComponentError, type SquallError } from '../../common/errors.js';
import { boltTuple, heartbeatTuple, tickTuple, type ChildMessage, type EmitCommand } from '../../multilang/index.js';
import type { BoltCollector, TopologyConfig, TopologyContext } from '../../runtime/api.js';
import type { BoltHost } from '../../runtime/executors.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import type { TupleImpl } from '../../runtime/tuple.js';
import type { LinkLauncher } from './component-link.js';
import { MultilangTask } from './multilang-task.js';

export class MultilangBolt extends MultilangTask<BoltCollector> implements BoltHost {
  private readonly pending = new Map<string, TupleImpl>();
  private nextId = 0;
  private readonly maxPending: number;
  private unknownAcks = 0;
  /**
   * Set when max.pending tuples are in flight; cleared at half. Refilling one tuple per ack
   * would cost a write (and the child a read) per tuple; refilling by halves keeps the child
   * busy with a fraction of the system calls.
   */
  private throttled = false;

  constructor(req: ComponentRequest, launcher: LinkLauncher) {
    super(req, launcher);
    this.maxPending = Number(req.component.config['topology.shellbolt.max.pending'] ?? 100);
  }

  async prepare(conf: TopologyConfig, _ctx: TopologyContext, collector: BoltCollector): Promise<void> {
    this.collector = collector;
    await this.startFirst({ ...conf });
  }

  ready(): boolean {
    if (this.pending.size >= this.maxPending) this.throttled = true;
    return this.state === 'running' && this.child!.writable && !this.throttled;
  }

  execute(t: TupleImpl): void {
    const id = String(++this.nextId);
    this.pending.set(id, t);
    const msg = t.isTick()
      ? tickTuple(id, t.values[0] as number)
      : boltTuple(id, t.sourceComponent, t.sourceStreamId, t.sourceTask, t.values as unknown[]);
    this.child!.send(msg);
  }

  async cleanup(): Promise<void> {
    await this.closeChild();
  }

  protected onChildMessage(msg: ChildMessage): void {
    switch (msg.command) {
      case 'emit': return this.onEmit(msg);
      case 'ack':
      case 'fail': return this.onAckFail(msg.command, msg.id);
      case 'sync': return;
      case 'pid': return this.child?.kill(new ComponentError('E_MULTILANG_PROTOCOL', 'sent a second pid reply', { context: this.where() }));
      case 'unknown': return this.logger.warn(`ignored unknown command "${msg.name}"`);
      default: return; // log, error and metrics: handled by MultilangTask
    }
  }

  protected onChildLost(_err: SquallError): void {
    const held = [...this.pending.values()];
    this.pending.clear();
    this.throttled = false;
    for (const t of held) this.collector.fail(t);
    if (held.length > 0) this.logger.warn(`failed ${held.length} in-flight tuple(s) of the lost component; their spouts replay them`);
  }

  protected onHeartbeat(): void {
    this.child!.send(heartbeatTuple(`hb-${this.req.clock.now()}`));
  }

  protected awaitingChild(): boolean {
    return true;
  }

  private onEmit(msg: EmitCommand): void {
    let tasks: readonly number[];
    try {
      // Absent options are undefined, not spread in: this runs for every emit.
      tasks = this.collector.emit(msg.tuple, { stream: msg.stream, anchors: this.anchorsOf(msg.anchors), directTask: msg.directTask });
    } catch (err) {
      this.report(err instanceof ComponentError ? err : new ComponentError('E_BAD_EMIT', String(err), { context: this.where() }));
      tasks = [];
    }
    if (msg.needTaskIds) this.child!.send(tasks);
  }

  /** The in-flight tuples the ids name (ids of tuples already acked or failed are dropped). */
  private anchorsOf(ids: readonly string[]): TupleImpl[] | undefined {
    let anchors: TupleImpl[] | undefined;
    for (const id of ids) {
      const t = this.pending.get(id);
      if (t !== undefined) (anchors ??= []).push(t);
    }
    return anchors;
  }

  private onAckFail(kind: 'ack' | 'fail', id: unknown): void {
    const key = String(id);
    const t = this.pending.get(key);
    if (t === undefined) {
      if (this.unknownAcks++ < 5) this.logger.warn(`${kind} of unknown tuple id ${JSON.stringify(key).slice(0, 80)} ignored`);
      return;
    }
    this.pending.delete(key);
    if (kind === 'ack') this.collector.ack(t);
    else this.collector.fail(t);
    if (this.throttled && this.pending.size <= this.maxPending >> 1) {
      this.throttled = false;
      this.req.wake();
    }
  }
}
