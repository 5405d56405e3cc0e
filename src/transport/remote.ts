/**
 * The runtime's `RemoteTransport` over TCP: tuples for tasks outside this worker go to the
 * PeerClient of the worker that runs them, one client (one connection) per peer worker. The
 * task → worker map comes from the assignment and can be replaced on reassignment; clients of
 * workers no longer needed drain in the background (bounded), new ones start connecting.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { IllegalStateError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { Congestible } from '../runtime/executors.js';
import type { RemoteTransport } from '../runtime/runtime.js';
import { PeerClient, type PeerClientStats, type SocketFactory } from './client.js';
import { NoRouteError } from './errors.js';
import type { TupleLike } from './frame-types.js';
import { type ClientTuning, compileClientTuning } from './options.js';

/** Where a worker listens. */
export interface WorkerAddress {
  host: string;
  port: number;
}

/** Options of TcpRemoteTransport.start; the tunables apply to every peer client. */
export interface TcpRemoteTransportOptions extends ClientTuning {
  topologyId: string;
  /** This worker's id (sent in every hello). */
  workerId: string;
  authToken?: string;
  /** Task id → address of the worker running it, for every task outside this worker. */
  assignment: ReadonlyMap<number, WorkerAddress>;
  /** Called when a destination may have stopped being full; pass `runtime.wake`. */
  onRelief?: () => void;
  /**
   * How long a client of a worker dropped by `updateAssignment` may take to send what it holds.
   * @default 5000
   */
  retiredDrainMs?: number;
  connect?: SocketFactory;
  clock?: Clock;
  logger?: Logger;
}

/** running → draining → closed, or running → closed. */
export type TcpRemoteTransportState = 'running' | 'draining' | 'closed';

const DEFAULT_RETIRED_DRAIN_MS = 5000;

/**
 * The runtime's RemoteTransport for cluster mode. Create with `TcpRemoteTransport.start(...)`;
 * release with `drain()` or `close()` / `await using`.
 */
export class TcpRemoteTransport implements RemoteTransport {
  state: TcpRemoteTransportState = 'running';
  /** Client per task id (sparse; tasks are small integers). */
  private clientOfTask: Array<PeerClient | undefined> = [];
  private readonly clients = new Map<string, PeerClient>();
  private readonly retiring = new Set<PeerClient>();
  private readonly congestibles = new Map<number, Congestible>();
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: TcpRemoteTransportOptions) {
    compileClientTuning(opts); // fail fast on bad tuning, before any socket exists
    this.logger = opts.logger ?? silentLogger;
  }

  /** Creates the transport and starts connecting to every worker in the assignment. */
  static start(opts: TcpRemoteTransportOptions): TcpRemoteTransport {
    const t = new TcpRemoteTransport(opts);
    t.updateAssignment(opts.assignment);
    return t;
  }

  /**
   * Hands a tuple to the client of its task's worker.
   * @throws NoRouteError when no worker is known for the task; SerializationError for values
   *   that cannot be encoded; IllegalStateError after close().
   */
  send(tuple: TupleLike): void {
    const client = this.clientOfTask[tuple.destTask];
    if (client === undefined) {
      if (this.state === 'closed') throw new IllegalStateError('transport is closed');
      throw new NoRouteError(tuple.destTask);
    }
    client.send(tuple);
  }

  /**
   * The runtime's view of one remote task: full while its worker's client is full, while that
   * worker reports the task congested, or while no worker is known for it (nothing could be
   * delivered). One object per task, looked up at call time, so it follows reassignments.
   */
  congestion(taskId: number): Congestible {
    let c = this.congestibles.get(taskId);
    if (c === undefined) {
      c = { isFull: () => this.isTaskFull(taskId) };
      this.congestibles.set(taskId, c);
    }
    return c;
  }

  /**
   * Replaces the task → worker map. Clients of new workers start connecting; clients of workers
   * no longer in the map drain what they hold (up to retiredDrainMs) and close.
   */
  updateAssignment(assignment: ReadonlyMap<number, WorkerAddress>): void {
    if (this.state !== 'running') throw new IllegalStateError(`cannot reassign a transport that is ${this.state}`);
    const byTask: Array<PeerClient | undefined> = [];
    const wanted = new Map<string, PeerClient>();
    for (const [task, addr] of assignment) {
      const key = `${addr.host}:${addr.port}`;
      let client = wanted.get(key) ?? this.clients.get(key);
      if (client === undefined) client = this.startClient(addr);
      wanted.set(key, client);
      byTask[task] = client;
    }
    for (const [key, client] of this.clients) {
      if (!wanted.has(key)) this.retire(client);
    }
    this.clients.clear();
    for (const [key, client] of wanted) this.clients.set(key, client);
    this.clientOfTask = byTask;
  }

  /** Stats per peer address. */
  stats(): Map<string, PeerClientStats> {
    return new Map([...this.clients].map(([key, c]) => [key, c.stats()]));
  }

  /** Sends what every client holds, then closes; true when nothing was dropped. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.state !== 'running') {
      await this.close();
      return false;
    }
    this.state = 'draining';
    const results = await Promise.all([...this.clients.values()].map((c) => c.drain(timeoutMs)));
    await this.close();
    return results.every(Boolean);
  }

  /** Closes every client at once. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private isTaskFull(task: number): boolean {
    const client = this.clientOfTask[task];
    if (client === undefined) return true;
    return client.isTaskCongested(task) || client.isFull();
  }

  private startClient(addr: WorkerAddress): PeerClient {
    const o = this.opts;
    return PeerClient.start({
      ...o,
      host: addr.host,
      port: addr.port,
      clock: o.clock ?? systemClock,
      logger: this.logger,
    });
  }

  private retire(client: PeerClient): void {
    this.retiring.add(client);
    void client.drain(this.opts.retiredDrainMs ?? DEFAULT_RETIRED_DRAIN_MS).finally(() => this.retiring.delete(client));
  }

  private async closeAll(): Promise<void> {
    this.state = 'closed';
    const clients = [...this.clients.values(), ...this.retiring];
    this.clients.clear();
    this.clientOfTask = [];
    await Promise.all(clients.map((c) => c.close()));
  }
}
