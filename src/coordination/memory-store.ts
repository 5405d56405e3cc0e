/**
 * InMemoryStateStore: a StateStore over an InMemoryZooKeeper tree, with the same semantics
 * as the ZooKeeper store — versions, ephemerals owned by a session, 10-digit sequential
 * names, one-shot watches re-armed by the shared registry, and the same session events.
 *
 * Tests drive failures through it: simulateDisconnect()/simulateReconnect() imitate a
 * network cut (the server expires the session after its timeout; the store assumes expiry by
 * its local timer at the same timeout), and expireSession() is a server-side expiry.
 * With a FakeClock, every timeout moves only when the test advances time.
 */
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { IllegalStateError } from '../common/errors.js';
import { nextEvent, Listeners } from './deadline.js';
import { InMemoryZooKeeper, type ExpireOptions, type TreeSession } from './memory-tree.js';
import type {
  CreateMode, MultiOp, MultiResult, NodeData, NodeStat, WatchEventType,
} from './state-store.js';
import { StoreBase } from './store-base.js';

/** Options of InMemoryStateStore; every field is optional. */
export interface InMemoryStateStoreOptions {
  /** The shared tree ("server"). @default a new private tree */
  tree?: InMemoryZooKeeper;
  /** @default the tree's clock */
  clock?: Clock;
  logger?: Logger;
  /** @default 20000 (Storm's storm.zookeeper.session.timeout) */
  sessionTimeoutMs?: number;
  /** @default sessionTimeoutMs */
  operationTimeoutMs?: number;
  /** @default 5000 */
  shutdownGraceMs?: number;
}

/** Storm's storm.zookeeper.session.timeout. */
export const DEFAULT_SESSION_TIMEOUT_MS = 20_000;

/** A StateStore client with one session on an InMemoryZooKeeper. Create with InMemoryStateStore.create(). */
export class InMemoryStateStore extends StoreBase {
  readonly tree: InMemoryZooKeeper;
  private session: TreeSession;
  private readonly timeoutMs: number;
  /** Fires 'up' when the simulated connection is restored. */
  private readonly link: Listeners<'up'>;
  private localExpiry: TimerHandle | undefined;
  /** True once we consider the current session gone and need a new one on reconnect. */
  private sessionLost = false;

  private constructor(opts: InMemoryStateStoreOptions) {
    const tree = opts.tree ?? new InMemoryZooKeeper({ clock: opts.clock ?? systemClock });
    const timeoutMs = opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    super({
      clock: opts.clock ?? tree.clock,
      logger: (opts.logger ?? silentLogger).child({ module: 'memory-store' }),
      operationTimeoutMs: opts.operationTimeoutMs ?? timeoutMs,
      shutdownGraceMs: opts.shutdownGraceMs ?? 5_000,
    });
    this.tree = tree;
    this.timeoutMs = timeoutMs;
    this.link = new Listeners(this.logger, 'link');
    this.session = this.openSession();
  }

  /** Creates a connected store (a new session on the tree). */
  static async create(opts: InMemoryStateStoreOptions = {}): Promise<InMemoryStateStore> {
    const store = new InMemoryStateStore(opts);
    store.transition('connected', ['connecting']);
    store.emitSession({ type: 'connected', sessionId: store.sessionId });
    return store;
  }

  get sessionId(): string {
    return this.session.id;
  }

  get sessionTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** Imitates a network cut: operations wait, watches go quiet, timers start. */
  simulateDisconnect(): void {
    this.transition('disconnected', ['connected']);
    this.tree.disconnect(this.session.id);
    this.emitSession({ type: 'disconnected', sessionId: this.sessionId });
    this.localExpiry = this.clock.setTimeout(() => this.onLocalExpiry(), this.timeoutMs);
  }

  /** Ends the cut: same session if it is still alive, otherwise a new one. */
  simulateReconnect(): void {
    this.transition('connected', ['disconnected']);
    this.localExpiry?.cancel();
    this.localExpiry = undefined;
    if (!this.sessionLost && this.tree.reconnect(this.session.id)) {
      this.link.emit('up');
      this.reconnectedSameSession();
      return;
    }
    if (!this.sessionLost) this.sessionExpired(this.session.id, 'server');
    this.startNewSession();
  }

