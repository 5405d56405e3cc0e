/**
 * ZooKeeperStateStore: the StateStore on a real ZooKeeper ensemble, following TEST-PLANS A5:
 *
 * - Disconnected is not expired (rule 2): on 'disconnected' the library reconnects on its own
 *   and keeps the session; we only emit 'disconnected' and start a local timer.
 * - A partitioned client may never hear EXPIRED (rule 4): if still disconnected one session
 *   timeout after the server last answered, we assume the session expired. A watchdog
 *   (zk-watchdog.ts) turns a silent connection into a disconnect, which the library alone
 *   never does.
 * - After an expiry, server-declared or assumed, the handle is dead (rule 3): emit 'expired',
 *   retire the old client, create ONE new client, and when its session is up recreate the
 *   ephemerals this store owns (resolving stale NodeExists by ephemeralOwner, rule 6), re-read
 *   and re-arm every watch (rule 5), then emit 'reconnected-new-session'.
 * - Clients are created only at start and after an expiry (rule 9), never on a disconnect, and
 *   the old client has reached CLOSED before the new one exists: one live client at any time.
 * - Connection loss is ambiguous (rule 1): only reads are retried.
 */
import type { TimerHandle } from '../common/clock.js';
import { withDeadline, Listeners, nextEvent } from './deadline.js';
import { NodeExistsError, NoNodeError, OperationTimeoutError } from './errors.js';
import { ancestors, type CreateMode, type MultiOp, type MultiResult, type NodeData, type NodeStat, type WatchEventType } from './state-store.js';
import { StoreBase } from './store-base.js';
import { ZkClient, type ZkClientState } from './zk-client.js';
import {
  compileZooKeeperStateStoreOptions, type CompiledZooKeeperStateStoreOptions, type ZooKeeperStateStoreOptions,
} from './zk-options.js';

export type { ZooKeeperStateStoreOptions } from './zk-options.js';

/** How many client objects a store made and how many are still live (tests, diagnostics). */
export interface ZkClientStats {
  created: number;
  live: number;
}

const LOCAL_EXPIRY_MARGIN_MAX_MS = 500;

/** The StateStore on ZooKeeper. Create with ZooKeeperStateStore.connect(). */
export class ZooKeeperStateStore extends StoreBase {
  private readonly opts: Readonly<CompiledZooKeeperStateStoreOptions>;
  private client: ZkClient;
  private serials = 0;
  private readonly retiring = new Set<ZkClient>();
  private readonly clientStates: Listeners<ZkClientState>;
  private localExpiry: TimerHandle | undefined;
  /** Set while the old client is being retired and the new one created; operations wait. */
  private replacing: Promise<void> | undefined;

  private constructor(opts: Readonly<CompiledZooKeeperStateStoreOptions>) {
    super({
      clock: opts.clock,
      logger: opts.logger.child({ module: 'zk-store' }),
      operationTimeoutMs: opts.operationTimeoutMs,
      shutdownGraceMs: opts.shutdownGraceMs,
    });
    this.opts = opts;
    this.clientStates = new Listeners(this.logger, 'zk client state');
    this.client = this.newClient();
  }

