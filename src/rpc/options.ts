/**
 * Options shared by the cluster API's server and client (STYLE lesson 6): public options with
 * every field optional, compiled once into frozen values, plus the grpc-js channel options they
 * become. Durations are milliseconds with an `Ms` suffix.
 */
import type { ChannelOptions } from '@grpc/grpc-js';
import { ConfigError } from '../common/errors.js';
import { DEFAULT_CHUNK_BYTES } from './package-stream.js';

/** Storm's nimbus.thrift.port, kept for the gRPC API. */
export const DEFAULT_NIMBUS_PORT = 6627;
/** @default 4 MiB, gRPC's own default receive limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * @default 30 s. gRPC's default is 2 h, far too long to notice a dead peer (TEST-PLANS B3);
 * 30 s costs one tiny ping per idle connection per half minute.
 */
export const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
/** @default 10 s without a ping answer and the connection is considered dead. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;
/** Bytes a chunk message needs beyond its payload (tags, lengths, the oneof). */
const CHUNK_OVERHEAD_BYTES = 64;

/** HTTP/2 keepalive pings, to find dead peers (a supervisor's machine that vanished). */
export interface KeepaliveOptions {
  /** Ping after this long without traffic. @default {@link DEFAULT_KEEPALIVE_TIME_MS} */
  timeMs?: number;
  /** Drop the connection when a ping is not answered within this. @default {@link DEFAULT_KEEPALIVE_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Ping also when no call is open (client side; keeps a supervisor's idle channel honest). @default true */
  permitWithoutCalls?: boolean;
}

/** What both ends need. */
export interface TransportOptions {
  /** Largest message sent or received; larger ones fail with RESOURCE_EXHAUSTED. @default {@link DEFAULT_MAX_MESSAGE_BYTES} */
  maxMessageBytes?: number;
  /** Package bytes per chunk message. @default {@link DEFAULT_CHUNK_BYTES} */
  chunkBytes?: number;
  keepalive?: KeepaliveOptions;
}

export interface CompiledTransportOptions {
  readonly maxMessageBytes: number;
  readonly chunkBytes: number;
  readonly keepalive: Readonly<Required<KeepaliveOptions>>;
}

/**
 * Fills defaults and checks ranges.
 * @throws {ConfigError} naming the offending field.
 */
export function compileTransportOptions(opts: TransportOptions = {}): CompiledTransportOptions {
  const maxMessageBytes = positiveInt('maxMessageBytes', opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  const chunkBytes = positiveInt('chunkBytes', opts.chunkBytes ?? Math.min(DEFAULT_CHUNK_BYTES, maxMessageBytes - CHUNK_OVERHEAD_BYTES));
  if (chunkBytes + CHUNK_OVERHEAD_BYTES > maxMessageBytes) {
    throw new ConfigError('chunkBytes', `chunkBytes (${chunkBytes}) plus ${CHUNK_OVERHEAD_BYTES} bytes of framing must fit in maxMessageBytes (${maxMessageBytes})`);
  }
  const keepalive = Object.freeze({
    timeMs: positiveInt('keepalive.timeMs', opts.keepalive?.timeMs ?? DEFAULT_KEEPALIVE_TIME_MS),
    timeoutMs: positiveInt('keepalive.timeoutMs', opts.keepalive?.timeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS),
    permitWithoutCalls: opts.keepalive?.permitWithoutCalls ?? true,
  });
  return Object.freeze({ maxMessageBytes, chunkBytes, keepalive });
}

/** The grpc-js channel options (server or client) for compiled transport options. */
export function channelOptions(opts: CompiledTransportOptions): ChannelOptions {
  return {
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': opts.maxMessageBytes,
    'grpc.keepalive_time_ms': opts.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': opts.keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': opts.keepalive.permitWithoutCalls ? 1 : 0,
  };
}

/** @throws {ConfigError} unless `value` is a positive safe integer. */
export function positiveInt(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(key, `${key} must be a positive integer, got ${String(value)}`);
  return value;
}
