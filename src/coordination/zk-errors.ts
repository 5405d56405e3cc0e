/**
 * The one table from ZooKeeper error codes to Squall errors (STYLE §8 lesson 5, kafkajs
 * style): class, stable code, retriable flag and whether the outcome is unknown. The
 * in-memory store raises its errors through the same table, so both stores fail alike.
 */
import {
  BadVersionError, ConnectionLossError, CoordinationError, type CoordinationErrorOptions,
  NoChildrenForEphemeralsError, NodeExistsError, NoNodeError, NotEmptyError, OperationTimeoutError,
  SessionExpiredError, StateAccessError, StateServerError,
} from './errors.js';

/** ZooKeeper's error names with their numeric codes (KeeperException.Code). */
export const ZK_CODES = {
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  DATA_INCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  API_ERROR: -100,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
} as const;

/** A ZooKeeper error name (KeeperException.Code). */
export type ZkErrorName = keyof typeof ZK_CODES;

interface Row {
  /** Builds the error; `code` is the row's stable code. */
  make: (code: string, message: string, opts: CoordinationErrorOptions) => CoordinationError;
  code: string;
  retriable: boolean;
  /** The request may have been applied. */
  ambiguous: boolean;
  /** Short human explanation appended to the message. */
  text: string;
}

const server = (code: string, m: string, o: CoordinationErrorOptions): CoordinationError => new StateServerError(code, m, o);
const access = (code: string, m: string, o: CoordinationErrorOptions): CoordinationError => new StateAccessError(code, m, o);

const TABLE: Record<ZkErrorName, Row> = {
  NO_NODE: { make: (_c, m, o) => new NoNodeError(m, o), code: 'E_STATE_NO_NODE', retriable: false, ambiguous: false, text: 'node does not exist' },
  NODE_EXISTS: { make: (_c, m, o) => new NodeExistsError(m, o), code: 'E_STATE_NODE_EXISTS', retriable: false, ambiguous: false, text: 'node already exists' },
  BAD_VERSION: { make: (_c, m, o) => new BadVersionError(m, o), code: 'E_STATE_BAD_VERSION', retriable: false, ambiguous: false, text: 'version does not match' },
  NOT_EMPTY: { make: (_c, m, o) => new NotEmptyError(m, o), code: 'E_STATE_NOT_EMPTY', retriable: false, ambiguous: false, text: 'node has children' },
  NO_CHILDREN_FOR_EPHEMERALS: {
    make: (_c, m, o) => new NoChildrenForEphemeralsError(m, o), code: 'E_STATE_NO_CHILDREN_FOR_EPHEMERALS', retriable: false, ambiguous: false, text: 'ephemeral nodes cannot have children',
  },
  CONNECTION_LOSS: { make: (_c, m, o) => new ConnectionLossError(m, o), code: 'E_STATE_CONNECTION_LOSS', retriable: true, ambiguous: true, text: 'connection lost; the request may or may not have been applied' },
  OPERATION_TIMEOUT: { make: (_c, m, o) => new OperationTimeoutError(m, o), code: 'E_STATE_TIMEOUT', retriable: true, ambiguous: true, text: 'the server timed out' },
  SESSION_EXPIRED: { make: (_c, m, o) => new SessionExpiredError(m, o), code: 'E_STATE_SESSION_EXPIRED', retriable: true, ambiguous: false, text: 'session expired' },
  NO_AUTH: { make: access, code: 'E_STATE_NO_AUTH', retriable: false, ambiguous: false, text: 'not authorized' },
  AUTH_FAILED: { make: access, code: 'E_STATE_AUTH_FAILED', retriable: false, ambiguous: false, text: 'authentication failed' },
  INVALID_ACL: { make: access, code: 'E_STATE_INVALID_ACL', retriable: false, ambiguous: false, text: 'invalid ACL' },
  BAD_ARGUMENTS: { make: server, code: 'E_STATE_BAD_ARGUMENTS', retriable: false, ambiguous: false, text: 'bad arguments' },
  INVALID_CALLBACK: { make: server, code: 'E_STATE_BAD_ARGUMENTS', retriable: false, ambiguous: false, text: 'invalid callback' },
  UNIMPLEMENTED: { make: server, code: 'E_STATE_UNIMPLEMENTED', retriable: false, ambiguous: false, text: 'operation not implemented by the server' },
  API_ERROR: { make: server, code: 'E_STATE_API', retriable: false, ambiguous: false, text: 'API error' },
  SYSTEM_ERROR: { make: server, code: 'E_STATE_SERVER', retriable: true, ambiguous: true, text: 'server system error' },
  RUNTIME_INCONSISTENCY: { make: server, code: 'E_STATE_SERVER', retriable: true, ambiguous: false, text: 'runtime inconsistency' },
  DATA_INCONSISTENCY: { make: server, code: 'E_STATE_SERVER', retriable: true, ambiguous: false, text: 'data inconsistency' },
  MARSHALLING_ERROR: { make: server, code: 'E_STATE_SERVER', retriable: true, ambiguous: true, text: 'marshalling error' },
};

const BY_NUMBER = new Map<number, ZkErrorName>(
  (Object.entries(ZK_CODES) as Array<[ZkErrorName, number]>).map(([name, n]) => [n, name]),
);

/** Context for building an error: the operation ("create /a") and extra options. */
export interface ErrorSite {
  what: string;
  path?: string | undefined;
  opIndex?: number | undefined;
  cause?: unknown;
}

/** Builds the Squall error for a ZooKeeper error name. */
export function stateError(name: ZkErrorName, site: ErrorSite): CoordinationError {
  const row = TABLE[name];
  return row.make(row.code, `${site.what}: ${row.text}`, {
    path: site.path,
    retriable: row.retriable,
    ambiguous: row.ambiguous,
    opIndex: site.opIndex,
    cause: site.cause,
  });
}

/** The error name for a numeric ZooKeeper code, if known. */
export function zkErrorName(code: number): ZkErrorName | undefined {
  return BY_NUMBER.get(code);
}

/** Maps whatever node-zookeeper-client passed to a callback to a Squall error. */
export function fromZkError(err: unknown, site: ErrorSite): CoordinationError {
  if (err instanceof CoordinationError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const name = typeof code === 'number' ? zkErrorName(code) : undefined;
  if (name) return stateError(name, { ...site, cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new StateServerError('E_STATE_CLIENT', `${site.what}: ${message}`, { path: site.path, cause: err });
}