  /**
   * Connects (creating the chroot if missing) and resolves once the first session is up.
   * @throws OperationTimeoutError when no server answers within connectTimeoutMs
   */
  static async connect(options: ZooKeeperStateStoreOptions, signal?: AbortSignal): Promise<ZooKeeperStateStore> {
    const opts = compileZooKeeperStateStoreOptions(options);
    if (opts.chroot) await ensureChroot(opts, signal);
    const store = new ZooKeeperStateStore(opts);
    try {
      await store.start(signal);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** The live session's id; undefined before the first connection and while replacing an expired one. */
  get sessionId(): string | undefined {
    return this.client.connectedOnce && !this.client.retired ? this.client.sessionId : undefined;
  }

  get sessionTimeoutMs(): number {
    return this.client.sessionTimeoutMs;
  }

  /** Client objects made by this store and how many are not yet CLOSED. */
  clientStats(): ZkClientStats {
    const all = [this.client, ...this.retiring];
    return { created: this.serials, live: all.filter((c) => c.isLive()).length };
  }

  // ---- primitives ----
  protected async doGet(path: string, signal: AbortSignal): Promise<NodeData | undefined> {
    return (await this.current(signal)).getData(path);
  }

  protected async doExists(path: string, signal: AbortSignal): Promise<NodeStat | undefined> {
    return (await this.current(signal)).exists(path);
  }

  protected async doChildren(path: string, signal: AbortSignal): Promise<string[]> {
    return (await this.current(signal)).getChildren(path);
  }

  protected async doCreate(path: string, data: Uint8Array, mode: CreateMode, signal: AbortSignal): Promise<string> {
    return (await this.current(signal)).create(path, data, mode);
  }

  protected async doSet(path: string, data: Uint8Array, version: number, signal: AbortSignal): Promise<NodeStat> {
    return (await this.current(signal)).setData(path, data, version);
  }

  protected async doDelete(path: string, version: number, signal: AbortSignal): Promise<void> {
    return (await this.current(signal)).remove(path, version);
  }

  protected async doMulti(ops: readonly MultiOp[], signal: AbortSignal): Promise<MultiResult[]> {
    return (await this.current(signal)).multi(ops);
  }

  async readData(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<NodeData | undefined> {
    for (;;) {
      const c = await this.current(signal ?? this.lifetime.signal);
      const node = await c.getData(path, watcher);
      if (node) return node;
      // getData on a missing node leaves no watch; exists() leaves a creation watch.
      if (!(await c.exists(path, watcher))) return undefined;
    }
  }

  async readChildren(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<string[] | undefined> {
    for (;;) {
      const c = await this.current(signal ?? this.lifetime.signal);
      if (await c.exists(path)) {
        try {
          return await c.getChildren(path, watcher);
        } catch (err) {
          if (!(err instanceof NoNodeError)) throw err;
        }
      }
      if (!(await c.exists(path, watcher))) return undefined;
    }
  }

  protected async shutdown(graceMs: number): Promise<void> {
    this.localExpiry?.cancel();
    await this.replacing?.catch(() => undefined);
    // close() sends closeSession: the server deletes our ephemerals now, not after the timeout.
    await Promise.all([this.client, ...this.retiring].map((c) => c.retire(graceMs)));
    if (this.client.isLive()) this.logger.warn('ZooKeeper client did not close within the grace period');
  }

  // ---- session handling ----

  private async start(signal: AbortSignal | undefined): Promise<void> {
    const connected = withDeadline(
      (s) => nextEvent(this.clientStates, (st) => st === 'connected', s),
      { clock: this.clock, timeoutMs: this.opts.connectTimeoutMs, signal, what: 'connect', path: this.opts.chroot },
    );
    this.client.connect();
    try {
      await connected;
    } catch (err) {
      throw connectError(err, this.opts);
    }
  }

  private newClient(): ZkClient {
    const serial = ++this.serials;
    return new ZkClient(serial, {
      connectString: this.opts.servers.join(',') + (this.opts.chroot ?? ''),
      serverCount: this.opts.servers.length,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      spinDelayMs: this.opts.spinDelayMs,
      clock: this.clock,
      logger: this.logger,
      onState: (state, client) => this.onClientState(state, client),
    });
  }

  private onClientState(state: ZkClientState, client: ZkClient): void {
    if (client !== this.client || this.currentState === 'closing' || this.currentState === 'closed') return;
    this.logger.debug('zk client state', { state, client: client.serial });
    switch (state) {
      case 'connected': this.onConnected(client); break;
      case 'disconnected': this.onDisconnected(client); break;
      case 'expired': this.onExpired(client, 'server'); break;
      case 'auth-failed':
        this.logger.error('ZooKeeper authentication failed; starting a new session', { client: client.serial });
        this.onExpired(client, 'server');
        break;
    }
    this.clientStates.emit(state);
  }

  private onConnected(client: ZkClient): void {
    this.localExpiry?.cancel();
    this.localExpiry = undefined;
    const from = this.currentState;
    this.currentState = 'connected';
    if (from === 'connecting' && client.serial === 1) {
      this.emitSession({ type: 'connected', sessionId: this.sessionId });
    } else if (from === 'connecting') {
      void this.newSessionReady();
    } else {
      this.reconnectedSameSession();
    }
  }

  /**
   * Arms the local expiry timer (A5 rule 4). The server expires a session one timeout after it
   * last heard from the client, so we count from the last reply we got, minus a small margin
   * for the reply's travel time: a leader steps down no later than the server lets a
   * successor take over.
   */
  private onDisconnected(client: ZkClient): void {
    if (this.currentState !== 'connected') return;
    this.currentState = 'disconnected';
    this.emitSession({ type: 'disconnected', sessionId: this.sessionId });
    const timeoutMs = client.sessionTimeoutMs;
    const marginMs = Math.min(timeoutMs / 10, LOCAL_EXPIRY_MARGIN_MAX_MS);
    const delayMs = Math.max(0, client.lastHeardAt + timeoutMs - marginMs - this.clock.now());
    this.localExpiry = this.clock.setTimeout(() => {
      this.localExpiry = undefined;
      if (this.client === client && this.currentState === 'disconnected') this.onExpired(client, 'local-timer');
    }, delayMs);
  }

  private onExpired(client: ZkClient, reason: 'server' | 'local-timer'): void {
    if (this.replacing) return;
    this.localExpiry?.cancel();
    this.localExpiry = undefined;
    this.currentState = 'connecting';
    this.sessionExpired(client.connectedOnce ? client.sessionId : undefined, reason);
    this.replacing = this.replaceClient(client).finally(() => { this.replacing = undefined; });
  }

  /** Retires the dead client (to CLOSED), then creates and connects exactly one new client. */
  private async replaceClient(old: ZkClient): Promise<void> {
    this.retiring.add(old);
    await old.retire(Math.min(this.opts.shutdownGraceMs, 2 * this.opts.spinDelayMs + 1_000));
    if (old.isLive()) this.logger.warn('retired ZooKeeper client is not closed yet', { client: old.serial });
    else this.retiring.delete(old);
    if (this.lifetime.signal.aborted) return;
    this.client = this.newClient();
    this.logger.info('created a new ZooKeeper client for a new session', { client: this.client.serial });
    this.client.connect();
  }

  /** The client to use now; waits while a replacement is under way. */
  private async current(signal: AbortSignal): Promise<ZkClient> {
    while (this.replacing) {
      signal.throwIfAborted();
      await raceAbort(this.replacing, signal);
    }
    return this.client;
  }
}

/** Creates the chroot (and its parents) with a short-lived client on the bare ensemble. */
async function ensureChroot(opts: Readonly<CompiledZooKeeperStateStoreOptions>, signal: AbortSignal | undefined): Promise<void> {
  const states = new Listeners<ZkClientState>(opts.logger, 'zk bootstrap');
  const client = new ZkClient(0, {
    connectString: opts.servers.join(','),
    serverCount: opts.servers.length,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    spinDelayMs: opts.spinDelayMs,
    clock: opts.clock,
    logger: opts.logger,
    onState: (s) => states.emit(s),
  });
  try {
    const connected = withDeadline((s) => nextEvent(states, (st) => st === 'connected', s), {
      clock: opts.clock, timeoutMs: opts.connectTimeoutMs, signal, what: 'connect', path: opts.chroot,
    });
    client.connect();
    await connected.catch((err: unknown) => { throw connectError(err, opts); });
    for (const p of [...ancestors(opts.chroot!), opts.chroot!]) {
      await client.create(p, new Uint8Array(), 'persistent').catch((err: unknown) => {
        if (!(err instanceof NodeExistsError)) throw err;
      });
    }
  } finally {
    await client.retire(opts.shutdownGraceMs);
  }
}

function connectError(err: unknown, opts: Readonly<CompiledZooKeeperStateStoreOptions>): unknown {
  if (!(err instanceof OperationTimeoutError)) return err;
  return new OperationTimeoutError(
    `could not connect to ZooKeeper at ${opts.servers.join(',')} within ${opts.connectTimeoutMs} ms`,
    { hint: 'check that ZooKeeper is running and that storm.zookeeper.servers/port point at it', cause: err },
  );
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
