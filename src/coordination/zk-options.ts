/**
 * Options of ZooKeeperStateStore and their compilation (STYLE §8 lesson 6): defaults from
 * exported constants, durations in ms, cross-field checks, ConfigError naming the field.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { validatePath } from './state-store.js';

/** Storm's storm.zookeeper.session.timeout. */
export const DEFAULT_ZK_SESSION_TIMEOUT_MS = 20_000;
/** The library's pause between full rounds of connection attempts. */
export const DEFAULT_ZK_SPIN_DELAY_MS = 1_000;
/** Default bound of close(). */
export const DEFAULT_ZK_SHUTDOWN_GRACE_MS = 5_000;

/** Options of ZooKeeperStateStore.connect(); all optional except `servers`. */
export interface ZooKeeperStateStoreOptions {
  /** ZooKeeper servers as "host:port", or one comma-separated string. Required. */
  servers: readonly string[] | string;
  /** Chroot under which every path lives (e.g. "/prod"); created if missing. @default none */
  chroot?: string;
  /** Requested session timeout; the server may adjust it. @default 20000 */
  sessionTimeoutMs?: number;
  /** How long connect() waits for the first session. @default sessionTimeoutMs */
  connectTimeoutMs?: number;
  /** Default timeout of each operation. @default sessionTimeoutMs */
  operationTimeoutMs?: number;
  /** Pause between rounds of connection attempts. @default 1000 */
  spinDelayMs?: number;
  /** How long close() waits for the session to close before tearing the socket down. @default 5000 */
  shutdownGraceMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** ZooKeeperStateStoreOptions with defaults applied and checked. */
export interface CompiledZooKeeperStateStoreOptions {
  servers: string[];
  chroot: string | undefined;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  spinDelayMs: number;
  shutdownGraceMs: number;
  clock: Clock;
  logger: Logger;
}

const SERVER = /^[A-Za-z0-9_.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

/** Fills defaults and checks the options. @throws ConfigError naming the bad field */
export function compileZooKeeperStateStoreOptions(o: ZooKeeperStateStoreOptions): Readonly<CompiledZooKeeperStateStoreOptions> {
  const servers = (typeof o.servers === 'string' ? o.servers.split(',') : [...o.servers]).map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) throw new ConfigError('servers', 'at least one ZooKeeper server ("host:port") is required');
  for (const s of servers) {
    if (!SERVER.test(s)) throw new ConfigError('servers', `invalid ZooKeeper server "${s}": expected host:port`);
  }
  let chroot = o.chroot === undefined || o.chroot === '' || o.chroot === '/' ? undefined : o.chroot;
  if (chroot !== undefined) {
    try {
      chroot = validatePath(chroot);
    } catch (err) {
      throw new ConfigError('chroot', `invalid chroot "${o.chroot}"`, { cause: err });
    }
  }
  const sessionTimeoutMs = positive('sessionTimeoutMs', o.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS);
  return Object.freeze({
    servers,
    chroot,
    sessionTimeoutMs,
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs ?? sessionTimeoutMs),
    operationTimeoutMs: positive('operationTimeoutMs', o.operationTimeoutMs ?? sessionTimeoutMs),
    spinDelayMs: positive('spinDelayMs', o.spinDelayMs ?? DEFAULT_ZK_SPIN_DELAY_MS),
    shutdownGraceMs: positive('shutdownGraceMs', o.shutdownGraceMs ?? DEFAULT_ZK_SHUTDOWN_GRACE_MS),
    clock: o.clock ?? systemClock,
    logger: o.logger ?? silentLogger,
  });
}

function positive(key: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(key, `${key} must be a positive number of milliseconds, got ${v}`);
  return v;
}
