/**
 * Timeouts, cancellation and listener plumbing shared by both stores. Every store operation
 * runs inside withDeadline(), so nothing waits forever on a server that stopped answering and
 * every wait honours the caller's AbortSignal (STYLE §8 lesson 8).
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { OperationTimeoutError } from './errors.js';

/** How withDeadline() bounds one operation. */
export interface DeadlineOptions {
  clock: Clock;
  timeoutMs: number;
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** Aborted by the store on close(); fails the operation with its reason. */
  storeSignal?: AbortSignal | undefined;
  /** "get /a/b" — used in the timeout message. */
  what: string;
  path?: string | undefined;
}

/**
 * Runs `body` with a signal that fires on timeout, caller abort or store close, and settles
 * with the first of: body's result, OperationTimeoutError, the caller's abort reason, the
 * store's close reason. The body keeps running in the background when abandoned, so it must
 * check its signal before doing anything with side effects.
 */
export function withDeadline<T>(body: (signal: AbortSignal) => Promise<T>, opts: DeadlineOptions): Promise<T> {
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const fail = (err: unknown): void => {
      cleanup();
      inner.abort(err);
      reject(err);
    };
    const onAbort = (): void => fail(opts.signal?.reason);
    const onStoreAbort = (): void => fail(opts.storeSignal?.reason);
    const timer = opts.clock.setTimeout(() => {
      fail(new OperationTimeoutError(`${opts.what} timed out after ${opts.timeoutMs} ms`, { path: opts.path }));
    }, opts.timeoutMs);
    const cleanup = (): void => {
      timer.cancel();
      opts.signal?.removeEventListener('abort', onAbort);
      opts.storeSignal?.removeEventListener('abort', onStoreAbort);
    };
    if (opts.signal?.aborted) return onAbort();
    if (opts.storeSignal?.aborted) return onStoreAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.storeSignal?.addEventListener('abort', onStoreAbort, { once: true });
    body(inner.signal).then(
      (v) => { cleanup(); resolve(v); },
      (err: unknown) => { cleanup(); reject(err); },
    );
  });
}

/** A set of listeners for one typed event; a throwing listener is logged, never propagated. */
export class Listeners<T> {
  private readonly set = new Set<(ev: T) => void>();

  constructor(private readonly logger: Logger, private readonly what: string) {}

  add(listener: (ev: T) => void): Disposable {
    this.set.add(listener);
    return { [Symbol.dispose]: () => { this.set.delete(listener); } };
  }

  emit(ev: T): void {
    for (const l of [...this.set]) {
      try {
        l(ev);
      } catch (err) {
        this.logger.error(`${this.what} listener threw`, { err });
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}

/** Resolves on the next emitted event that matches, or rejects on abort. */
export function nextEvent<T>(listeners: Listeners<T>, match: (ev: T) => boolean, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const sub = listeners.add((ev) => {
      if (!match(ev)) return;
      done();
      resolve(ev);
    });
    const onAbort = (): void => { done(); reject(signal.reason); };
    const done = (): void => { sub[Symbol.dispose](); signal.removeEventListener('abort', onAbort); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
