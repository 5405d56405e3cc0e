/**
 * The process behind a `grpc: {command}` component task: spawned without a shell in its own
 * process group, told where to listen through SQUALL_GRPC_ADDRESS, its stdout and stderr
 * drained into the log. It outlives single streams: a broken stream to a live process is
 * reopened without restarting it.
 */
import type { ResultPromise } from 'execa';
import type { ErrorContext, SquallError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { exitError, grpcExitHint, spawnError, withPid } from '../shell/child-errors.js';
import { exitsWithin, signalGroup, spawnComponent, stderrTailHint } from '../shell/component-process.js';
import { StderrDrain } from '../shell/stderr-drain.js';

/** The environment variable that tells a launched component where to listen. */
export const GRPC_ADDRESS_ENV = 'SQUALL_GRPC_ADDRESS';

export interface GrpcProcessOptions {
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** host:port the process must listen on. */
  address: string;
  logger: Logger;
  where: ErrorContext;
}

export class GrpcProcess {
  readonly pid: number | undefined;
  readonly address: string;
  /** Why the process ended (or could not start); undefined while it runs. */
  endError: SquallError | undefined;
  readonly exited: Promise<void>;
  private readonly proc: ResultPromise;
  private readonly stderr: StderrDrain;
  private readonly stdout: StderrDrain;
  private readonly listeners = new Set<(err: SquallError) => void>();
  private closing = false;
  /** Set by kill(): the exit is on its way, so the process must not be handed out again. */
  private killed = false;

  constructor(private readonly opts: GrpcProcessOptions) {
    this.address = opts.address;
    const level = (): 'debug' | 'info' => (this.closing ? 'debug' : 'info');
    this.stderr = new StderrDrain((line) => opts.logger[level()](line, { stream: 'stderr', pid: this.pid }));
    this.stdout = new StderrDrain((line) => opts.logger[level()](line, { stream: 'stdout', pid: this.pid }));
    this.proc = spawnComponent({ ...opts, env: { ...opts.env, [GRPC_ADDRESS_ENV]: opts.address } }, { stdin: 'ignore' });
    this.pid = this.proc.pid;
    this.exited = this.proc.then(() => undefined);
    this.wire();
  }

  get alive(): boolean {
    return !this.killed && this.endError === undefined;
  }

  /** Calls `fn` once if the process ends; returns the unsubscribe function. */
  onEnd(fn: (err: SquallError) => void): () => void {
    if (this.endError) {
      queueMicrotask(() => fn(this.endError!));
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Kills the whole process group at once. */
  kill(): void {
    this.killed = true;
    signalGroup(this.pid, 'SIGKILL');
  }

  /** SIGTERM to the process group, SIGKILL if it has not exited within `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.pid === undefined || this.endError !== undefined) return;
    if (!this.killed) {
      signalGroup(this.pid, 'SIGTERM');
      if (await exitsWithin(this.exited, graceMs)) return;
      this.kill();
    }
    await this.exited;
  }

  private wire(): void {
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => this.stdout.push(chunk));
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => this.stderr.push(chunk));
    this.proc.on('error', (err: NodeJS.ErrnoException) => this.end(spawnError(this.opts.command, this.opts.cwd, err, this.context())));
    this.proc.on('exit', (code, signal) => {
      this.stdout.flush();
      this.stderr.flush();
      const tail = this.stderr.tailText();
      this.end(exitError(code, signal, stderrTailHint(tail), this.context(), grpcExitHint(tail)));
    });
  }

  private end(err: SquallError): void {
    if (this.endError) return;
    this.endError = err;
    // Whatever the component started goes with it.
    signalGroup(this.pid, 'SIGKILL');
    for (const fn of [...this.listeners]) fn(err);
    this.listeners.clear();
  }

  private context(): ErrorContext {
    return withPid(this.opts.where, this.pid);
  }
}
