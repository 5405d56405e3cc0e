/**
 * A spout run over a multilang link (Storm's ShellSpout): commands (next, ack, fail,
 * activate, deactivate) each answered by zero or more emits and one sync, in order. Over
 * stdio strictly one command is outstanding, as Storm's adapters require; a batched link
 * (gRPC) lets queued acks and fails travel with the next command (the launcher's pipeline
 * depth). Message ids are echoed back exactly as the component gave them.
 */
import { ComponentError } from '../../common/errors.js';
import { spoutCommand, type ChildMessage, type EmitCommand, type MessageId, type SpoutCommandName } from '../../multilang/index.js';
import type { Spout, SpoutCollector, TopologyConfig, TopologyContext } from '../../runtime/api.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import type { LinkLauncher } from './component-link.js';
import { MultilangTask } from './multilang-task.js';

interface Command {
  name: SpoutCommandName;
  /** The tuple's id; '' (a string, so already a MessageId) for next, activate and deactivate. */
  id: MessageId;
  done?: () => void;
}

export class MultilangSpout extends MultilangTask implements Spout {
  private readonly queue: Command[] = [];
  /** Commands sent and not yet answered by a sync, oldest first. */
  private readonly outstanding: Command[] = [];
  /** Ids the current child emitted and still owes an ack/fail for; others are from a dead child. */
  private live = new Set<unknown>();
  /** What the runtime last asked for; a restarted child is told again. */
  private active = false;

  constructor(req: ComponentRequest, launcher: LinkLauncher) {
    super(req, launcher);
  }

  async open(conf: TopologyConfig, _ctx: TopologyContext, collector: SpoutCollector): Promise<void> {
    this.collector = collector;
    await this.startFirst({ ...conf });
  }

  nextTuple(): Promise<void> | undefined {
    if (this.state !== 'running') return undefined;
    return new Promise((done) => this.enqueue({ name: 'next', id: '', done }));
  }

  ack(id: unknown): void {
    this.settle('ack', id);
  }

  fail(id: unknown): void {
    this.settle('fail', id);
  }

  activate(): void {
    this.active = true;
    if (this.state === 'running') this.enqueue({ name: 'activate', id: '' });
  }

  deactivate(): void {
    this.active = false;
    if (this.state === 'running') this.enqueue({ name: 'deactivate', id: '' });
  }

  async close(): Promise<void> {
    this.resolveAll();
    await this.closeChild();
  }

  protected onChildMessage(msg: ChildMessage): void {
    switch (msg.command) {
      case 'emit': return this.onEmit(msg);
      case 'sync': return this.onSync();
      default:
        this.child?.kill(new ComponentError('E_MULTILANG_PROTOCOL', `a spout may not send "${msg.command === 'unknown' ? msg.name : msg.command}"`, {
          context: this.where(), hint: 'spouts answer commands with emit/log/error/metrics and then sync',
        }));
    }
  }

  protected onChildLost(): void {
    const lost = this.live.size;
    this.live = new Set();
    this.queue.length = 0;
    this.resolveAll();
    if (lost > 0) this.logger.warn(`${lost} tuple(s) emitted by the lost component are still in flight; their acks and fails will not reach the new one`);
  }

  protected onHeartbeat(): void {}

  /**
   * A restarted child is a new spout: as Storm's executor does for a new worker, tell it the
   * topology is active. Without this a child that waits for activate() would stay idle, and an
   * activate() that arrived while the child was restarting would be lost.
   */
  protected override onRunning(first: boolean): void {
    if (!first && this.active) this.enqueue({ name: 'activate', id: '' });
  }

  protected awaitingChild(): boolean {
    return this.outstanding.length > 0;
  }

  private settle(name: 'ack' | 'fail', id: unknown): void {
    if (!this.live.delete(id)) return;
    this.enqueue({ name, id: id as MessageId });
  }

  private enqueue(cmd: Command): void {
    this.queue.push(cmd);
    this.pump();
  }

  private pump(): void {
    if (this.state !== 'running') return;
    const depth = this.launcher.spoutPipelineDepth;
    while (this.outstanding.length < depth && this.queue.length > 0) {
      const cmd = this.queue.shift()!;
      // Silence is measured from the moment the spout starts owing an answer.
      if (this.outstanding.length === 0) this.child!.lastActivity = this.req.clock.now();
      this.outstanding.push(cmd);
      this.child!.send(spoutCommand(cmd.name, cmd.id));
    }
  }

  private onSync(): void {
    this.outstanding.shift()?.done?.();
    this.pump();
  }

  private onEmit(msg: EmitCommand): void {
    let tasks: readonly number[];
    try {
      tasks = this.collector.emit(msg.tuple, { stream: msg.stream, messageId: msg.id, directTask: msg.directTask });
      if (msg.id !== undefined) this.live.add(msg.id);
    } catch (err) {
      this.report(err instanceof ComponentError ? err : new ComponentError('E_BAD_EMIT', String(err), { context: this.where() }));
      tasks = [];
    }
    if (msg.needTaskIds) this.child!.send(tasks);
  }

  private resolveAll(): void {
    for (const c of this.outstanding.splice(0)) c.done?.();
    for (const c of this.queue.splice(0)) c.done?.();
  }
}
