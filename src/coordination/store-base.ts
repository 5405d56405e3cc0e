/**
 * The half of a StateStore that does not depend on the backend: timeouts and cancellation,
 * read retries, `parents` and `recursive`, ownership of ephemerals, re-arming watches,
 * session events and the close lifecycle. ZooKeeperStateStore and InMemoryStateStore
 * implement only the primitive operations on their current session, so both stores behave
 * the same by construction.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { IllegalStateError } from '../common/errors.js';
import { withDeadline, Listeners } from './deadline.js';
import { ConnectionLossError, CoordinationError, NodeExistsError, NoNodeError, SessionExpiredError, StoreClosedError } from './errors.js';
import { OwnedEphemerals } from './owned-ephemerals.js';
import {
  ancestors, childPath, validatePath,
  type ChildrenWatchEvent, type CreateMode, type CreateOptions, type DataWatchEvent, type DeleteOptions,
  type MultiOp, type MultiResult, type NodeData, type NodeStat, type OpOptions, type SessionEvent,
  type StateStore, type StoreState, type WatchEventType, type WatchHandle,
} from './state-store.js';
import { WatchRegistry, type WatchBackend } from './watch-registry.js';

/** Settings every store takes. */
export interface StoreBaseSettings {
  clock: Clock;
  logger: Logger;
  operationTimeoutMs: number;
  shutdownGraceMs: number;
}

const READ_RETRY_MIN_MS = 50;
const READ_RETRY_MAX_MS = 1_000;

/** Base of both stores; subclasses implement the do*() primitives and shutdown(). */
export abstract class StoreBase implements StateStore, WatchBackend {
  readonly closed: Promise<void | Error>;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  protected readonly settings: StoreBaseSettings;
  /** Aborted (with StoreClosedError) when close() starts; every wait listens to it. */
  protected readonly lifetime = new AbortController();
  protected readonly sessionEvents: Listeners<SessionEvent>;
  protected readonly watches: WatchRegistry;
  protected readonly owned: OwnedEphemerals;
  protected currentState: StoreState = 'connecting';
  /** Bumped whenever a session ends, so a stale new-session flow stops. */
  protected sessionGeneration = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private resolveClosed!: (v: void | Error) => void;
  private closing: Promise<void> | undefined;

  protected constructor(settings: StoreBaseSettings) {
    this.settings = settings;
    this.clock = settings.clock;
    this.logger = settings.logger;
    this.sessionEvents = new Listeners(this.logger, 'session');
    this.watches = new WatchRegistry(this, this.clock, this.logger);
    this.owned = new OwnedEphemerals(this.clock, this.logger);
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
  }

  abstract get sessionId(): string | undefined;
  abstract get sessionTimeoutMs(): number;

  get state(): StoreState {
    return this.currentState;
  }

