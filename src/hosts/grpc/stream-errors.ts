/** Turns the end of a component's gRPC stream into an error that says what happened and what to do. */
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { ComponentError, type ErrorContext, type SquallError } from '../../common/errors.js';

/** The config key bounding every batch, named in errors about it. */
export const MAX_MESSAGE_KEY = 'squall.grpc.max.message.bytes';
export const CONNECT_TIMEOUT_KEY = 'squall.grpc.connect.timeout.secs';
export const KEEPALIVE_KEY = 'squall.grpc.keepalive.secs';

export interface StreamErrorInput {
  address: string;
  context: ErrorContext;
  maxMessageBytes: number;
  /** Ping interval of the connection (a ping unanswered for half of it drops the connection). */
  keepaliveMs: number;
}

export function statusName(code: number): string {
  return (Status as unknown as Record<number, string>)[code] ?? `status ${code}`;
}

/** grpc-js appends resolver notes ("... Resolution note: ") that say nothing to a user. */
function tidyDetails(details: string): string {
  return details.replace(/\s*Resolution note:\s*$/, '').trim();
}

/** A stream that ended with a non-OK status. */
export function streamError(err: Partial<ServiceError>, at: StreamErrorInput): SquallError {
  const code = err.code ?? Status.UNKNOWN;
  const name = statusName(code);
  const details = tidyDetails(err.details || err.message || '');
  const opts = { context: at.context, cause: err, retriable: true };
  if (code === Status.UNAVAILABLE && /ECONNREFUSED/.test(details)) {
    return new ComponentError('E_GRPC_CONNECT', `cannot connect to the gRPC component at ${at.address}: connection refused (${name}: ${details})`, {
      ...opts, hint: 'start the component service or fix the address in the topology; Squall keeps retrying with backoff',
    });
  }
  if (code === Status.RESOURCE_EXHAUSTED) {
    return new ComponentError('E_GRPC_TOO_LARGE', `the gRPC component at ${at.address} sent a batch larger than ${MAX_MESSAGE_KEY} (${at.maxMessageBytes} bytes): ${name}: ${details}`, {
      ...opts, hint: `raise ${MAX_MESSAGE_KEY} or emit smaller tuples; the tuples in flight were failed and will be replayed`,
    });
  }
  // grpc-js reports an unanswered keepalive ping, the only sign of a frozen peer or a silent
  // network, as a bare "Connection dropped": say which mechanism and which key are involved.
  const dropped = code === Status.UNAVAILABLE && /^Connection dropped$/i.test(details)
    ? ` (the connection closed, or a keepalive ping went unanswered for ${at.keepaliveMs / 2000} s; ${KEEPALIVE_KEY} is ${at.keepaliveMs / 1000})`
    : '';
  return new ComponentError('E_GRPC_STREAM', `the gRPC stream to the component at ${at.address} broke: ${name}: ${details}${dropped}`, {
    ...opts, hint: 'the component process died, closed the stream, froze or became unreachable; Squall reconnects with backoff',
  });
}

/** The component closed its side without being asked to. */
export function streamEndedError(at: StreamErrorInput): SquallError {
  return new ComponentError('E_GRPC_STREAM', `the gRPC component at ${at.address} ended the stream`, {
    context: at.context, retriable: true, hint: 'a component keeps its side of the Run stream open until the host closes its own',
  });
}

export function connectTimeoutError(at: StreamErrorInput, timeoutMs: number, cause: unknown): SquallError {
  return new ComponentError('E_GRPC_CONNECT', `the gRPC component did not accept connections at ${at.address} within ${timeoutMs / 1000} s (${CONNECT_TIMEOUT_KEY})`, {
    context: at.context, cause, retriable: true,
    hint: `the component must listen on the address in SQUALL_GRPC_ADDRESS; if it starts slowly, raise ${CONNECT_TIMEOUT_KEY}`,
  });
}

/** A `grpc: {address}` peer took the TCP connection but never completed the HTTP/2 handshake. */
export function handshakeTimeoutError(at: StreamErrorInput, timeoutMs: number, cause: unknown): SquallError {
  return new ComponentError('E_GRPC_CONNECT', `the gRPC component at ${at.address} did not complete the connection within ${timeoutMs / 1000} s (1.5 x ${KEEPALIVE_KEY})`, {
    context: at.context, cause, retriable: true,
    hint: 'something accepts connections there but does not answer: a frozen or overloaded process, or not a gRPC server; Squall retries with backoff',
  });
}

export function tupleTooLargeError(at: StreamErrorInput, bytes: number, id: string): SquallError {
  return new ComponentError('E_GRPC_TOO_LARGE', `a tuple of about ${bytes} bytes cannot be sent to the gRPC component at ${at.address}: larger than ${MAX_MESSAGE_KEY} (${at.maxMessageBytes} bytes); tuple ${id} was failed`, {
    context: at.context, hint: `raise ${MAX_MESSAGE_KEY} or emit smaller tuples upstream`,
  });
}

/** Statuses that usually mean the peer process is going away (its exit says more). */
export function isTransportLoss(code: number | undefined): boolean {
  return code === Status.UNAVAILABLE || code === Status.CANCELLED || code === Status.INTERNAL || code === Status.UNKNOWN;
}
