/**
 * SquallError ⇄ gRPC status, both directions, in one place.
 *
 * Server side ({@link toStatus}): the status comes from {@link CODE_TO_STATUS} by the error's
 * code, then from its class (any UsageError is INVALID_ARGUMENT), else INTERNAL. The message
 * goes out as the status details; the stack never does. Trailing metadata carries what the
 * client needs to rebuild a typed error: the code, the hint, the retriable flag, the context,
 * and for E_NOT_LEADER the leader's address.
 *
 * Client side ({@link fromStatus}): an {@link RpcError} with the server's code when the server
 * sent one, else a code derived from the status ({@link STATUS_TO_CODE}: grpc-js's own
 * failures such as "unreachable" or "message too large" carry no Squall code), a one-line
 * message fit for the CLI, and the caller's stack (STYLE lesson 5).
 */
import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { SquallError, UsageError, type ErrorContext, type SquallErrorOptions } from '../common/errors.js';
import type { RpcName } from './types.js';

/** Trailing-metadata keys (lowercase ASCII, as HTTP/2 requires; values are URI-encoded). */
export const METADATA_KEYS = Object.freeze({
  code: 'squall-error-code',
  leader: 'squall-leader',
  hint: 'squall-hint',
  retriable: 'squall-retriable',
  context: 'squall-context',
});

/**
 * Squall error code → gRPC status. Codes not listed map by class (UsageError → INVALID_ARGUMENT)
 * or to INTERNAL. Codes other modules will throw (E_TOPOLOGY_NOT_FOUND, ...) are listed here so
 * the table is the one place to look.
 */
export const CODE_TO_STATUS: Readonly<Record<string, Status>> = Object.freeze({
  // The caller sent something invalid; retrying the same request cannot help.
  E_USAGE: Status.INVALID_ARGUMENT,
  E_CONFIG: Status.INVALID_ARGUMENT,
  E_INVALID_NAME: Status.INVALID_ARGUMENT,
  E_TOPOLOGY_INVALID: Status.INVALID_ARGUMENT,
  E_PACKAGE_REJECTED: Status.INVALID_ARGUMENT,
  E_PACKAGE_MISMATCH: Status.INVALID_ARGUMENT,
  E_RPC_BAD_MESSAGE: Status.INVALID_ARGUMENT,
  // Something named does not exist.
  E_NOT_FOUND: Status.NOT_FOUND,
  E_TOPOLOGY_NOT_FOUND: Status.NOT_FOUND,
  E_PACKAGE_NOT_FOUND: Status.NOT_FOUND,
  E_COMPONENT_NOT_FOUND: Status.NOT_FOUND,
  // Something to be created exists.
  E_ALREADY_EXISTS: Status.ALREADY_EXISTS,
  E_TOPOLOGY_EXISTS: Status.ALREADY_EXISTS,
  // The cluster is not in a state that allows the call: ask the leader, wait for the rebalance.
  E_NOT_LEADER: Status.FAILED_PRECONDITION,
  E_FENCED: Status.FAILED_PRECONDITION,
  E_LEADERSHIP_LOST: Status.FAILED_PRECONDITION,
  E_INVALID_TRANSITION: Status.FAILED_PRECONDITION,
  // Time ran out.
  E_TIMEOUT: Status.DEADLINE_EXCEEDED,
  E_RPC_DEADLINE: Status.DEADLINE_EXCEEDED,
  E_STATE_TIMEOUT: Status.DEADLINE_EXCEEDED,
  // Too big, or no room.
  E_RPC_TOO_LARGE: Status.RESOURCE_EXHAUSTED,
  E_PACKAGE_TOO_LARGE: Status.RESOURCE_EXHAUSTED,
  E_RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  E_RPC_UNIMPLEMENTED: Status.UNIMPLEMENTED,
  // Transient: ZooKeeper or the server itself is unavailable; retrying later can succeed.
  E_UNAVAILABLE: Status.UNAVAILABLE,
  E_SHUTTING_DOWN: Status.UNAVAILABLE,
  E_STATE_CONNECTION_LOSS: Status.UNAVAILABLE,
  E_STATE_SESSION_EXPIRED: Status.UNAVAILABLE,
  E_STATE_CLOSED: Status.UNAVAILABLE,
  E_RPC_CANCELLED: Status.CANCELLED,
  E_PERMISSION_DENIED: Status.PERMISSION_DENIED,
  E_UNAUTHENTICATED: Status.UNAUTHENTICATED,
});

/** Code of a non-Squall error (a bug): INTERNAL, message only. */
export const INTERNAL_CODE = 'E_INTERNAL';

/**
 * gRPC status → Squall code, for a status that arrives without `squall-error-code`: produced
 * by grpc-js itself (unreachable, deadline, size limit) or by a server that is not Squall's.
 */
