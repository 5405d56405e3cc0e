/**
 * An in-process stand-in for a ZooKeeper server: the znode tree with versions, child versions
 * (which number sequential nodes, as in ZooKeeper), ephemeral nodes owned by sessions,
 * one-shot watches, and atomic multi. Several InMemoryStateStore clients can share one tree,
 * so leader election and ephemeral hand-over are testable in one process with a FakeClock.
 *
 * Every operation is synchronous and throws the same typed errors as the ZooKeeper store.
 */
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import {
  baseName, formatSequence, parentPath, validatePath,
  type CreateMode, type MultiOp, type MultiResult, type NodeData, type NodeStat, type WatchEventType,
} from './state-store.js';
import { stateError, type ZkErrorName } from './zk-errors.js';

/** A one-shot watcher as the tree calls it. */
export type TreeWatcher = (type: WatchEventType) => void;

interface TreeNode {
  data: Uint8Array;
  version: number;
  cversion: number;
  owner: string | undefined;
  children: Set<string>;
}

/** A server-side session: owns ephemerals and watches; expires when told or when left disconnected. */
export class TreeSession {
  alive = true;
  connected = true;
  expiryTimer: TimerHandle | undefined;

  constructor(
    readonly id: string,
    readonly timeoutMs: number,
    /** Called once when the server expires the session (not on close). */
    readonly onExpired: () => void,
  ) {}
}

export interface ExpireOptions {
  /**
   * Leave the session's ephemeral nodes in place for this long before deleting them, to
   * reproduce ZooKeeper's non-atomic "expire, then delete ephemerals" (TEST-PLANS A5 rule 6).
   */
  keepEphemeralsForMs?: number;
}

interface Txn {
  undo: Array<() => void>;
  fire: Array<[TreeWatcher, WatchEventType]>;
}

type WatchMap = Map<string, Map<TreeWatcher, string>>;

