/**
 * Links for `grpc:` components. `{command}`: one process per task, listening where
 * SQUALL_GRPC_ADDRESS says, kept across streams while it lives. `{address}`: an already
 * running service; each attempt is a new Run stream on a new connection.
 */
import { IllegalStateError } from '../../common/errors.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import type { LinkLauncher, LinkRequest, OpenedLink } from '../multilang-task/component-link.js';
import { freeLoopbackPort } from './free-port.js';
import { GrpcLink } from './grpc-link.js';
import { GrpcProcess } from './grpc-process.js';
import { CONNECT_TIMEOUT_KEY, KEEPALIVE_KEY, MAX_MESSAGE_KEY } from './stream-errors.js';

export type GrpcTarget =
  | { command: readonly string[]; cwd: string; env: Record<string, string> }
  | { address: string };

export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_GRPC_CONNECT_TIMEOUT_SECS = 30;
/** A silent peer (a frozen machine, a dropped network) is noticed within about 15 s. */
export const DEFAULT_GRPC_KEEPALIVE_SECS = 10;
/**
 * Spout commands in flight at once. Each costs the component one sync; more than a few only
 * lets acks and fails queue inside the component instead of here.
 */
const SPOUT_PIPELINE_DEPTH = 16;

export class GrpcLauncher implements LinkLauncher {
  readonly extensionsOffered: readonly string[] = [];
  readonly spoutPipelineDepth = SPOUT_PIPELINE_DEPTH;
  private readonly maxMessageBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveMs: number;
  private process: GrpcProcess | undefined;
  private disposed = false;

  constructor(
    private readonly req: ComponentRequest,
    private readonly target: GrpcTarget,
  ) {
    const c = req.component.config;
    this.maxMessageBytes = Number(c[MAX_MESSAGE_KEY] ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES);
    this.connectTimeoutMs = Number(c[CONNECT_TIMEOUT_KEY] ?? DEFAULT_GRPC_CONNECT_TIMEOUT_SECS) * 1000;
    this.keepaliveMs = Number(c[KEEPALIVE_KEY] ?? DEFAULT_GRPC_KEEPALIVE_SECS) * 1000;
  }

  async open({ where, hooks }: LinkRequest): Promise<OpenedLink> {
    const reused = this.process?.alive === true;
    const process = 'command' in this.target ? await this.liveProcess(this.target, where) : undefined;
    if (this.disposed) throw new IllegalStateError('the task closed while its gRPC link was opening', { context: where });
    const address = process?.address ?? (this.target as { address: string }).address;
    const link = new GrpcLink({
      address,
      ...(process ? { process } : {}),
      maxMessageBytes: this.maxMessageBytes,
      // A process that served before needs no start-up time: if it does not take a new
      // connection within a keepalive window it is frozen, and a fresh one is better.
      connectTimeoutMs: process && reused ? Math.min(this.connectTimeoutMs, 1.5 * this.keepaliveMs) : this.connectTimeoutMs,
      reconnect: process !== undefined && reused,
      keepaliveMs: this.keepaliveMs,
      logger: this.req.logger,
      clock: this.req.clock,
      where,
      hooks,
    });
    return { link, pidDir: '' };
  }

  async dispose(graceMs: number): Promise<void> {
    this.disposed = true;
    await this.process?.close(Math.min(graceMs, 2000));
  }

  /** The running process, or a new one on a fresh port when it died (or never started). */
  private async liveProcess(target: Extract<GrpcTarget, { command: readonly string[] }>, where: LinkRequest['where']): Promise<GrpcProcess | undefined> {
    if (this.process?.alive) return this.process;
    const port = await freeLoopbackPort();
    if (this.disposed) return undefined;
    // The previous process may linger (a failed connect killed it; its exit is still on the way).
    this.process = new GrpcProcess({
      command: target.command, cwd: target.cwd, env: target.env, address: `127.0.0.1:${port}`, logger: this.req.logger, where,
    });
    return this.process;
  }
}