export const STATUS_TO_CODE: Readonly<Partial<Record<Status, string>>> = Object.freeze({
  [Status.CANCELLED]: 'E_RPC_CANCELLED',
  [Status.UNKNOWN]: 'E_RPC_INTERNAL',
  [Status.INVALID_ARGUMENT]: 'E_USAGE',
  [Status.DEADLINE_EXCEEDED]: 'E_RPC_DEADLINE',
  [Status.NOT_FOUND]: 'E_NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'E_ALREADY_EXISTS',
  [Status.PERMISSION_DENIED]: 'E_PERMISSION_DENIED',
  [Status.RESOURCE_EXHAUSTED]: 'E_RPC_TOO_LARGE',
  [Status.FAILED_PRECONDITION]: 'E_RPC_FAILED_PRECONDITION',
  [Status.ABORTED]: 'E_RPC_ABORTED',
  [Status.OUT_OF_RANGE]: 'E_RPC_OUT_OF_RANGE',
  [Status.UNIMPLEMENTED]: 'E_RPC_UNIMPLEMENTED',
  [Status.INTERNAL]: 'E_RPC_INTERNAL',
  [Status.UNAVAILABLE]: 'E_NIMBUS_UNREACHABLE',
  [Status.DATA_LOSS]: 'E_RPC_INTERNAL',
  [Status.UNAUTHENTICATED]: 'E_UNAUTHENTICATED',
});

/** Statuses after which the same call may succeed later. */
const RETRIABLE_STATUSES: ReadonlySet<Status> = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.ABORTED]);

/**
 * Thrown by a nimbus that is not the leader for a call only the leader serves. Code
 * `E_NOT_LEADER`; clients follow `leaderAddress` (NimbusClient does it by itself).
 */
export class NotLeaderError extends SquallError {
  /** The leader's host:port, when one is known (none during an election). */
  readonly leaderAddress: string | undefined;
  constructor(leaderAddress: string | undefined, options: SquallErrorOptions = {}) {
    super('E_NOT_LEADER', leaderAddress === undefined
      ? 'this nimbus is not the leader and no leader is known (an election may be in progress)'
      : `this nimbus is not the leader; the leader is ${leaderAddress}`, {
      retriable: true,
      hint: leaderAddress === undefined ? 'retry in a few seconds' : `send the request to ${leaderAddress}`,
      ...options,
    });
    this.leaderAddress = leaderAddress;
  }
}

/** What the client knew about a call when it failed. */
export interface CallInfo {
  rpc: RpcName;
  /** The host:port that answered (or could not be reached). */
  address: string;
  /** The deadline the call had, in ms from its start. */
  deadlineMs: number;
  /** `new Error().stack` captured where the caller called the client. */
  callerStack: string | undefined;
}

/**
 * A failed call, as NimbusClient reports it. `code` is the server's Squall code when it sent
 * one (so `instanceof`-free checks like the CLI's exit-code table work), else a code from
 * {@link STATUS_TO_CODE}. The stack is the caller's, not grpc-js's.
 */
export class RpcError extends SquallError {
  /** The gRPC status code. */
  readonly grpcCode: Status;
  /** The status details as received (the message may be rephrased for people). */
  readonly details: string;
  readonly rpc: RpcName;
  readonly address: string;
  /** For E_NOT_LEADER: where the leader is, when known. */
  readonly leaderAddress: string | undefined;

  constructor(code: string, message: string, status: Pick<StatusObject, 'code' | 'details'>, info: Pick<CallInfo, 'rpc' | 'address'>, options: SquallErrorOptions & { leaderAddress?: string } = {}) {
    super(code, message, options);
    this.grpcCode = status.code;
    this.details = status.details;
    this.rpc = info.rpc;
    this.address = info.address;
    this.leaderAddress = options.leaderAddress;
  }
}

/** The gRPC status for an error thrown by a handler. Never includes a stack. */
export function toStatus(err: unknown): StatusObject {
  if (!(err instanceof SquallError)) {
    const message = err instanceof Error ? err.message : String(err);
    return { code: Status.INTERNAL, details: `internal error in nimbus: ${message}`, metadata: codeMetadata(INTERNAL_CODE) };
  }
  const code = CODE_TO_STATUS[err.code] ?? (err instanceof UsageError ? Status.INVALID_ARGUMENT : Status.INTERNAL);
  const metadata = codeMetadata(err.code);
  if (err.retriable) metadata.set(METADATA_KEYS.retriable, '1');
  if (err.hint) metadata.set(METADATA_KEYS.hint, encodeURIComponent(err.hint));
  if (Object.keys(err.context).length > 0) metadata.set(METADATA_KEYS.context, encodeURIComponent(JSON.stringify(err.context)));
  let details = err.message;
  const leader = leaderOf(err);
  if (leader !== undefined) {
    metadata.set(METADATA_KEYS.leader, encodeURIComponent(leader));
    if (!details.includes(leader)) details += ` (the leader is ${leader})`;
  }
  return { code, details, metadata };
}

