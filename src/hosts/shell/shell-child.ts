/**
 * One multilang subprocess: spawned without a shell in its own process group, stdout decoded
 * into protocol messages, stderr drained into the log, writes coalesced into one write per
 * turn of the event loop. Knows nothing about bolts or spouts; the hosts build on it.
 */
import type { ResultPromise } from 'execa';
import type { Clock } from '../../common/clock.js';
import { ComponentError, SquallError, type ErrorContext } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import {
  createCodec, parseChildMessage, ProtocolError, unbatch, type ChildMessage, type MultilangCodec, type ParseChildOptions, type SerializerKind,
} from '../../multilang/index.js';
import type { ComponentLink } from '../multilang-task/component-link.js';
import { exitError, spawnError, withPid } from './child-errors.js';
import { exitsWithin, signalGroup, spawnComponent, stderrTailHint } from './component-process.js';
import { StderrDrain } from './stderr-drain.js';

export interface ShellChildOptions {
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  serializer: SerializerKind;
  maxFrameBytes: number;
  logger: Logger;
  clock: Clock;
  /** Names the task in errors. */
  where: ErrorContext;
  onMessage(msg: ChildMessage): void;
  /** Called once when the child dies, breaks the protocol or cannot start. */
  onFatal(err: SquallError): void;
  /** stdin drained after a write was refused. */
  onWritable(): void;
}

export class ShellChild implements ComponentLink {
  readonly pid: number | undefined;
  lastActivity: number;
  private batchMode = false;
  /** Stdio children ask for task ids unless they say otherwise; batch-mode children the reverse. */
  private parseOptions: ParseChildOptions = { needTaskIdsDefault: true };
  private readonly proc: ResultPromise;
  private readonly codec: MultilangCodec;
  private readonly stderr: StderrDrain;
  private outbox: unknown[] = [];
  private flushScheduled = false;
  private stdinFull = false;
  private dead = false;
  private reported = false;
  private closing = false;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(private readonly opts: ShellChildOptions) {
    this.codec = createCodec(opts.serializer, { maxFrameBytes: opts.maxFrameBytes });
    this.lastActivity = opts.clock.now();
    // After we close its stdin, what a child says is shutdown chatter (storm.py raises on EOF).
    this.stderr = new StderrDrain((line) => opts.logger[this.closing ? 'debug' : 'info'](line, { stream: 'stderr', pid: this.pid }));
    this.proc = spawnComponent(opts, { stdin: 'pipe', encoding: 'buffer', stripFinalNewline: false });
    this.pid = this.proc.pid;
    // execa's result settles after exit and after a failed spawn (which has no exit event).
    this.exited = this.proc.then((r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }));
    this.wire();
  }

  get writable(): boolean {
    return !this.dead && !this.stdinFull;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** Queues a message; all messages queued in one turn go out in one write. */
  send(msg: unknown): void {
    if (this.dead) return;
    this.outbox.push(msg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  enableExtensions(names: readonly string[]): void {
    this.batchMode = names.includes('batch');
    this.parseOptions = { needTaskIdsDefault: !this.batchMode };
  }

  /** Kills the whole process group at once, reporting `reason` as the cause of death. */
  kill(reason?: SquallError): void {
    if (reason) this.fatal(reason);
    this.dead = true;
    signalGroup(this.pid, 'SIGKILL');
  }

  /**
   * Graceful stop: close stdin (adapters exit on EOF, after their cleanup), then SIGTERM and
   * SIGKILL to the process group if it has not exited in time.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.pid === undefined) return;
    this.flush();
    this.proc.stdin?.end();
    if (await exitsWithin(this.exited, graceMs)) return;
    signalGroup(this.pid, 'SIGTERM');
    if (await exitsWithin(this.exited, Math.min(graceMs, 2000))) return;
    this.kill();
    await this.exited;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const msgs = this.outbox;
    if (msgs.length === 0 || this.dead) return;
    this.outbox = [];
    const data = this.encode(msgs);
    const ok = this.proc.stdin!.write(data);
    if (!ok) this.stdinFull = true;
  };

  private encode(msgs: unknown[]): string | Uint8Array {
    if (msgs.length === 1) return this.codec.encode(msgs[0]);
    if (this.batchMode) return this.codec.encodeBatch(msgs);
    const parts = msgs.map((m) => this.codec.encode(m));
    if (typeof parts[0] === 'string') return (parts as string[]).join('');
    return Buffer.concat(parts as Uint8Array[]);
  }

  private wire(): void {
    const { proc } = this;
    proc.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => this.stderr.push(chunk));
    proc.stdin!.on('drain', () => {
      this.stdinFull = false;
      this.opts.onWritable();
    });
    // EPIPE after the child died: the exit handler reports the death itself.
    proc.stdin!.on('error', () => {});
    proc.on('error', (err: NodeJS.ErrnoException) => this.fatal(spawnError(this.opts.command, this.opts.cwd, err, this.context())));
    proc.on('exit', (code, signal) => {
      this.stderr.flush();
      this.fatal(exitError(code, signal, this.tailHint(), this.context()));
    });
  }

  private onStdout(chunk: Buffer): void {
    if (this.dead) return;
    this.lastActivity = this.opts.clock.now();
    let frames: readonly unknown[];
    let failure: unknown;
    try {
      frames = this.codec.decoder.push(chunk);
    } catch (err) {
      // Frames decoded before the bad bytes (often the child's own last "error") still count.
      frames = err instanceof ProtocolError ? err.decodedBefore : [];
      failure = err;
    }
    this.dispatch(frames);
    if (failure !== undefined && !this.dead) this.protocolFailure(failure);
  }

  private dispatch(frames: readonly unknown[]): void {
    for (const frame of frames) {
      if (this.batchMode && Array.isArray(frame)) {
        for (const m of unbatch(frame)) if (!this.deliver(m)) return;
      } else if (!this.deliver(frame)) {
        return;
      }
    }
  }

  /** Parses and hands on one message; false once the child is dead (or just broke the protocol). */
  private deliver(m: unknown): boolean {
    let msg: ChildMessage;
    try {
      msg = parseChildMessage(m, this.parseOptions);
    } catch (err) {
      this.protocolFailure(err);
      return false;
    }
    this.opts.onMessage(msg);
    return !this.dead;
  }

  private protocolFailure(err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    const code = err instanceof ProtocolError ? err.code : 'E_MULTILANG_PROTOCOL';
    this.fatal(new ComponentError(code, `broke the multilang protocol: ${detail}${this.tailHint()}`, {
      context: this.context(), cause: err,
      hint: code === 'E_PROTOCOL_NONJSON'
        ? 'something printed to stdout, which is the protocol pipe: log through the adapter (self.log / logging) or write to stderr'
        : `the component must speak the multilang protocol with the ${this.opts.serializer} serializer (topology.multilang.serializer)`,
    }));
  }

  private tailHint(): string {
    return stderrTailHint(this.stderr.tailText());
  }

  private context(): ErrorContext {
    return withPid(this.opts.where, this.pid);
  }

  /** Reports the first fatal condition only; always takes the whole process group down. */
  private fatal(err: SquallError): void {
    if (this.reported) return;
    this.reported = true;
    this.dead = true;
    signalGroup(this.pid, 'SIGKILL');
    if (!this.closing) this.opts.onFatal(err);
  }
}
