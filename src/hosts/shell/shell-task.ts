/**
 * What shell spouts and bolts share: starting a child and doing the handshake, liveness
 * checks, and on any fatal condition killing the child, reporting why, and restarting only
 * this task's child with exponential backoff.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimerHandle } from '../../common/clock.js';
import { ComponentError, SquallError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { handshakeMessage, type ChildMessage, type SerializerKind } from '../../multilang/index.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import { normalizeSerializer } from '../../topology/config-schema.js';
import { handshakeContext } from './handshake-context.js';
import { RUN_ID_ENV } from './pid-dirs.js';
import { ShellChild } from './shell-child.js';

export interface ShellEnvironment {
  /** This run's directory; pid directories are created inside it. */
  runDir: string;
  runId: string;
  /** Working directory of the child (the topology's resources directory). */
  cwd: string;
  /** Environment of the child (PYTHONPATH etc. already set). */
  env: Record<string, string>;
}

export type ShellTaskState = 'new' | 'starting' | 'running' | 'restarting' | 'closed';

const HEARTBEAT_MS = 1000;
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 10_000;
/** A child that has run this long is considered healthy again: backoff restarts from the start. */
const STABLE_MS = 10_000;
const EXTENSIONS_OFFERED = ['batch'];

export abstract class ShellTask {
  state: ShellTaskState = 'new';
  protected child: ShellChild | undefined;
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
    protected readonly command: readonly string[],
    protected readonly env: ShellEnvironment,
  ) {
    this.logger = req.logger;
    const c = req.component.config;
    const t = c['topology.subprocess.timeout.secs'] ?? c['supervisor.worker.timeout.secs'] ?? 30;
    this.timeoutMs = Number(t) * 1000;
  }

  /** Starts the first child. Throws only when it cannot be started at all (command missing). */
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

  /** Graceful close of the child; no restart afterwards. */
  protected async closeChild(graceMs = 5000): Promise<void> {
    this.state = 'closed';
    this.cancelTimers();
    this.restartTimer?.cancel();
    await this.child?.close(graceMs);
  }

  protected where(): { topology: string; component: string; task: number; pid?: number } {
    const w = { topology: this.req.topology, component: this.req.component.id, task: this.req.taskId };
    return this.child?.pid === undefined ? w : { ...w, pid: this.child.pid };
  }

  /** A message from the running child (after the handshake). */
  protected abstract onChildMessage(msg: ChildMessage): void;
  /** The child died: fail what it held. */
  protected abstract onChildLost(err: SquallError): void;
  /** Called every second while running (bolts send heartbeats). */
  protected abstract onHeartbeat(): void;
  /** True while the child owes an answer (spouts: a command is outstanding). */
  protected abstract awaitingChild(): boolean;
  /** Reports an error against this task. */
  protected abstract report(err: SquallError): void;

  private async start(): Promise<void> {
    this.state = 'starting';
    const pidDir = join(this.env.runDir, `${this.req.component.id}-${this.req.taskId}-${++this.attempt}`);
    await mkdir(pidDir, { recursive: true });
    if (this.state !== 'starting') return;
    const serializer = normalizeSerializer(String(this.req.component.config['topology.multilang.serializer'] ?? 'json')) as SerializerKind;
    const child = new ShellChild({
      command: this.command,
      cwd: this.env.cwd,
      env: { ...this.env.env, [RUN_ID_ENV]: this.env.runId },
      serializer,
      maxFrameBytes: 16 * 1024 * 1024,
      logger: this.logger,
      clock: this.req.clock,
      where: this.where(),
      onMessage: (m) => this.onMessage(child, m),
      onFatal: (e) => this.onFatal(child, e),
      onWritable: () => this.req.wake(),
    });
    this.child = child;
    const offer = serializer === 'ndjson' ? [] : EXTENSIONS_OFFERED;
    const context = handshakeContext(this.req.plan, this.req.component.id, this.req.taskId, { squall: { version: 1, extensions: offer } });
    const done = new Promise<void>((resolve, reject) => { this.handshake = { resolve, reject }; });
    child.send(handshakeMessage(pidDir, this.conf, context));
    await done;
  }

  private onMessage(child: ShellChild, msg: ChildMessage): void {
    if (child !== this.child) return;
    if (this.state === 'starting') {
      if (msg.command !== 'pid') {
        child.kill(new ComponentError('E_MULTILANG_PROTOCOL', `sent "${msg.command}" before answering the handshake with its pid`, { context: this.where() }));
        return;
      }
      child.batchMode = (msg.extensions ?? []).includes('batch') && this.offered(child);
      this.state = 'running';
      this.startedAt = this.req.clock.now();
      this.logger.debug(`subprocess started`, { pid: msg.pid, batch: child.batchMode });
      this.handshake?.resolve();
      this.handshake = undefined;
      this.req.wake();
      return;
    }
    this.onChildMessage(msg);
  }

  private offered(child: ShellChild): boolean {
    return child === this.child && normalizeSerializer(String(this.req.component.config['topology.multilang.serializer'] ?? 'json')) !== 'ndjson';
  }

  private onFatal(child: ShellChild, err: SquallError): void {
    if (child !== this.child || this.state === 'closed') return;
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
    this.logger.warn(`restarting in ${delay} ms`, { pid: child.pid });
    this.restartTimer = this.req.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === 'restarting') this.start().catch(() => {});
    }, delay);
  }

  /** Liveness: a child that owes an answer and has said nothing for the timeout is hung. */
  private tick(): void {
    const child = this.child;
    if (!child || this.state === 'closed' || child.isDead) return;
    const silentMs = this.req.clock.now() - child.lastActivity;
    const owes = this.state === 'starting' || this.awaitingChild();
    if (owes && silentMs > this.timeoutMs) {
      child.kill(new ComponentError('E_SUBPROCESS_TIMEOUT', `subprocess did not answer for ${Math.round(silentMs / 1000)} s (topology.subprocess.timeout.secs is ${this.timeoutMs / 1000})`, {
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
