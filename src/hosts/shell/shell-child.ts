/**
 * One multilang subprocess: spawned without a shell in its own process group, stdout decoded
 * into protocol messages, stderr drained into the log, writes coalesced into one write per
 * turn of the event loop. Knows nothing about bolts or spouts; the hosts build on it.
 */
import { execa, type ResultPromise } from 'execa';
import type { Clock } from '../../common/clock.js';
import { ComponentError, SquallError, type ErrorContext } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import {
  createCodec, parseChildMessage, ProtocolError, unbatch, type ChildMessage, type MultilangCodec, type SerializerKind,
} from '../../multilang/index.js';
import type { ComponentLink } from '../multilang-task/component-link.js';
import { exitError, spawnError } from './child-errors.js';
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

const STDERR_TAIL_IN_ERRORS = 4096;

export class ShellChild implements ComponentLink {
  readonly pid: number | undefined;
  lastActivity: number;
  batchMode = false;
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
    const [file, ...args] = opts.command;
    this.codec = createCodec(opts.serializer, { maxFrameBytes: opts.maxFrameBytes });
    this.lastActivity = opts.clock.now();
    // After we close its stdin, what a child says is shutdown chatter (storm.py raises on EOF).
    this.stderr = new StderrDrain((line) => opts.logger[this.closing ? 'debug' : 'info'](line, { stream: 'stderr', pid: this.pid }));
    this.proc = execa(file!, args, {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      detached: true,
      cleanup: true,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
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
  }

  /** The last bytes of stderr, for error reports. */
  stderrTail(max = STDERR_TAIL_IN_ERRORS): string {
    const t = this.stderr.tailText();
    return t.length > max ? `…${t.slice(t.length - max)}` : t;
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
    if (await this.exitsWithin(graceMs)) return;
    signalGroup(this.pid, 'SIGTERM');
    if (await this.exitsWithin(Math.min(graceMs, 2000))) return;
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
    const needTaskIdsDefault = !this.batchMode;
    for (const frame of frames) {
      const msgs = this.batchMode && Array.isArray(frame) ? unbatch(frame) : [frame];
      for (const m of msgs) {
        let msg: ChildMessage;
        try {
          msg = parseChildMessage(m, { needTaskIdsDefault });
        } catch (err) {
          this.protocolFailure(err);
          return;
        }
        this.opts.onMessage(msg);
        if (this.dead) return;
      }
    }
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
    const tail = this.stderrTail().trimEnd();
    return tail ? `\n  stderr (last lines):\n    ${tail.split('\n').slice(-20).join('\n    ')}` : '';
  }

  private context(): ErrorContext {
    return { ...this.opts.where, ...(this.pid === undefined ? {} : { pid: this.pid }) };
  }

  /** Reports the first fatal condition only; always takes the whole process group down. */
  private fatal(err: SquallError): void {
    if (this.reported) return;
    this.reported = true;
    this.dead = true;
    signalGroup(this.pid, 'SIGKILL');
    if (!this.closing) this.opts.onFatal(err);
  }

  private exitsWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

/** Signals a process group (the child and anything it started); ignores "no such process". */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
