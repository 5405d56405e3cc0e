/**
 * What multilang spouts and bolts share, whatever carries their messages (a subprocess's
 * stdio, a gRPC stream): opening a link and doing the handshake, liveness checks, and on any
 * fatal condition ending the link, reporting why, and opening a new one for this task only
 * with exponential backoff.
 */
import type { TimerHandle } from '../../common/clock.js';
import { ComponentError, SquallError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { handshakeMessage, type ChildMessage } from '../../multilang/index.js';
import type { SpoutCollector } from '../../runtime/api.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import type { ComponentLink, LinkLauncher } from './component-link.js';
import { handshakeContext } from './handshake-context.js';
import { logAt } from './log-levels.js';

export type MultilangTaskState = 'new' | 'starting' | 'running' | 'restarting' | 'closed';

const HEARTBEAT_MS = 1000;
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 10_000;
/** A link that has run this long is considered healthy again: backoff restarts from the start. */
const STABLE_MS = 10_000;

export abstract class MultilangTask<C extends SpoutCollector = SpoutCollector> {
  state: MultilangTaskState = 'new';
  /** Set by open/prepare, before the first link starts. */
  protected collector!: C;
  protected child: ComponentLink | undefined;
  protected readonly logger: Logger;
  protected readonly timeoutMs: number;
  private handshake: { resolve: () => void; reject: (e: SquallError) => void } | undefined;
  private timers: TimerHandle[] = [];
  private restartTimer: TimerHandle | undefined;
  private attempt = 0;
  private startedAt = 0;
  private failures = 0;
  private conf: Record<string, unknown> = {};

  constructor(
    protected readonly req: ComponentRequest,
    protected readonly launcher: LinkLauncher,
  ) {
    this.logger = req.logger;
    const c = req.component.config;
    const t = c['topology.subprocess.timeout.secs'] ?? c['supervisor.worker.timeout.secs'] ?? 30;
    this.timeoutMs = Number(t) * 1000;
  }

  /** Opens the first link. Throws only when it cannot be started at all (command missing). */
  protected async startFirst(conf: Record<string, unknown>): Promise<void> {
    this.conf = conf;
    this.timers.push(this.req.clock.setInterval(() => this.tick(), HEARTBEAT_MS));
    try {
      await this.start();
    } catch (err) {
      if (err instanceof ComponentError && err.code === 'E_COMMAND_NOT_FOUND') {
        this.state = 'closed';
        this.cancelTimers();
        throw err;
      }
    }
  }

  /** Graceful close of the link; no restart afterwards. */
  protected async closeChild(graceMs = 5000): Promise<void> {
    this.state = 'closed';
    this.cancelTimers();
    this.restartTimer?.cancel();
    await this.child?.close(graceMs);
    await this.launcher.dispose?.(graceMs);
  }

  protected where(): { topology: string; component: string; task: number; pid?: number } {
    const w = { topology: this.req.topology, component: this.req.component.id, task: this.req.taskId };
    return this.child?.pid === undefined ? w : { ...w, pid: this.child.pid };
  }

  /** A message from the running component (after the handshake) other than log, error and metrics. */
  protected abstract onChildMessage(msg: ChildMessage): void;
  /** The link died: fail what it held. */
  protected abstract onChildLost(err: SquallError): void;
  /** Called every second while running (bolts send heartbeats). */
  protected abstract onHeartbeat(): void;
  /** True while the component owes an answer (spouts: a command is outstanding). */
  protected abstract awaitingChild(): boolean;
  /** A child finished its handshake; `first` is false for every restart. */
  protected onRunning(_first: boolean): void {}

  /** Reports an error against this task; once the task is closing, only logs it. */
  protected report(err: SquallError): void {
    if (this.state === 'closed') this.logger.debug(`while closing: ${err.message}`);
    else this.collector.reportError(err);
  }

  private async start(): Promise<void> {
    this.state = 'starting';
    let link: ComponentLink | undefined;
    const { link: opened, pidDir } = await this.launcher.open({
      attempt: ++this.attempt,
      where: this.where(),
      hooks: {
        onMessage: (m) => this.onMessage(link, m),
        onFatal: (e) => this.onFatal(link, e),
        onError: (e) => this.report(e),
        onWritable: () => this.req.wake(),
      },
    });
    link = opened;
    if (this.state !== 'starting') {
      // Closed while the link was opening.
      await link.close(0);
      return;
    }
    this.child = link;
    const offer = this.launcher.extensionsOffered;
    const context = handshakeContext(this.req.plan, this.req.component.id, this.req.taskId, { squall: { version: 1, extensions: offer } });
    const done = new Promise<void>((resolve, reject) => { this.handshake = { resolve, reject }; });
    link.send(handshakeMessage(pidDir, this.conf, context));
    await done;
  }

  private onMessage(link: ComponentLink | undefined, msg: ChildMessage): void {
    if (link === undefined || link !== this.child) return;
    if (this.state === 'starting') {
      if (msg.command !== 'pid') {
        link.kill(new ComponentError('E_MULTILANG_PROTOCOL', `sent "${msg.command}" before answering the handshake with its pid`, { context: this.where() }));
        return;
      }
      const agreed = (msg.extensions ?? []).filter((e) => this.launcher.extensionsOffered.includes(e));
      link.enableExtensions?.(agreed);
      this.state = 'running';
      this.startedAt = this.req.clock.now();
      this.logger.debug(`component started`, { pid: msg.pid, extensions: agreed });
      this.handshake?.resolve();
      this.handshake = undefined;
      this.onRunning(this.attempt === 1);
      this.req.wake();
      return;
    }
    switch (msg.command) {
      case 'log': return logAt(this.logger, msg.level, msg.msg, link.pid);
      case 'error': return this.report(new ComponentError('E_COMPONENT_REPORTED', msg.msg, { context: this.where() }));
      case 'metrics': return this.logger.debug(`metric ${msg.name}`, { params: msg.params });
      default: return this.onChildMessage(msg);
    }
  }

  private onFatal(link: ComponentLink | undefined, err: SquallError): void {
    // A link can die inside open(), before this.child is set; the handshake still waits on it.
    if ((link !== undefined && link !== this.child) || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'restarting';
    if (this.handshake) {
      this.handshake.reject(err);
      this.handshake = undefined;
    }
    if (err instanceof ComponentError && err.code === 'E_COMMAND_NOT_FOUND' && this.attempt === 1) return;
    this.report(err);
    this.onChildLost(err);
    if (wasRunning && this.req.clock.now() - this.startedAt > STABLE_MS) this.failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.failures++);
    this.logger.warn(`restarting in ${delay} ms`, { pid: link?.pid });
    this.restartTimer = this.req.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === 'restarting') this.start().catch(() => {});
    }, delay);
  }

  /** Liveness: a component that owes an answer and has said nothing for the timeout is hung. */
  private tick(): void {
    const child = this.child;
    if (!child || this.state === 'closed' || child.isDead) return;
    const silentMs = this.req.clock.now() - child.lastActivity;
    const owes = this.state === 'starting' || this.awaitingChild();
    if (owes && silentMs > this.timeoutMs) {
      child.kill(new ComponentError('E_SUBPROCESS_TIMEOUT', `component did not answer for ${Math.round(silentMs / 1000)} s (topology.subprocess.timeout.secs is ${this.timeoutMs / 1000})`, {
        context: this.where(), hint: 'a stopped or hung process; if it is just slow, raise topology.subprocess.timeout.secs', retriable: true,
      }));
      return;
    }
    if (this.state === 'running') this.onHeartbeat();
  }

  private cancelTimers(): void {
    for (const t of this.timers.splice(0)) t.cancel();
  }
}
