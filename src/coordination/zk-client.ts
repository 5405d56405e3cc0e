/**
 * One node-zookeeper-client Client = one session, wrapped with promises, typed errors and a
 * hard retire(). ZooKeeperStateStore owns exactly one live ZkClient at a time and replaces it
 * only when its session is gone (TEST-PLANS A5 rules 3 and 9).
 *
 * The library cannot be told "stop for good" reliably: close() on a client that is between
 * reconnect attempts leaves a timer that may reconnect (and briefly revive the old session),
 * and queued requests are flushed into whatever socket exists. retire() therefore reaches into
 * the connection manager (zk-internals.ts): it drops unsent requests, closes, and destroys the
 * socket if the client has not reached CLOSED within the grace period.
 */
import zookeeper from 'node-zookeeper-client';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { SessionExpiredError } from './errors.js';
import type { CreateMode, MultiOp, MultiResult, NodeData, NodeStat, WatchEventType } from './state-store.js';
import { fromZkError, zkErrorName } from './zk-errors.js';
import { cmInternals, CM_CLOSED, CM_SESSION_EXPIRED, fixTransactionVersion } from './zk-internals.js';
import { ZkWatchdog } from './zk-watchdog.js';

const { CreateMode: ZkCreateMode, Event: ZkEvent, State: ZkState } = zookeeper;

/** What the client reports to its owner. */
export type ZkClientState = 'connected' | 'disconnected' | 'expired' | 'auth-failed';

const MODES: Record<CreateMode, number> = {
  'persistent': ZkCreateMode.PERSISTENT,
  'ephemeral': ZkCreateMode.EPHEMERAL,
  'sequential': ZkCreateMode.PERSISTENT_SEQUENTIAL,
  'ephemeral-sequential': ZkCreateMode.EPHEMERAL_SEQUENTIAL,
};

const ERROR_RESULT = -1;

/** Options of one ZkClient. */
export interface ZkClientOptions {
  connectString: string;
  /** Number of servers in the connect string (the handshake timeout is split among them). */
  serverCount: number;
  sessionTimeoutMs: number;
  spinDelayMs: number;
  clock: Clock;
  logger: Logger;
  onState: (state: ZkClientState, client: ZkClient) => void;
}

/** One node-zookeeper-client Client (one session). @internal */
export class ZkClient {
  /** Sequence number of this client within its store (1 = first); for logs and stats. */
  readonly serial: number;
  private readonly client: zookeeper.Client;
  private readonly clock: Clock;
  private readonly gone = new AbortController();
  private readonly stateListener: (s: zookeeper.State) => void;
  private readonly wrappers = new WeakMap<(t: WatchEventType) => void, (e: zookeeper.Event) => void>();
  private readonly watchdog: ZkWatchdog;
  private everConnected = false;
  private retiring: Promise<void> | undefined;

  constructor(serial: number, private readonly opts: ZkClientOptions) {
    this.serial = serial;
    this.clock = opts.clock;
    this.client = zookeeper.createClient(opts.connectString, {
      sessionTimeout: opts.sessionTimeoutMs,
      spinDelay: opts.spinDelayMs,
      retries: 0, // retries are ours: only idempotent reads are retried (A5 rule 1)
    });
    this.stateListener = (s) => this.onLibraryState(s);
    this.client.on('state', this.stateListener);
    this.watchdog = new ZkWatchdog({
      clock: this.clock,
      logger: opts.logger.child({ client: serial }),
      sessionTimeoutMs: () => this.client.getSessionTimeout(),
      handshakeTimeoutMs: () => Math.max(200, Math.floor(this.client.getSessionTimeout() / opts.serverCount)),
      internals: () => cmInternals(this.client),
      probe: (done) => this.client.exists('/', (err) => done(!isTransportError(err))),
    });
  }

  connect(): void {
    this.client.connect();
    this.watchdog.start();
  }

  /** Clock time of the last reply from the server (the store's local expiry counts from it). */
  get lastHeardAt(): number {
    return this.watchdog.lastHeardAt;
  }

  /** True once the first connection succeeded (the session id is then valid). */
  get connectedOnce(): boolean {
    return this.everConnected;
  }

  /** Hex session id; meaningful once connected. */
  get sessionId(): string {
    return this.client.getSessionId().toString('hex');
  }

  /** The timeout the server granted (the requested one until connected). */
  get sessionTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  get retired(): boolean {
    return this.retiring !== undefined;
  }

