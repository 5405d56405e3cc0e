/**
 * Errors of the coordination layer. Both stores (ZooKeeper and in-memory) throw exactly these
 * classes, so callers catch by class (`instanceof BadVersionError`) or by `code` and never by
 * ZooKeeper's numeric codes. The ZooKeeper code → class table lives in zk-errors.ts.
 */
import { SquallError, type SquallErrorOptions } from '../common/errors.js';

/** Options shared by every coordination error. */
export interface CoordinationErrorOptions extends SquallErrorOptions {
  /** The znode path the failed operation addressed. */
  path?: string;
  /**
   * True when the operation may or may not have been applied (connection loss, timeout):
   * a retry must be idempotent or check first (TEST-PLANS A5 rule 1).
   */
  ambiguous?: boolean;
  /** For a failed multi: the index of the operation that failed. */
  opIndex?: number;
}

/** Base class of every error thrown by a StateStore, ClusterState or LeaderElection. */
export class CoordinationError extends SquallError {
  readonly path: string | undefined;
  readonly ambiguous: boolean;
  readonly opIndex: number | undefined;

  constructor(code: string, message: string, options: CoordinationErrorOptions = {}) {
    super(code, message, options);
    this.path = options.path;
    this.ambiguous = options.ambiguous ?? false;
    this.opIndex = options.opIndex;
  }
}

/** Thrown when the addressed node (or, for create, its parent) does not exist. */
export class NoNodeError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_NO_NODE', message, options);
  }
}

/** Thrown by create when the node already exists. */
export class NodeExistsError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_NODE_EXISTS', message, options);
  }
}

/** Thrown when an expected version did not match: someone else wrote first. Re-read, retry. */
export class BadVersionError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_BAD_VERSION', message, options);
  }
}

/** Thrown by a non-recursive delete of a node that has children. */
export class NotEmptyError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_NOT_EMPTY', message, options);
  }
}

/** Thrown when creating a child under an ephemeral node (ZooKeeper forbids it). */
export class NoChildrenForEphemeralsError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_NO_CHILDREN_FOR_EPHEMERALS', message, options);
  }
}

/**
 * Thrown when the connection dropped while the request was in flight. Always `ambiguous`:
 * the server may have applied it.
 */
export class ConnectionLossError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_CONNECTION_LOSS', message, { ambiguous: true, retriable: true, ...options });
  }
}

/**
 * Thrown when the session the request belonged to is gone (expired, or assumed expired by the
 * local timer). The store opens a new session by itself; the caller retries on it.
 */
export class SessionExpiredError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_SESSION_EXPIRED', message, { retriable: true, ...options });
  }
}

/** Thrown when an operation did not complete within its timeout. Always `ambiguous`. */
export class OperationTimeoutError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_TIMEOUT', message, { ambiguous: true, retriable: true, ...options });
  }
}

/** Thrown on authentication or ACL failures (AUTH_FAILED, NO_AUTH, INVALID_ACL). */
export class StateAccessError extends CoordinationError {
  constructor(code: string, message: string, options: CoordinationErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Thrown for server-side or protocol failures that are not the caller's fault. */
export class StateServerError extends CoordinationError {
  constructor(code: string, message: string, options: CoordinationErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Thrown by any operation on a store that is closing or closed. */
export class StoreClosedError extends CoordinationError {
  constructor(message = 'state store is closed', options: CoordinationErrorOptions = {}) {
    super('E_STATE_CLOSED', message, options);
  }
}

/** Thrown when a path or a name used in a path is malformed (a bug or bad input, never retried). */
export class InvalidPathError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_BAD_PATH', message, options);
  }
}

/** Thrown when a stored value is not valid JSON or not the expected `{v: 1, ...}` record. */
export class StateFormatError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_STATE_FORMAT', message, options);
  }
}

/**
 * Thrown when a leader-only write carries a leadership that is no longer current: another
 * candidate has taken over (the leader-info version moved) or this candidate's node is gone.
 * The write was NOT applied. Never retriable with the same leadership.
 */
export class FencedError extends CoordinationError {
  constructor(message: string, options: CoordinationErrorOptions = {}) {
    super('E_FENCED', message, { hint: 'this process is no longer the leader; another nimbus took over', ...options });
  }
}
