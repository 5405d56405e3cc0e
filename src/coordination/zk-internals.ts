/**
 * The two places where node-zookeeper-client (1.1.x) must be worked around, isolated here and
 * shape-checked so that a library upgrade degrades to the plain public API instead of crashing.
 *
 * 1. retire() and the watchdog: the connection manager's state, socket and queue of unsent
 *    packets are not public; see zk-client.ts and zk-watchdog.ts for why they are needed.
 * 2. Transaction.check/setData/remove do `version = version || -1`, which turns an expected
 *    version of 0 into "any version" — fatal for compare-and-set and for fencing. We build the
 *    op with the builder, then write the intended version into the op record.
 */
import type zookeeper from 'node-zookeeper-client';

/** ConnectionManager.STATES values of the library. */
export const CM_CONNECTING = 1;
export const CM_CONNECTED = 2;
export const CM_CLOSED = -2;
export const CM_SESSION_EXPIRED = -3;

/** The part of net.Socket we touch. */
export interface SocketInternals {
  destroy(): void;
  /** True while the TCP connect is in progress (net.Socket#connecting). */
  readonly connecting?: boolean;
}

/** What we read and touch inside the library's ConnectionManager. */
export interface ConnectionManagerInternals {
  state: number;
  socket: SocketInternals | undefined;
  packetQueue: { queue: unknown[] } | undefined;
}

/** The client's connection manager, or undefined if its shape is not the expected one. */
export function cmInternals(client: zookeeper.Client): ConnectionManagerInternals | undefined {
  const cm = (client as unknown as { connectionManager?: unknown }).connectionManager;
  if (typeof cm !== 'object' || cm === null) return undefined;
  const rec = cm as Record<string, unknown>;
  if (typeof rec['state'] !== 'number') return undefined;
  const pq = rec['packetQueue'] as { queue?: unknown } | undefined;
  return {
    get state() { return rec['state'] as number; },
    get socket() {
      const s = rec['socket'] as { destroy?: unknown } | undefined;
      return s && typeof s.destroy === 'function' ? (s as SocketInternals) : undefined;
    },
    packetQueue: pq && Array.isArray(pq.queue) ? (pq as { queue: unknown[] }) : undefined,
  };
}

/** Sets the version of the op just added to `tx` (see 2. above). */
export function fixTransactionVersion(tx: zookeeper.Transaction, version: number): void {
  const ops = (tx as unknown as { ops?: Array<{ version?: number }> }).ops;
  const last = ops?.[ops.length - 1];
  if (!last || typeof last.version !== 'number') {
    if (version === 0) throw new Error('node-zookeeper-client changed: cannot express expected version 0 in a multi');
    return;
  }
  last.version = version;
}