  /** False once the library's connection manager reached CLOSED (no socket, no timers). */
  isLive(): boolean {
    const cm = cmInternals(this.client);
    return cm ? cm.state !== CM_CLOSED : !this.retired;
  }

  getData(path: string, watcher?: (t: WatchEventType) => void): Promise<NodeData | undefined> {
    return this.call(`get ${path}`, path, (cb) => {
      const done = (err: unknown, data: Buffer | null, stat: zookeeper.Stat): void => {
        if (isNoNode(err)) cb(null, undefined);
        else cb(err, err ? undefined : { ...toStat(stat), data: toBytes(data) });
      };
      if (watcher) this.client.getData(path, this.libWatcher(watcher), done);
      else this.client.getData(path, done);
    });
  }

  exists(path: string, watcher?: (t: WatchEventType) => void): Promise<NodeStat | undefined> {
    return this.call(`exists ${path}`, path, (cb) => {
      const done = (err: unknown, stat: zookeeper.Stat | null): void => cb(err, err || !stat ? undefined : toStat(stat));
      if (watcher) this.client.exists(path, this.libWatcher(watcher), done);
      else this.client.exists(path, done);
    });
  }

  getChildren(path: string, watcher?: (t: WatchEventType) => void): Promise<string[]> {
    return this.call(`children ${path}`, path, (cb) => {
      const done = (err: unknown, children: string[]): void => cb(err, children);
      if (watcher) this.client.getChildren(path, this.libWatcher(watcher), done);
      else this.client.getChildren(path, done);
    });
  }

  create(path: string, data: Uint8Array, mode: CreateMode): Promise<string> {
    return this.call(`create ${path}`, path, (cb) => {
      this.client.create(path, toBuffer(data), MODES[mode], (err, actual) => cb(err, actual));
    });
  }

  setData(path: string, data: Uint8Array, version: number): Promise<NodeStat> {
    return this.call(`set ${path}`, path, (cb) => {
      this.client.setData(path, toBuffer(data), version, (err, stat) => cb(err, err ? undefined : toStat(stat)));
    });
  }

  remove(path: string, version: number): Promise<void> {
    return this.call(`delete ${path}`, path, (cb) => {
      this.client.remove(path, version, (err) => cb(err, undefined));
    });
  }

  multi(ops: readonly MultiOp[]): Promise<MultiResult[]> {
    const tx = this.client.transaction();
    for (const op of ops) addToTransaction(tx, op);
    return this.call<MultiResult[]>('multi', ops[0]?.path, (cb) => tx.commit((err, results: unknown) => {
      if (err && Array.isArray(results)) cb(failedOpError(err, results as LibResult[], ops), undefined);
      else cb(err, err ? undefined : toMultiResults(ops, results as LibResult[]));
    }));
  }

  /**
   * Stops this client for good: fails its pending calls with SessionExpiredError, drops unsent
   * requests, closes the session if it can, and makes sure the library reaches CLOSED.
   * Resolves once CLOSED or after `graceMs` (then logged by the caller via isLive()).
   */
  retire(graceMs: number): Promise<void> {
    this.retiring ??= this.runRetire(graceMs);
    return this.retiring;
  }

  private async runRetire(graceMs: number): Promise<void> {
    this.watchdog.stop();
    this.client.removeListener('state', this.stateListener);
    this.gone.abort(new SessionExpiredError('the client of this session was retired'));
    const cm = cmInternals(this.client);
    if (cm?.packetQueue) cm.packetQueue.queue.length = 0;
    if (!cm || (cm.state !== CM_CLOSED && cm.state !== CM_SESSION_EXPIRED)) {
      try {
        this.client.close();
      } catch {
        // close() can throw when no socket exists yet; the connection manager is CLOSING anyway.
      }
    }
    if (!cm) return;
    const deadline = this.clock.now() + graceMs;
    while (cm.state !== CM_CLOSED && this.clock.now() < deadline) await this.clock.sleep(10);
    if (cm.state !== CM_CLOSED) {
      cm.socket?.destroy();
      const hard = this.clock.now() + 1_000;
      while (cm.state !== CM_CLOSED && this.clock.now() < hard) await this.clock.sleep(10);
    }
  }