/** The shared in-memory tree ("server"); give the same instance to several stores. */
export class InMemoryZooKeeper {
  readonly clock: Clock;
  private readonly nodes = new Map<string, TreeNode>();
  private readonly sessions = new Map<string, TreeSession>();
  private readonly ephemerals = new Map<string, Set<string>>();
  private readonly dataWatches: WatchMap = new Map();
  private readonly existWatches: WatchMap = new Map();
  private readonly childWatches: WatchMap = new Map();
  private nextSession = 0x1000;

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.nodes.set('/', newNode(new Uint8Array(), undefined));
  }

  /** Opens a session; `onExpired` runs when the server expires it. */
  openSession(timeoutMs: number, onExpired: () => void): TreeSession {
    const id = (this.nextSession++).toString(16).padStart(16, '0');
    const session = new TreeSession(id, timeoutMs, onExpired);
    this.sessions.set(id, session);
    return session;
  }

  /** The session with this id, if the server still knows it. */
  session(id: string): TreeSession | undefined {
    return this.sessions.get(id);
  }

  /** The client lost its connection: the server expires the session after its timeout. */
  disconnect(id: string): void {
    const s = this.sessions.get(id);
    if (!s?.alive || !s.connected) return;
    s.connected = false;
    s.expiryTimer = this.clock.setTimeout(() => this.expireSession(id), s.timeoutMs);
  }

  /** The client is back. @returns false if the session expired meanwhile. */
  reconnect(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s?.alive) return false;
    s.expiryTimer?.cancel();
    s.expiryTimer = undefined;
    s.connected = true;
    return true;
  }

  /** Expires a session the way a ZooKeeper server does: ephemerals and watches go. */
  expireSession(id: string, opts: ExpireOptions = {}): void {
    const s = this.sessions.get(id);
    if (!s?.alive) return;
    this.endSession(s);
    if (opts.keepEphemeralsForMs !== undefined && opts.keepEphemeralsForMs > 0) {
      this.clock.setTimeout(() => this.reapEphemerals(id), opts.keepEphemeralsForMs);
    } else {
      this.reapEphemerals(id);
    }
    s.onExpired();
  }

  /** Closes a session on the client's request: its ephemerals are deleted now. */
  closeSession(id: string): void {
    const s = this.sessions.get(id);
    if (!s?.alive) return;
    this.endSession(s);
    this.reapEphemerals(id);
  }

  get(sid: string, path: string, watcher?: TreeWatcher): NodeData {
    return guard(() => {
      this.checkSession(sid, `get ${path}`);
      const node = this.require(path, `get ${path}`);
      if (watcher) addWatch(this.dataWatches, path, watcher, sid);
      return { ...statOf(node), data: node.data.slice() };
    });
  }

  exists(sid: string, path: string, watcher?: TreeWatcher): NodeStat | undefined {
    return guard(() => {
      this.checkSession(sid, `exists ${path}`);
      validatePath(path);
      const node = this.nodes.get(path);
      if (watcher) addWatch(node ? this.dataWatches : this.existWatches, path, watcher, sid);
      return node ? statOf(node) : undefined;
    });
  }

  children(sid: string, path: string, watcher?: TreeWatcher): string[] {
    return guard(() => {
      this.checkSession(sid, `children ${path}`);
      const node = this.require(path, `children ${path}`);
      if (watcher) addWatch(this.childWatches, path, watcher, sid);
      return [...node.children];
    });
  }

  create(sid: string, path: string, data: Uint8Array, mode: CreateMode): string {
    return guard(() => this.transact(sid, `create ${path}`, (txn) => this.doCreate(txn, sid, path, data, mode, `create ${path}`)));
  }

  set(sid: string, path: string, data: Uint8Array, version = -1): NodeStat {
    return guard(() => this.transact(sid, `set ${path}`, (txn) => this.doSet(txn, path, data, version, `set ${path}`)));
  }

  delete(sid: string, path: string, version = -1): void {
    guard(() => this.transact(sid, `delete ${path}`, (txn) => this.doDelete(txn, path, version, `delete ${path}`)));
  }

  /** All operations or none; the error names the failing op in `opIndex`. */
  multi(sid: string, ops: readonly MultiOp[]): MultiResult[] {
    let index: number | undefined;
    return guard(() => this.transact(sid, 'multi', (txn) => ops.map((op, i) => {
      index = i;
      return this.applyOp(txn, sid, op);
    })), () => index);
  }

  /** Every path in the tree, sorted (for tests and debugging). */
  dump(): string[] {
    return [...this.nodes.keys()].sort();
  }

  private applyOp(txn: Txn, sid: string, op: MultiOp): MultiResult {
    const what = `multi ${op.op} ${op.path}`;
    switch (op.op) {
      case 'check': {
        const node = this.require(op.path, what);
        if (op.version !== undefined && op.version !== -1 && node.version !== op.version) throw fail('BAD_VERSION', what, op.path);
        return { op: 'check' };
      }
      case 'create': return { op: 'create', path: this.doCreate(txn, sid, op.path, op.data, op.mode, what) };
      case 'set': return { op: 'set', version: this.doSet(txn, op.path, op.data, op.version ?? -1, what).version };
      case 'delete': this.doDelete(txn, op.path, op.version ?? -1, what); return { op: 'delete' };
    }
  }

  private transact<T>(sid: string, what: string, body: (txn: Txn) => T): T {
    this.checkSession(sid, what);
    const txn: Txn = { undo: [], fire: [] };
    let result: T;
    try {
      result = body(txn);
    } catch (err) {
      for (const u of txn.undo.reverse()) u();
      throw err;
    }
    // Watch notifications are asynchronous in ZooKeeper too; never re-enter the caller.
    for (const [w, type] of txn.fire) queueMicrotask(() => w(type));
    return result;
  }

  private doCreate(txn: Txn, sid: string, path: string, data: Uint8Array, mode: CreateMode, what: string): string {
    validatePath(path);
    const parentP = parentPath(path);
    const parent = this.nodes.get(parentP);
    if (!parent) throw fail('NO_NODE', what, path);
    if (parent.owner !== undefined) throw fail('NO_CHILDREN_FOR_EPHEMERALS', what, path);
    const sequential = mode === 'sequential' || mode === 'ephemeral-sequential';
    const actual = sequential ? path + formatSequence(parent.cversion) : path;
    if (this.nodes.has(actual)) throw fail('NODE_EXISTS', what, actual);
    const owner = mode === 'ephemeral' || mode === 'ephemeral-sequential' ? sid : undefined;
    this.nodes.set(actual, newNode(data.slice(), owner));
    parent.children.add(baseName(actual));
    parent.cversion++;
    if (owner) setOf(this.ephemerals, owner).add(actual);
    txn.undo.push(() => {
      this.nodes.delete(actual);
      parent.children.delete(baseName(actual));
      parent.cversion--;
      if (owner) this.ephemerals.get(owner)?.delete(actual);
    });
    this.queueFire(txn, this.dataWatches, actual, 'created');
    this.queueFire(txn, this.existWatches, actual, 'created');
    this.queueFire(txn, this.childWatches, parentP, 'children');
    return actual;
  }

  private doSet(txn: Txn, path: string, data: Uint8Array, version: number, what: string): NodeStat {
    const node = this.require(path, what);
    if (version !== -1 && node.version !== version) throw fail('BAD_VERSION', what, path);
    const before = { data: node.data, version: node.version };
    node.data = data.slice();
    node.version++;
    txn.undo.push(() => { node.data = before.data; node.version = before.version; });
    this.queueFire(txn, this.dataWatches, path, 'changed');
    return statOf(node);
  }

  private doDelete(txn: Txn, path: string, version: number, what: string): void {
    if (path === '/') throw fail('BAD_ARGUMENTS', what, path);
    const node = this.require(path, what);
    if (version !== -1 && node.version !== version) throw fail('BAD_VERSION', what, path);
    if (node.children.size > 0) throw fail('NOT_EMPTY', what, path);
    this.removeNode(txn, path, node);
  }

  private removeNode(txn: Txn, path: string, node: TreeNode): void {
    const parentP = parentPath(path);
    const parent = this.nodes.get(parentP)!;
    this.nodes.delete(path);
    parent.children.delete(baseName(path));
    parent.cversion++;
    if (node.owner) this.ephemerals.get(node.owner)?.delete(path);
    txn.undo.push(() => {
      this.nodes.set(path, node);
      parent.children.add(baseName(path));
      parent.cversion--;
      if (node.owner) setOf(this.ephemerals, node.owner).add(path);
    });
    this.queueFire(txn, this.dataWatches, path, 'deleted');
    this.queueFire(txn, this.childWatches, path, 'deleted');
    this.queueFire(txn, this.childWatches, parentP, 'children');
  }

  private reapEphemerals(sid: string): void {
    const owned = [...(this.ephemerals.get(sid) ?? [])];
    this.ephemerals.delete(sid);
    const txn: Txn = { undo: [], fire: [] };
    for (const path of owned) {
      const node = this.nodes.get(path);
      if (node?.owner === sid) this.removeNode(txn, path, node);
    }
    for (const [w, type] of txn.fire) queueMicrotask(() => w(type));
  }

  private endSession(s: TreeSession): void {
    s.alive = false;
    s.expiryTimer?.cancel();
    s.expiryTimer = undefined;
    for (const map of [this.dataWatches, this.existWatches, this.childWatches]) {
      for (const watchers of map.values()) {
        for (const [w, owner] of watchers) if (owner === s.id) watchers.delete(w);
      }
    }
  }

  /** Moves the path's watchers of one kind into the transaction's notifications (one-shot). */
  private queueFire(txn: Txn, map: WatchMap, path: string, type: WatchEventType): void {
    const watchers = map.get(path);
    if (!watchers || watchers.size === 0) return;
    map.delete(path);
    txn.undo.push(() => { map.set(path, watchers); });
    for (const w of watchers.keys()) txn.fire.push([w, type]);
  }

  private checkSession(sid: string, what: string): void {
    if (!this.sessions.get(sid)?.alive) throw fail('SESSION_EXPIRED', what, undefined);
  }

  private require(path: string, what: string): TreeNode {
    validatePath(path);
    const node = this.nodes.get(path);
    if (!node) throw fail('NO_NODE', what, path);
    return node;
  }
}

function newNode(data: Uint8Array, owner: string | undefined): TreeNode {
  return { data, version: 0, cversion: 0, owner, children: new Set() };
}

function statOf(node: TreeNode): NodeStat {
  return { version: node.version, ephemeralOwner: node.owner, numChildren: node.children.size };
}

function addWatch(map: WatchMap, path: string, watcher: TreeWatcher, sid: string): void {
  let watchers = map.get(path);
  if (!watchers) map.set(path, (watchers = new Map<TreeWatcher, string>()));
  watchers.set(watcher, sid);
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

/** A failure inside the tree; converted to the typed error at the operation boundary. */
class TreeFailure {
  constructor(readonly name: ZkErrorName, readonly what: string, readonly path: string | undefined) {}
}

function fail(name: ZkErrorName, what: string, path: string | undefined): TreeFailure {
  return new TreeFailure(name, what, path);
}

/** Runs a tree operation, turning a TreeFailure into the typed error (with the multi index). */
function guard<T>(body: () => T, opIndex?: () => number | undefined): T {
  try {
    return body();
  } catch (err) {
    if (!(err instanceof TreeFailure)) throw err;
    throw stateError(err.name, { what: err.what, path: err.path, opIndex: opIndex?.() });
  }
}