/** The leader address a not-leader error names (NotLeaderError, or any E_NOT_LEADER with one). */
function leaderOf(err: SquallError): string | undefined {
  if (err.code !== 'E_NOT_LEADER') return undefined;
  const value = (err as { leaderAddress?: unknown }).leaderAddress;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function codeMetadata(code: string): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_KEYS.code, encodeURIComponent(code));
  return metadata;
}

/** The typed error for a failed call; `status` as grpc-js reports it (a ServiceError is one). */
export function fromStatus(status: Pick<StatusObject, 'code' | 'details'> & { metadata?: Metadata | null }, info: CallInfo): RpcError {
  const md = status.metadata ?? undefined;
  const sent = readText(md, METADATA_KEYS.code);
  const code = sent ?? STATUS_TO_CODE[status.code] ?? `E_RPC_STATUS_${status.code}`;
  const leaderAddress = readText(md, METADATA_KEYS.leader);
  const error = new RpcError(code, sent !== undefined ? status.details : describeStatus(status, info), status, info, {
    retriable: readText(md, METADATA_KEYS.retriable) === '1' || RETRIABLE_STATUSES.has(status.code),
    hint: readText(md, METADATA_KEYS.hint) ?? defaultHint(status.code, sent),
    context: readContext(md),
    ...(leaderAddress === undefined ? {} : { leaderAddress }),
  });
  return withCallerStack(error, info);
}

/** A one-line message for a status grpc-js (or a foreign server) produced. */
function describeStatus(status: Pick<StatusObject, 'code' | 'details'>, info: CallInfo): string {
  const at = `nimbus at ${info.address}`;
  switch (status.code) {
    case Status.UNAVAILABLE:
      return `cannot reach ${at}: ${unreachableReason(status.details)} — is \`squall nimbus\` running?`;
    case Status.DEADLINE_EXCEEDED:
      return `${at} did not answer ${info.rpc} within ${info.deadlineMs} ms`;
    case Status.RESOURCE_EXHAUSTED:
      return `${info.rpc} to ${at} failed: ${firstLine(status.details)}`;
    case Status.UNIMPLEMENTED:
      return /HTTP status code/u.test(status.details)
        ? `${info.address} is not a Squall nimbus (it answered ${firstLine(status.details)})`
        : `${at} does not serve ${info.rpc}: ${firstLine(status.details)}`;
    case Status.CANCELLED:
      return `${info.rpc} to ${at} was cancelled`;
    default:
      return `${info.rpc} to ${at} failed: ${Status[status.code] ?? status.code}: ${firstLine(status.details)}`;
  }
}

/** Why a connection failed, in a few words, from grpc-js's details. */
export function unreachableReason(details: string): string {
  const reasons: Array<[RegExp, string]> = [
    [/ECONNREFUSED/u, 'connection refused'],
    [/Name resolution failed|ENOTFOUND|EAI_AGAIN/u, 'host name not found'],
    [/ETIMEDOUT|timed out/iu, 'connection timed out'],
    [/EHOSTUNREACH|ENETUNREACH/u, 'host unreachable'],
    [/ECONNRESET|Connection dropped|GOAWAY|closed/iu, 'connection lost'],
  ];
  for (const [pattern, reason] of reasons) if (pattern.test(details)) return reason;
  return firstLine(details) || 'unavailable';
}

/**
 * True when grpc-js says the call never reached a server (no connection), so sending it to
 * another address cannot apply it twice.
 */
export function neverSent(status: Pick<StatusObject, 'code' | 'details'>): boolean {
  return status.code === Status.UNAVAILABLE && /No connection established|Name resolution failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN/u.test(status.details);
}

function defaultHint(code: Status, sentCode: string | undefined): string | undefined {
  if (sentCode !== undefined) return undefined;
  if (code === Status.DEADLINE_EXCEEDED) return 'nimbus may be busy or stuck; retry, or give the call a longer deadline';
  if (code === Status.RESOURCE_EXHAUSTED) return 'a message is over the size limit: send less at once, or raise maxMessageBytes on both sides';
  return undefined;
}

/** Replaces the stack with the message and the frames of the caller's stack. */
export function withCallerStack<E extends Error>(error: E, info: Pick<CallInfo, 'rpc' | 'address' | 'callerStack'>): E {
  const frames = info.callerStack?.split('\n').slice(1).join('\n') ?? '';
  error.stack = `${error.name}: ${error.message}\n    at nimbus ${info.rpc} (${info.address})\nfor call at\n${frames}`;
  return error;
}

function readText(md: Metadata | undefined, key: string): string | undefined {
  const value = md?.get(key)[0];
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function readContext(md: Metadata | undefined): ErrorContext | undefined {
  const text = readText(md, METADATA_KEYS.context);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}