  // ---- primitives a backend provides (on its current session; the signal is advisory) ----
  protected abstract doGet(path: string, signal: AbortSignal): Promise<NodeData | undefined>;
  protected abstract doExists(path: string, signal: AbortSignal): Promise<NodeStat | undefined>;
  protected abstract doChildren(path: string, signal: AbortSignal): Promise<string[]>;
  protected abstract doCreate(path: string, data: Uint8Array, mode: CreateMode, signal: AbortSignal): Promise<string>;
  protected abstract doSet(path: string, data: Uint8Array, version: number, signal: AbortSignal): Promise<NodeStat>;
  protected abstract doDelete(path: string, version: number, signal: AbortSignal): Promise<void>;
  protected abstract doMulti(ops: readonly MultiOp[], signal: AbortSignal): Promise<MultiResult[]>;
  abstract readData(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<NodeData | undefined>;
  abstract readChildren(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<string[] | undefined>;
  /** Ends the session (ephemerals vanish) and the connection, within `graceMs`. */
  protected abstract shutdown(graceMs: number): Promise<void>;

  // ---- StateStore ----
  get(path: string, opts: OpOptions = {}): Promise<NodeData | undefined> {
    return this.op('get', path, opts, (s) => this.retryingRead(s, () => this.doGet(path, s)));
  }

  exists(path: string, opts: OpOptions = {}): Promise<NodeStat | undefined> {
    return this.op('exists', path, opts, (s) => this.retryingRead(s, () => this.doExists(path, s)));
  }

  children(path: string, opts: OpOptions = {}): Promise<string[]> {
    return this.op('children', path, opts, (s) => this.retryingRead(s, () => this.doChildren(path, s)));
  }

  set(path: string, data: Uint8Array, expectedVersion = -1, opts: OpOptions = {}): Promise<NodeStat> {
    return this.op('set', path, opts, async (s) => {
      const stat = await this.doSet(path, data, expectedVersion, s);
      this.owned.update(path, data);
      return stat;
    });
  }

  create(path: string, data: Uint8Array, opts: CreateOptions): Promise<string> {
    const own = opts.mode === 'ephemeral' && opts.recreateOnNewSession !== false;
    return this.op('create', path, opts, async (s) => {
      try {
        const actual = await this.createWithParents(path, data, opts, s);
        if (own) this.owned.remember(actual, data);
        return actual;
      } catch (err) {
        // An ambiguous create may have made the node: keep the intent to own it, so a new
        // session recreates it rather than silently losing it.
        if (own && err instanceof CoordinationError && err.ambiguous) this.owned.remember(path, data);
        throw err;
      }
    });
  }

  delete(path: string, expectedVersion = -1, opts: DeleteOptions = {}): Promise<void> {
    return this.op('delete', path, opts, async (s) => {
      if (opts.recursive) await this.deleteChildren(path, s);
      await this.doDelete(path, expectedVersion, s);
      this.owned.forget(path);
    });
  }

  multi(ops: readonly MultiOp[], opts: OpOptions = {}): Promise<MultiResult[]> {
    return this.op('multi', ops[0]?.path ?? '/', opts, async (s) => {
      for (const o of ops) validatePath(o.path);
      const results = await this.doMulti(ops, s);
      ops.forEach((o, i) => this.trackMultiOp(o, results[i]));
      return results;
    });
  }

  watchData(path: string, cb: (ev: DataWatchEvent) => void, opts: OpOptions = {}): Promise<WatchHandle<NodeData | undefined>> {
    return this.op('watch', path, opts, (s) => this.watches.watchData(path, cb, s));
  }

  watchChildren(path: string, cb: (ev: ChildrenWatchEvent) => void, opts: OpOptions = {}): Promise<WatchHandle<string[] | undefined>> {
    return this.op('watch children', path, opts, (s) => this.watches.watchChildren(path, cb, s));
  }

  onSession(listener: (ev: SessionEvent) => void): Disposable {
    return this.sessionEvents.add(listener);
  }

  /** Paths of the ephemerals this store recreates after a new session (diagnostics). */
  ownedEphemerals(): string[] {
    return this.owned.paths();
  }

  /** Number of live watches (diagnostics). */
  get watchCount(): number {
    return this.watches.size;
  }

  /** Waits (up to shutdownGraceMs) for operations in flight, then closes. */
  async drain(): Promise<void> {
    if (this.closing) return this.closing;
    const pending = Promise.allSettled([...this.inFlight]);
    await Promise.race([pending, this.clock.sleep(this.settings.shutdownGraceMs)]);
    await this.close();
  }

  /** Closes the session and connection; idempotent; never throws (see `closed`). */
  close(): Promise<void> {
    this.closing ??= this.runClose();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- helpers for backends ----

  /** Runs one operation under the store's deadline/abort rules. */
  protected op<T>(what: string, path: string, opts: OpOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      validatePath(path);
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const p = withDeadline(body, {
      clock: this.clock,
      timeoutMs: opts.timeoutMs ?? this.settings.operationTimeoutMs,
      signal: opts.signal,
      storeSignal: this.lifetime.signal,
      what: `${what} ${path}`,
      path,
    });
    this.inFlight.add(p);
    const forget = (): void => { this.inFlight.delete(p); };
    p.then(forget, forget);
    return p;
  }

  protected assertOpen(): void {
    if (this.currentState === 'closing' || this.currentState === 'closed') throw new StoreClosedError();
  }

  protected emitSession(ev: SessionEvent): void {
    this.logger.info(`session ${ev.type}`, { sessionId: ev.sessionId, reason: ev.reason });
    this.sessionEvents.emit(ev);
  }

  /** The connection came back within the same session: tell listeners, re-read watches. */
  protected reconnectedSameSession(): void {
    this.emitSession({ type: 'connected', sessionId: this.sessionId });
    this.watches.resyncAll();
  }

  /** The session is gone (server-declared or assumed by the local timer). */
  protected sessionExpired(oldSessionId: string | undefined, reason: 'server' | 'local-timer'): void {
    this.sessionGeneration++;
    this.owned.sessionEnded(oldSessionId);
    this.emitSession({ type: 'expired', sessionId: oldSessionId, reason });
  }

  /** A new session is connected: recreate owned ephemerals, re-read watches, announce. */
  protected async newSessionReady(): Promise<void> {
    const gen = this.sessionGeneration;
    try {
      await this.owned.recreateAll(this, 2 * this.sessionTimeoutMs, this.lifetime.signal);
    } catch (err) {
      if (this.lifetime.signal.aborted) return;
      this.logger.error('recreating ephemerals failed', { err });
    }
    if (gen !== this.sessionGeneration || this.lifetime.signal.aborted) return;
    this.watches.resyncAll();
    this.emitSession({ type: 'reconnected-new-session', sessionId: this.sessionId });
  }

  protected transition(to: StoreState, allowedFrom: readonly StoreState[]): void {
    if (!allowedFrom.includes(this.currentState)) {
      throw new IllegalStateError(`state store cannot go from ${this.currentState} to ${to}`);
    }
    this.currentState = to;
  }

  // ---- internals ----

  /** Reads are idempotent, so connection loss and a session change are retried until the deadline. */
  private async retryingRead<T>(signal: AbortSignal, read: () => Promise<T>): Promise<T> {
    let delay = READ_RETRY_MIN_MS;
    for (;;) {
      try {
        return await read();
      } catch (err) {
        const transient = err instanceof ConnectionLossError || err instanceof SessionExpiredError;
        if (!transient || signal.aborted) throw err;
        await this.clock.sleep(delay, signal);
        delay = Math.min(2 * delay, READ_RETRY_MAX_MS);
      }
    }
  }

  private async createWithParents(path: string, data: Uint8Array, opts: CreateOptions, signal: AbortSignal): Promise<string> {
    try {
      return await this.doCreate(path, data, opts.mode, signal);
    } catch (err) {
      if (!(err instanceof NoNodeError) || !opts.parents) throw err;
    }
    for (const dir of ancestors(path)) {
      signal.throwIfAborted();
      try {
        await this.doCreate(dir, new Uint8Array(), 'persistent', signal);
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
      }
    }
    return this.doCreate(path, data, opts.mode, signal);
  }

  private async deleteChildren(path: string, signal: AbortSignal): Promise<void> {
    let names: string[];
    try {
      names = await this.doChildren(path, signal);
    } catch (err) {
      if (err instanceof NoNodeError) return;
      throw err;
    }
    for (const name of names) {
      signal.throwIfAborted();
      const child = childPath(path, name);
      await this.deleteChildren(child, signal);
      try {
        await this.doDelete(child, -1, signal);
      } catch (err) {
        if (!(err instanceof NoNodeError)) throw err;
      }
      this.owned.forget(child);
    }
  }

  private trackMultiOp(op: MultiOp, result: MultiResult | undefined): void {
    if (op.op === 'create' && op.mode === 'ephemeral' && result?.op === 'create') this.owned.remember(result.path, op.data);
    else if (op.op === 'set') this.owned.update(op.path, op.data);
    else if (op.op === 'delete') this.owned.forget(op.path);
  }

  private async runClose(): Promise<void> {
    const from = this.currentState;
    this.currentState = 'closing';
    this.sessionGeneration++;
    this.emitSession({ type: 'closing', sessionId: this.sessionId });
    this.lifetime.abort(new StoreClosedError());
    this.watches.closeAll();
    let error: Error | undefined;
    try {
      if (from !== 'closed') await this.shutdown(this.settings.shutdownGraceMs);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      this.logger.warn('state store shutdown failed', { err });
    }
    this.currentState = 'closed';
    this.emitSession({ type: 'closed', sessionId: this.sessionId });
    this.sessionEvents.clear();
    this.resolveClosed(error);
  }
}