  private onLibraryState(s: zookeeper.State): void {
    if (this.retired) return;
    let mapped: ZkClientState | undefined;
    if (s === ZkState.SYNC_CONNECTED) {
      this.everConnected = true;
      this.watchdog.heard();
      mapped = 'connected';
    } else if (s === ZkState.DISCONNECTED) mapped = 'disconnected';
    else if (s === ZkState.EXPIRED) mapped = 'expired';
    else if (s === ZkState.AUTH_FAILED) mapped = 'auth-failed';
    if (mapped) this.opts.onState(mapped, this);
  }

  /**
   * Wraps a watcher: ignored once this client is retired (a new client re-arms). One wrapper
   * per watcher, because the library de-duplicates watchers by function identity and a read
   * can register the same watcher twice (exists, then getData).
   */
  private libWatcher(watcher: (t: WatchEventType) => void): (e: zookeeper.Event) => void {
    let w = this.wrappers.get(watcher);
    if (!w) {
      w = (e) => {
        if (!this.retired) watcher(eventType(e.getType()));
      };
      this.wrappers.set(watcher, w);
    }
    return w;
  }

  /** Calls the library; settles with a typed error, or SessionExpiredError once retired. */
  private call<T>(what: string, path: string | undefined, fn: (cb: (err: unknown, value: T | undefined) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const signal = this.gone.signal;
      if (signal.aborted) return reject(signal.reason);
      const onGone = (): void => reject(signal.reason);
      signal.addEventListener('abort', onGone, { once: true });
      try {
        fn((err, value) => {
          signal.removeEventListener('abort', onGone);
          if (!isTransportError(err)) this.watchdog.heard();
          if (err) reject(fromZkError(err, { what, path }));
          else resolve(value as T);
        });
      } catch (err) {
        signal.removeEventListener('abort', onGone);
        reject(fromZkError(err, { what, path }));
      }
    });
  }
}

/** Errors that mean no answer came from the server. */
function isTransportError(err: unknown): boolean {
  if (!err) return false;
  const code = (err as { code?: unknown }).code;
  const name = typeof code === 'number' ? zkErrorName(code) : undefined;
  return name === undefined || name === 'CONNECTION_LOSS' || name === 'SESSION_EXPIRED';
}

function isNoNode(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && zkErrorName(code) === 'NO_NODE';
}

function eventType(t: number): WatchEventType {
  if (t === ZkEvent.NODE_CREATED) return 'created';
  if (t === ZkEvent.NODE_DELETED) return 'deleted';
  if (t === ZkEvent.NODE_CHILDREN_CHANGED) return 'children';
  return 'changed';
}

function toStat(stat: zookeeper.Stat): NodeStat {
  const owner = stat.ephemeralOwner;
  const isEphemeral = owner.some((b) => b !== 0);
  return { version: stat.version, ephemeralOwner: isEphemeral ? owner.toString('hex') : undefined, numChildren: stat.numChildren };
}

function toBytes(data: Buffer | null | undefined): Uint8Array {
  return data ? new Uint8Array(data) : new Uint8Array();
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function addToTransaction(tx: zookeeper.Transaction, op: MultiOp): void {
  const version = op.op === 'create' ? undefined : op.version ?? -1;
  switch (op.op) {
    case 'check': tx.check(op.path, version); break;
    case 'create': tx.create(op.path, toBuffer(op.data), MODES[op.mode]); break;
    case 'set': tx.setData(op.path, toBuffer(op.data), version); break;
    case 'delete': tx.remove(op.path, version); break;
  }
  if (version !== undefined) fixTransactionVersion(tx, version);
}

interface LibResult {
  type: number;
  path?: string;
  stat?: zookeeper.Stat;
  err?: number;
}

function toMultiResults(ops: readonly MultiOp[], results: LibResult[] | undefined): MultiResult[] {
  return ops.map((op, i): MultiResult => {
    const r = results?.[i];
    switch (op.op) {
      case 'check': return { op: 'check' };
      case 'create': return { op: 'create', path: r?.path ?? op.path };
      case 'set': return { op: 'set', version: r?.stat?.version ?? -1 };
      case 'delete': return { op: 'delete' };
    }
  });
}

/** A failed multi reports one result per op; the first non-OK error result is the culprit. */
function failedOpError(err: unknown, results: LibResult[], ops: readonly MultiOp[]): unknown {
  const index = results.findIndex((r) => r.type === ERROR_RESULT && r.err !== 0);
  const op = ops[index];
  if (index < 0 || !op) return err;
  return fromZkError({ code: results[index]?.err }, { what: `multi ${op.op} ${op.path}`, path: op.path, opIndex: index, cause: err });
}
