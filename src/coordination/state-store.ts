/**
 * The raw coordination API (Storm's IStateStorage): znodes with data and versions, ephemeral
 * and sequential nodes, atomic multi, self-re-arming watches and session events. Two
 * implementations share these semantics exactly: ZooKeeperStateStore (zk-store.ts) for cluster
 * mode and InMemoryStateStore (memory-store.ts) for local mode and unit tests. Typed,
 * JSON-valued operations live one layer up, in ClusterState.
 */
import { InvalidPathError } from './errors.js';

/** How a node is created. Sequential names get a 10-digit, zero-padded suffix, as in ZooKeeper. */
export type CreateMode = 'persistent' | 'ephemeral' | 'sequential' | 'ephemeral-sequential';

/** Metadata of a node. */
export interface NodeStat {
  /** Data version: 0 at creation, +1 on every set. */
  version: number;
  /** Hex session id owning an ephemeral node; undefined for persistent nodes. */
  ephemeralOwner: string | undefined;
  numChildren: number;
}

/** A node's data with its metadata. */
export interface NodeData extends NodeStat {
  data: Uint8Array;
}

/** Options every operation accepts. */
export interface OpOptions {
  /** Aborts the wait (the request itself may still reach the server: the outcome is unknown). */
  signal?: AbortSignal;
  /** Per-operation timeout; the store's `operationTimeoutMs` when omitted. */
  timeoutMs?: number;
}

/** Options of create(). */
export interface CreateOptions extends OpOptions {
  mode: CreateMode;
  /** Create missing parents as empty persistent nodes. @default false */
  parents?: boolean;
  /**
   * Recreate this node (with its latest data written through this store) when the store opens
   * a new session after an expiry. Only meaningful for 'ephemeral'; ephemeral-sequential nodes
   * are never recreated (their name would change: owners rejoin instead).
   * @default true for 'ephemeral'
   */
  recreateOnNewSession?: boolean;
}

/** Options of delete(). */
export interface DeleteOptions extends OpOptions {
  /** Delete children first, depth first. Not atomic: a concurrent create can make it fail. */
  recursive?: boolean;
}

/** One operation of an atomic multi. `version` -1 or omitted means any version. */
export type MultiOp =
  | { op: 'check'; path: string; version?: number }
  | { op: 'create'; path: string; data: Uint8Array; mode: CreateMode }
  | { op: 'set'; path: string; data: Uint8Array; version?: number }
  | { op: 'delete'; path: string; version?: number };

/** The result of one operation of a successful multi, in order. */
export type MultiResult =
  | { op: 'check' }
  | { op: 'create'; path: string }
  | { op: 'set'; version: number }
  | { op: 'delete' };

/**
 * Why a watch callback runs: the node changed ('created', 'deleted', 'changed', 'children'),
 * or the connection came back / a new session started and the store re-read the state,
 * because changes made while disconnected may have been missed ('resync').
 */
export type WatchEventType = 'created' | 'deleted' | 'changed' | 'children' | 'resync';

/** Delivered to a data watch: the value read when the watch was re-armed. */
export interface DataWatchEvent {
  type: WatchEventType;
  path: string;
  /** The node as of re-arming; undefined when it does not exist. */
  node: NodeData | undefined;
}

/** Delivered to a children watch: the children read when the watch was re-armed. */
export interface ChildrenWatchEvent {
  type: WatchEventType;
  path: string;
  /** Child names (not paths), unsorted; undefined when the parent does not exist. */
  children: string[] | undefined;
}

/** A live watch. Dispose it (or call close()) to stop it. */
export interface WatchHandle<T> extends Disposable {
  /** The value read when the watch was first armed. */
  readonly initial: T;
  close(): void;
}

/**
 * Session lifecycle, as TEST-PLANS A5 defines it:
 * - 'connected': connected, first time or again within the same session (ephemerals intact);
 * - 'disconnected': connection lost; the session may still be alive — NOT an expiry;
 * - 'expired': the session is gone (the server said so, or `reason: 'local-timer'`: we were
 *   disconnected longer than the session timeout and assume it). Ephemerals are gone; leaders
 *   must stop acting;
 * - 'reconnected-new-session': a new session is up; owned ephemerals were recreated and
 *   watches re-read;
 * - 'closing': close() started; the session is ending, stop acting on it (a leader steps
 *   down here, before its ephemerals vanish and a successor takes over);
 * - 'closed': close() finished.
 */
export type SessionEventType = 'connected' | 'disconnected' | 'expired' | 'reconnected-new-session' | 'closing' | 'closed';

