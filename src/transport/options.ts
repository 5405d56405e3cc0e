/**
 * Options of the transport's server and clients: public `XxxOptions` with every tunable
 * optional, compiled once into frozen `CompiledXxxOptions` with defaults filled and ranges
 * checked (STYLE §8 lesson 6). Defaults follow Storm's where Storm has the knob.
 */
import { ConfigError } from '../common/errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-types.js';

/** Storm's `topology.transfer.buffer.size`: tuples held for one destination worker. */
export const DEFAULT_MAX_BUFFERED_TUPLES = 1000;
/** Byte cap of one destination worker's buffer (Storm's Netty high watermark is 16 MB per connection). */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** A batch is sealed into a frame at this many tuples even before the flush tick. */
export const DEFAULT_BATCH_MAX_TUPLES = 256;
/** ...or at this many bytes. */
export const DEFAULT_BATCH_MAX_BYTES = 64 * 1024;
/** The socket's own write buffer; `write()` returns false beyond it and we wait for 'drain'. */
export const DEFAULT_SOCKET_HIGH_WATER_BYTES = 1024 * 1024;
/** Storm's `storm.messaging.netty.min_wait_ms`: first reconnect delay. */
export const DEFAULT_RECONNECT_MIN_MS = 100;
/** Storm's `storm.messaging.netty.max_wait_ms`: longest reconnect delay. */
export const DEFAULT_RECONNECT_MAX_MS = 1000;
/** A connect attempt that has not completed by then is abandoned (and retried). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** TEST-PLANS S8: a connection that has not said hello within this is closed. */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
/** Storm's `topology.backpressure.check.millis`: how often congested tasks are re-checked. */
export const DEFAULT_BACKPRESSURE_CHECK_MS = 50;
/** Connections a server accepts at once (TEST-PLANS B11: per-listener caps). */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** TEST-PLANS S14: listeners bind to loopback unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';

/** Tunables of one sending side (a PeerClient, or every client of a TcpRemoteTransport). */
export interface ClientTuning {
  /**
   * Tuples held for the destination worker (not yet handed to the socket) at which `isFull()`
   * turns true. Storm's `topology.transfer.buffer.size`.
   * @default 1000
   */
  maxBufferedTuples?: number;
  /**
   * Bytes held for the destination worker, socket buffer included, at which `isFull()` turns true.
   * @default 8 MiB
   */
  maxBufferedBytes?: number;
  /** @default 256 */
  batchMaxTuples?: number;
  /** @default 64 KiB */
  batchMaxBytes?: number;
  /**
   * Largest frame payload; must not exceed the receiver's `maxFrameBytes`.
   * @default 16 MiB
   */
  maxFrameBytes?: number;
  /** @default 1 MiB */
  socketHighWaterBytes?: number;
  /** @default 100 */
  reconnectMinMs?: number;
  /** @default 1000 */
  reconnectMaxMs?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
}

/** ClientTuning with every default filled in, frozen. */
export type CompiledClientTuning = Readonly<Required<ClientTuning>>;

/** Fills defaults and checks ranges. @throws ConfigError naming the offending field. */
export function compileClientTuning(t: ClientTuning = {}): CompiledClientTuning {
  const c: Required<ClientTuning> = {
    maxBufferedTuples: positiveInt('maxBufferedTuples', t.maxBufferedTuples ?? DEFAULT_MAX_BUFFERED_TUPLES),
    maxBufferedBytes: positiveInt('maxBufferedBytes', t.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
    batchMaxTuples: positiveInt('batchMaxTuples', t.batchMaxTuples ?? DEFAULT_BATCH_MAX_TUPLES),
    batchMaxBytes: positiveInt('batchMaxBytes', t.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES),
    maxFrameBytes: positiveInt('maxFrameBytes', t.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
    socketHighWaterBytes: positiveInt('socketHighWaterBytes', t.socketHighWaterBytes ?? DEFAULT_SOCKET_HIGH_WATER_BYTES),
    reconnectMinMs: positiveInt('reconnectMinMs', t.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS),
    reconnectMaxMs: positiveInt('reconnectMaxMs', t.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS),
    connectTimeoutMs: positiveInt('connectTimeoutMs', t.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
  };
  if (c.reconnectMaxMs < c.reconnectMinMs) {
    throw new ConfigError('reconnectMaxMs', `reconnectMaxMs (${c.reconnectMaxMs}) must be ≥ reconnectMinMs (${c.reconnectMinMs})`);
  }
  if (c.batchMaxBytes > c.maxFrameBytes) {
    throw new ConfigError('batchMaxBytes', `batchMaxBytes (${c.batchMaxBytes}) must be ≤ maxFrameBytes (${c.maxFrameBytes})`);
  }
  return Object.freeze(c);
}

/**
 * Reconnect delay after `failures` consecutive failed attempts (0 = the first retry):
 * min·2^failures, capped at max. Deterministic on purpose; workers of one topology rarely
 * stampede one peer, and a fake clock can then predict every retry.
 */
export function backoffDelayMs(failures: number, minMs: number, maxMs: number): number {
  if (failures >= 31) return maxMs;
  return Math.min(maxMs, minMs * 2 ** Math.max(0, failures));
}

/** @throws ConfigError unless `value` is a positive safe integer. */
export function positiveInt(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, `${key} must be a positive integer, got ${value}`);
  return value;
}
