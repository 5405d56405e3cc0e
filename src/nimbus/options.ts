/**
 * Options of the nimbus daemon (STYLE lesson 6): the public {@link NimbusOptions}, every
 * field optional except the store and the local dir, compiled once by
 * {@link compileNimbusOptions} into frozen values with defaults filled (Storm's), durations in
 * ms and a ConfigError naming the offending field.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { ClusterPaths } from '../coordination/paths.js';
import type { StateStore } from '../coordination/state-store.js';
import type { PackageLimitsOptions } from '../packages/limits.js';
import { DEFAULT_NIMBUS_PORT } from '../rpc/options.js';

/** Storm's nimbus.monitor.freq.secs (10 s): period of the scheduling loop. */
export const DEFAULT_MONITOR_FREQ_MS = 10_000;
/** Storm's nimbus.task.timeout.secs (30 s): a worker silent this long is dead. */
export const DEFAULT_TASK_TIMEOUT_MS = 30_000;
/** Storm's nimbus.task.launch.secs (120 s): grace for a newly assigned worker's first heartbeat. */
export const DEFAULT_TASK_LAUNCH_MS = 120_000;
/** Storm's nimbus.supervisor.timeout.secs (60). */
export const DEFAULT_SUPERVISOR_TIMEOUT_MS = 60_000;
/** Squall's nimbus.max.package.bytes (256 MiB). */
export const DEFAULT_NIMBUS_MAX_PACKAGE_BYTES = 256 * 1024 * 1024;
/** How long close() lets calls and ZooKeeper cleanup run before giving up on them. */
export const DEFAULT_NIMBUS_SHUTDOWN_GRACE_MS = 5_000;
/** Storm's nimbus.inbox.jar.expiration.secs (3600 s): an upload no submit used is deleted after this. */
export const DEFAULT_INBOX_EXPIRATION_MS = 3_600_000;
/** Storm's nimbus.cleanup.inbox.freq.secs (600 s): period of the pass that expires uploads. */
export const DEFAULT_CLEANUP_INBOX_FREQ_MS = 600_000;
/** How long startup waits for missing packages to be copied from other nimbuses before joining the election. */
export const DEFAULT_PACKAGE_SYNC_WAIT_MS = 10_000;

