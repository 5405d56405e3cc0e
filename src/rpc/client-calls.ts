/**
 * One attempt of one call at one address, as a promise: grpc-js's callback and stream APIs
 * adapted. Failures reject with grpc-js's raw status error (or the package source's own
 * error); mapping to typed errors, redirects and failover are the client's job (client.ts).
 */
import { Metadata, type Client, type ClientReadableStream, type ClientWritableStream, type MethodDefinition } from '@grpc/grpc-js';
import type { WirePackageMetadata } from './codec-common.js';

/** Where and how one attempt runs. */
export interface AttemptTarget {
  client: Client;
  address: string;
  /** Absolute deadline (epoch ms), shared by every attempt of a call. */
  deadline: number;
  /** Cancels the attempt (the caller's signal, or the client closing). */
  signal: AbortSignal;
}

type Method = MethodDefinition<object, unknown>;

/** One unary call. */
export function unaryAttempt(method: Method, request: object, target: AttemptTarget): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = target.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline: target.deadline }, (err, res) => {
      target.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(res);
    });
    const onAbort = (): void => call.cancel();
    if (target.signal.aborted) call.cancel();
    else target.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One upload: the metadata message, then — only once the server has sent its response
 * headers, i.e. accepted the upload — the chunks from `source()`. An upload refused up front
 * never calls `source()`, so a one-shot source is still unread for the next attempt.
 */
export function uploadAttempt(method: Method, metadata: WirePackageMetadata, source: () => AsyncIterable<Uint8Array>, target: AttemptTarget): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = new AbortController();
    const finish = (settle: () => void): void => {
      if (done.signal.aborted) return;
      done.abort();
      target.signal.removeEventListener('abort', onAbort);
      settle();
    };
    const call = target.client.makeClientStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new Metadata(), { deadline: target.deadline }, (err, res) => {
      finish(() => (err ? reject(err) : resolve(res)));
    });
    const onAbort = (): void => call.cancel();
    target.signal.addEventListener('abort', onAbort, { once: true });
    if (target.signal.aborted) call.cancel();
    call.write({ metadata });
    call.once('metadata', () => {
      pump(call, source, done.signal).catch((err: unknown) => {
        finish(() => reject(err));
        call.cancel();
      });
    });
  });
}

/** Writes the source's chunks with backpressure until it ends or the call is over. */
async function pump(call: ClientWritableStream<object>, source: () => AsyncIterable<Uint8Array>, done: AbortSignal): Promise<void> {
  for await (const chunk of source()) {
    if (done.aborted) return;
    if (!call.write({ chunk })) await drained(call, done);
  }
  if (!done.aborted) call.end();
}

function drained(call: ClientWritableStream<object>, done: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const settle = (): void => {
      call.off('drain', settle);
      done.removeEventListener('abort', settle);
      resolve();
    };
    call.once('drain', settle);
    done.addEventListener('abort', settle, { once: true });
  });
}

/** An open server stream whose first message has arrived. */
export interface OpenStream {
  first: unknown;
  /** The messages after the first; rejects with the raw status error when the call fails. */
  rest: AsyncIterator<unknown>;
  /** Cancels the call (a consumer that stops early) and releases the abort listener. */
  release(): void;
}

/**
 * Starts a server-streaming call and waits for its first message, so that a refusal (not
 * found, not the leader, unreachable) fails the attempt before anything is returned.
 */
export async function serverStreamAttempt(method: Method, request: object, target: AttemptTarget): Promise<OpenStream | undefined> {
  const call: ClientReadableStream<unknown> = target.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline: target.deadline });
  const onAbort = (): void => call.cancel();
  target.signal.addEventListener('abort', onAbort, { once: true });
  if (target.signal.aborted) call.cancel();
  const release = (): void => {
    target.signal.removeEventListener('abort', onAbort);
    call.cancel();
  };
  const rest = call[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  try {
    const first = await rest.next();
    if (first.done === true) {
      release();
      return undefined;
    }
    return { first: first.value, rest, release };
  } catch (err) {
    release();
    throw err;
  }
}