/** One session event (see SessionEventType). */
export interface SessionEvent {
  type: SessionEventType;
  /** The session the event is about (the new one for 'reconnected-new-session'). */
  sessionId: string | undefined;
  /** For 'expired': who decided. */
  reason?: 'server' | 'local-timer';
}

/** Lifecycle state of a store (STYLE §8 lesson 7). */
export type StoreState = 'connecting' | 'connected' | 'disconnected' | 'closing' | 'closed';

/** The raw store. Every operation takes an optional AbortSignal and has a timeout. */
export interface StateStore extends AsyncDisposable {
  readonly state: StoreState;
  /** The current session id (hex), undefined before the first connection. */
  readonly sessionId: string | undefined;
  /** Negotiated session timeout. */
  readonly sessionTimeoutMs: number;
  /** Resolves once close() finishes: undefined, or the error close() hit. */
  readonly closed: Promise<void | Error>;

  /** @returns the node, or undefined when it does not exist. */
  get(path: string, opts?: OpOptions): Promise<NodeData | undefined>;
  /** @returns the node's stat, or undefined when it does not exist. */
  exists(path: string, opts?: OpOptions): Promise<NodeStat | undefined>;
  /**
   * Replaces a node's data; with `expectedVersion`, only if the version matches.
   * @returns the new stat. @throws NoNodeError, BadVersionError
   */
  set(path: string, data: Uint8Array, expectedVersion?: number, opts?: OpOptions): Promise<NodeStat>;
  /**
   * Creates a node. @returns the actual path (with the sequence suffix when sequential).
   * @throws NodeExistsError, NoNodeError (missing parent without `parents`), NoChildrenForEphemeralsError
   */
  create(path: string, data: Uint8Array, opts: CreateOptions): Promise<string>;
  /** Deletes a node; with `expectedVersion`, only at that version. @throws NoNodeError, BadVersionError, NotEmptyError */
  delete(path: string, expectedVersion?: number, opts?: DeleteOptions): Promise<void>;
  /** Child names (unsorted). @throws NoNodeError */
  children(path: string, opts?: OpOptions): Promise<string[]>;
  /** Applies all operations atomically or none. A failure names the op in `opIndex`. */
  multi(ops: readonly MultiOp[], opts?: OpOptions): Promise<MultiResult[]>;

  /**
   * Watches a node's data and existence. The callback runs after every change with the value
   * read while re-arming (so no update is lost between trigger and re-registration), and with
   * 'resync' after a reconnection or a new session.
   */
  watchData(path: string, cb: (ev: DataWatchEvent) => void, opts?: OpOptions): Promise<WatchHandle<NodeData | undefined>>;
  /** Watches a node's children; same contract as watchData. */
  watchChildren(path: string, cb: (ev: ChildrenWatchEvent) => void, opts?: OpOptions): Promise<WatchHandle<string[] | undefined>>;

  /** Subscribes to session events; dispose the result to unsubscribe. */
  onSession(listener: (ev: SessionEvent) => void): Disposable;

  /** Closes the session (its ephemerals vanish now) and the connection. Idempotent. */
  close(): Promise<void>;
}

// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const SEGMENT_FORBIDDEN = /[\u0000-\u001f\u007f]/;

/**
 * Checks a znode path: absolute, no trailing slash, no empty, "." or ".." segments, no control
 * characters. @throws InvalidPathError
 */
export function validatePath(path: string): string {
  if (path === '/') return path;
  if (!path.startsWith('/') || path.endsWith('/')) {
    throw new InvalidPathError(`invalid znode path "${path}": must start and not end with "/"`, { path });
  }
  for (const seg of path.slice(1).split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || SEGMENT_FORBIDDEN.test(seg)) {
      throw new InvalidPathError(`invalid znode path "${path}": bad segment "${seg}"`, { path });
    }
  }
  return path;
}

/** The parent of a path ("/" for top-level nodes). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a parent path and a child name. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Every proper ancestor of a path, outermost first ("/a/b/c" → ["/a", "/a/b"]). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/** The sequence number of a sequential node's name (the trailing 10 digits), or undefined. */
export function sequenceOf(name: string): number | undefined {
  const m = /(\d{10})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Formats a sequence number the way ZooKeeper does: 10 digits, zero padded. */
export function formatSequence(n: number): string {
  return String(n).padStart(10, '0');
}

/** UTF-8 helpers for callers storing text. */
export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder().decode(b),
};
