/**
 * A spout run as a multilang subprocess (Storm's ShellSpout): strictly one command
 * outstanding (next, ack, fail, activate, deactivate), each answered by zero or more emits and
 * one sync. Message ids are echoed back exactly as the child gave them.
 */
import { ComponentError, type SquallError } from '../../common/errors.js';
import { spoutCommand, type ChildMessage, type EmitCommand, type MessageId, type SpoutCommandName } from '../../multilang/index.js';
import type { Spout, SpoutCollector, TopologyConfig, TopologyContext } from '../../runtime/api.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import { logAt } from './log-levels.js';
import { ShellTask, type ShellEnvironment } from './shell-task.js';

interface Command {
  name: SpoutCommandName;
  id: MessageId | '';
  done?: () => void;
}

export class ShellSpout extends ShellTask implements Spout {
  private collector!: SpoutCollector;
  private readonly queue: Command[] = [];
  private outstanding: Command | undefined;
  /** Ids the current child emitted and still owes an ack/fail for; others are from a dead child. */
  private live = new Set<unknown>();

  constructor(req: ComponentRequest, command: readonly string[], env: ShellEnvironment) {
    super(req, command, env);
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
    if (this.state === 'running') this.enqueue({ name: 'activate', id: '' });
  }

  deactivate(): void {
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
      case 'log': return logAt(this.logger, msg.level, msg.msg, this.child?.pid);
      case 'error': return this.report(new ComponentError('E_COMPONENT_REPORTED', msg.msg, { context: this.where() }));
      case 'metrics': return this.logger.debug(`metric ${msg.name}`, { params: msg.params });
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
    if (lost > 0) this.logger.warn(`${lost} tuple(s) emitted by the dead subprocess are still in flight; their acks and fails will not reach the new one`);
  }

  protected onHeartbeat(): void {}

  protected awaitingChild(): boolean {
    return this.outstanding !== undefined;
  }

  protected report(err: SquallError): void {
    if (this.state === 'closed') this.logger.debug(`while closing: ${err.message}`);
    else this.collector.reportError(err);
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
    if (this.outstanding !== undefined || this.state !== 'running') return;
    const cmd = this.queue.shift();
    if (cmd === undefined) return;
    this.outstanding = cmd;
    this.child!.lastActivity = this.req.clock.now();
    this.child!.send(spoutCommand(cmd.name, cmd.id));
  }

  private onSync(): void {
    const cmd = this.outstanding;
    this.outstanding = undefined;
    cmd?.done?.();
    this.pump();
  }

  private onEmit(msg: EmitCommand): void {
    let tasks: readonly number[];
    try {
      tasks = this.collector.emit(msg.tuple, {
        stream: msg.stream,
        ...(msg.id === undefined ? {} : { messageId: msg.id }),
        ...(msg.directTask === undefined ? {} : { directTask: msg.directTask }),
      });
      if (msg.id !== undefined) this.live.add(msg.id);
    } catch (err) {
      this.report(err instanceof ComponentError ? err : new ComponentError('E_BAD_EMIT', String(err), { context: this.where() }));
      tasks = [];
    }
    if (msg.needTaskIds) this.child!.send(tasks);
  }

  private resolveAll(): void {
    const out = this.outstanding;
    this.outstanding = undefined;
    out?.done?.();
    for (const c of this.queue.splice(0)) c.done?.();
  }
}