  /** Server-side expiry of the current session (see ExpireOptions for stale ephemerals). */
  expireSession(opts: ExpireOptions = {}): void {
    if (this.currentState === 'closing' || this.currentState === 'closed') throw new IllegalStateError('store is closed');
    this.tree.expireSession(this.session.id, opts);
  }

  // ---- primitives ----
  protected doGet(path: string, signal: AbortSignal): Promise<NodeData | undefined> {
    return this.inSession(signal, (sid) => (this.tree.exists(sid, path) ? this.tree.get(sid, path) : undefined));
  }

  protected doExists(path: string, signal: AbortSignal): Promise<NodeStat | undefined> {
    return this.inSession(signal, (sid) => this.tree.exists(sid, path));
  }

  protected doChildren(path: string, signal: AbortSignal): Promise<string[]> {
    return this.inSession(signal, (sid) => this.tree.children(sid, path));
  }

  protected doCreate(path: string, data: Uint8Array, mode: CreateMode, signal: AbortSignal): Promise<string> {
    return this.inSession(signal, (sid) => this.tree.create(sid, path, data, mode));
  }

  protected doSet(path: string, data: Uint8Array, version: number, signal: AbortSignal): Promise<NodeStat> {
    return this.inSession(signal, (sid) => this.tree.set(sid, path, data, version));
  }

  protected doDelete(path: string, version: number, signal: AbortSignal): Promise<void> {
    return this.inSession(signal, (sid) => this.tree.delete(sid, path, version));
  }

  protected doMulti(ops: readonly MultiOp[], signal: AbortSignal): Promise<MultiResult[]> {
    return this.inSession(signal, (sid) => this.tree.multi(sid, ops));
  }

  readData(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<NodeData | undefined> {
    return this.inSession(signal ?? this.lifetime.signal, (sid) => {
      // exists() leaves a data watch when the node exists and a creation watch when not.
      const stat = this.tree.exists(sid, path, this.guardWatcher(watcher));
      return stat ? this.tree.get(sid, path) : undefined;
    });
  }

  readChildren(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<string[] | undefined> {
    return this.inSession(signal ?? this.lifetime.signal, (sid) => {
      const w = this.guardWatcher(watcher);
      if (!this.tree.exists(sid, path)) {
        this.tree.exists(sid, path, w);
        return undefined;
      }
      return this.tree.children(sid, path, w);
    });
  }

  protected shutdown(): Promise<void> {
    this.localExpiry?.cancel();
    this.tree.closeSession(this.session.id);
    return Promise.resolve();
  }

  // ---- internals ----

  /** Runs a tree operation once connected (operations issued while cut off wait, as in ZooKeeper). */
  private async inSession<T>(signal: AbortSignal, body: (sid: string) => T): Promise<T> {
    if (this.currentState !== 'connected') await nextEvent(this.link, () => true, signal);
    signal.throwIfAborted();
    return body(this.session.id);
  }

  /** Notifications do not reach a disconnected client; the resync on reconnect covers them. */
  private guardWatcher(watcher: (type: WatchEventType) => void): (type: WatchEventType) => void {
    const session = this.session;
    return (type) => {
      if (this.currentState === 'connected' && this.session === session) watcher(type);
    };
  }

  private openSession(): TreeSession {
    const session = this.tree.openSession(this.timeoutMs, () => this.onServerExpiry(session));
    return session;
  }

  private onServerExpiry(session: TreeSession): void {
    // A disconnected client learns about the expiry only when it reconnects.
    if (session !== this.session || this.currentState !== 'connected') return;
    this.sessionExpired(session.id, 'server');
    this.startNewSession();
  }

  private onLocalExpiry(): void {
    this.localExpiry = undefined;
    if (this.currentState !== 'disconnected' || this.sessionLost) return;
    this.sessionLost = true;
    this.sessionExpired(this.session.id, 'local-timer');
  }

  private startNewSession(): void {
    this.sessionLost = false;
    this.session = this.openSession();
    this.link.emit('up');
    void this.newSessionReady();
  }
}