/** Options of {@link Nimbus.start}; all optional except `store` and `localDir`. */
export interface NimbusOptions {
  /** The coordination store (ZooKeeper in a cluster, in-memory in tests). Not closed by nimbus. */
  store: StateStore;
  /** storm.local.dir: packages live in `<localDir>/nimbus/packages/`. */
  localDir: string;
  /** This nimbus's id in ZooKeeper. @default `<advertised host>-<bound port>` with unsafe characters replaced */
  id?: string;
  /** Address the gRPC API binds. @default '127.0.0.1' */
  host?: string;
  /** gRPC port; 0 picks a free one. @default 6627 */
  port?: number;
  /** Host others use to reach this nimbus. @default `host`, or the machine's host name when `host` is a wildcard */
  advertisedHost?: string;
  /** Znode paths (the root). @default new ClusterPaths() */
  paths?: ClusterPaths;
  /** Drives every nimbus timer (monitor loop, kill/rebalance waits, heartbeat ages). @default systemClock */
  clock?: Clock;
  logger?: Logger;
  /** nimbus.monitor.freq.secs in ms. @default {@link DEFAULT_MONITOR_FREQ_MS} */
  monitorFreqMs?: number;
  /** nimbus.task.timeout.secs in ms. @default {@link DEFAULT_TASK_TIMEOUT_MS} */
  taskTimeoutMs?: number;
  /** nimbus.task.launch.secs in ms. @default {@link DEFAULT_TASK_LAUNCH_MS} */
  taskLaunchMs?: number;
  /**
   * nimbus.supervisor.timeout.secs in ms: how long a supervisor whose ZooKeeper node vanished
   * keeps its slots (a restarted supervisor re-registers and adopts its workers meanwhile).
   * @default {@link DEFAULT_SUPERVISOR_TIMEOUT_MS}
   */
  supervisorTimeoutMs?: number;
  /** nimbus.max.package.bytes. @default {@link DEFAULT_NIMBUS_MAX_PACKAGE_BYTES} */
  maxPackageBytes?: number;
  /**
   * nimbus.inbox.jar.expiration.secs in ms: an uploaded package that no submit has used for this
   * long (and no topology uses) is deleted. @default {@link DEFAULT_INBOX_EXPIRATION_MS}
   */
  inboxExpirationMs?: number;
  /** nimbus.cleanup.inbox.freq.secs in ms: how often expired uploads are looked for. @default {@link DEFAULT_CLEANUP_INBOX_FREQ_MS} */
  cleanupInboxFreqMs?: number;
  /** Limits on what an uploaded package may hold (entries, uncompressed bytes, ratio). @default packages/limits.ts defaults */
  packageLimits?: PackageLimitsOptions;
  /** @default {@link DEFAULT_NIMBUS_SHUTDOWN_GRACE_MS} */
  shutdownGraceMs?: number;
  /** @default {@link DEFAULT_PACKAGE_SYNC_WAIT_MS} */
  packageSyncWaitMs?: number;
  /** Reported in ClusterSummary. @default this package's version */
  version?: string;
  /**
   * Environment for Flux `${ENV-NAME}` placeholders when nimbus loads a topology (the CLI passes
   * the daemon's environment). @default {} (a Flux file with placeholders is then refused)
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** NimbusOptions with defaults applied and checked. */
export interface CompiledNimbusOptions {
  store: StateStore;
  localDir: string;
  id: string | undefined;
  host: string;
  port: number;
  advertisedHost: string;
  paths: ClusterPaths;
  clock: Clock;
  logger: Logger;
  monitorFreqMs: number;
  taskTimeoutMs: number;
  taskLaunchMs: number;
  supervisorTimeoutMs: number;
  maxPackageBytes: number;
  inboxExpirationMs: number;
  cleanupInboxFreqMs: number;
  packageLimits: PackageLimitsOptions;
  shutdownGraceMs: number;
  packageSyncWaitMs: number;
  version: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** Fills defaults and checks ranges. @throws {ConfigError} naming the field */
export function compileNimbusOptions(o: NimbusOptions): Readonly<CompiledNimbusOptions> {
  if (o.store === undefined) throw new ConfigError('store', 'nimbus needs a coordination store');
  if (typeof o.localDir !== 'string' || o.localDir === '') throw new ConfigError('localDir', 'nimbus needs a local directory (storm.local.dir)');
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? DEFAULT_NIMBUS_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `port must be 0 to 65535, got ${String(port)}`);
  return Object.freeze({
    store: o.store,
    localDir: resolve(o.localDir),
    id: o.id,
    host,
    port,
    advertisedHost: o.advertisedHost ?? (WILDCARDS.has(host) ? hostname() : host),
    paths: o.paths ?? new ClusterPaths(),
    clock: o.clock ?? systemClock,
    logger: o.logger ?? silentLogger,
    monitorFreqMs: positive('monitorFreqMs', o.monitorFreqMs ?? DEFAULT_MONITOR_FREQ_MS),
    taskTimeoutMs: positive('taskTimeoutMs', o.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS),
    taskLaunchMs: nonNegative('taskLaunchMs', o.taskLaunchMs ?? DEFAULT_TASK_LAUNCH_MS),
    supervisorTimeoutMs: nonNegative('supervisorTimeoutMs', o.supervisorTimeoutMs ?? DEFAULT_SUPERVISOR_TIMEOUT_MS),
    maxPackageBytes: positive('maxPackageBytes', o.maxPackageBytes ?? DEFAULT_NIMBUS_MAX_PACKAGE_BYTES),
    inboxExpirationMs: positive('inboxExpirationMs', o.inboxExpirationMs ?? DEFAULT_INBOX_EXPIRATION_MS),
    cleanupInboxFreqMs: positive('cleanupInboxFreqMs', o.cleanupInboxFreqMs ?? DEFAULT_CLEANUP_INBOX_FREQ_MS),
    packageLimits: o.packageLimits ?? {},
    shutdownGraceMs: positive('shutdownGraceMs', o.shutdownGraceMs ?? DEFAULT_NIMBUS_SHUTDOWN_GRACE_MS),
    packageSyncWaitMs: nonNegative('packageSyncWaitMs', o.packageSyncWaitMs ?? DEFAULT_PACKAGE_SYNC_WAIT_MS),
    version: o.version,
    env: o.env ?? {},
  });
}

/** The default nimbus id: host and port, with anything a znode name cannot hold replaced. */
export function defaultNimbusId(advertisedHost: string, port: number): string {
  const host = advertisedHost.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/\.\.+/g, '.').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
  return `${host || 'nimbus'}-${port}`;
}

function positive(key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(key, `${key} must be a positive number, got ${String(v)}`);
  return v;
}

function nonNegative(key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(key, `${key} must be a non-negative number, got ${String(v)}`);
  return v;
}
