/**
 * Options of Supervisor.start() and their compilation (STYLE §8 lesson 6): Storm's defaults
 * from exported constants, durations in ms, ConfigError naming the offending field.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { ClusterPaths, checkName, type StateStore } from '../coordination/index.js';
import type { SafeExtractOptions } from '../packages/safe-extract.js';
import type { HeartbeatAck, SupervisorHeartbeat } from '../rpc/index.js';
import { defaultSpawnWorker, type SpawnWorker } from './launcher.js';
import type { PackageSource } from './package-cache.js';
import { systemProcesses, type ProcessControl } from './processes.js';
import type { SlotTiming } from './slot.js';

/** Storm's supervisor.worker.timeout.secs. */
export const DEFAULT_WORKER_TIMEOUT_MS = 30_000;
/** Storm's supervisor.worker.start.timeout.secs. */
export const DEFAULT_WORKER_START_TIMEOUT_MS = 120_000;
/** Storm's supervisor.monitor.frequency.secs. */
export const DEFAULT_MONITOR_FREQUENCY_MS = 3_000;
/** Storm forwards worker heartbeats to the leader every second. */
export const DEFAULT_NIMBUS_HEARTBEAT_MS = 1_000;
/** Storm's assignment sync safety net (the supervisor re-reads assignments every 10 s). */
export const DEFAULT_ASSIGNMENT_SYNC_MS = 10_000;
/**
 * SIGTERM → SIGKILL. Longer than Storm's 3 s: a Squall worker drains its in-flight tuples
 * (at most 10 s) before it exits.
 */
export const DEFAULT_KILL_GRACE_MS = 15_000;
/** First restart delay after a worker failure; doubles per consecutive failure. */
export const DEFAULT_RESTART_DELAY_MS = 1_000;
export const DEFAULT_MAX_RESTART_DELAY_MS = 30_000;

/** What the supervisor needs from the leader nimbus; NimbusClient fits. */
export interface SupervisorNimbus extends PackageSource {
  supervisorHeartbeat(heartbeat: SupervisorHeartbeat, options?: { deadlineMs?: number; signal?: AbortSignal }): Promise<HeartbeatAck>;
  close?(): Promise<void>;
}

/** Options of Supervisor.start(); see each field for its default. */
export interface SupervisorOptions {
  /** supervisor.id: stable across restarts (a restarted supervisor adopts its workers by it). */
  id: string;
  /** supervisor.host: this machine's address, recorded in SupervisorInfo.host. @default "127.0.0.1" */
  host?: string;
  /** supervisor.advertised.host: where peers reach this supervisor's workers; workers listen on it. @default host */
  advertisedHost?: string;
  /** supervisor.slots.ports: one worker slot per port. */
  ports: readonly number[];
  /** storm.local.dir; the supervisor keeps its state in `<localDir>/supervisor`. */
  localDir: string;
  /** The coordination store (not owned: close it yourself after the supervisor). */
  store: StateStore;
  /** @default new ClusterPaths() */
  paths?: ClusterPaths;
  /** Nimbus addresses ("host:port"; a NimbusClient is made and owned) or a client (not owned). */
  nimbus: string | readonly string[] | SupervisorNimbus;
  /**
   * Storm-keyed cluster settings passed to every worker as `--cluster-config` JSON: at least
   * storm.zookeeper.servers and storm.zookeeper.root; worker.heartbeat.frequency.secs.
   */
  workerClusterConfig: Readonly<Record<string, unknown>>;
  /** Environment of worker processes. @default {} */
  workerEnv?: Readonly<Record<string, string | undefined>>;
  /** @default {@link DEFAULT_WORKER_TIMEOUT_MS} */
  workerTimeoutMs?: number;
  /** @default {@link DEFAULT_WORKER_START_TIMEOUT_MS} */
  workerStartTimeoutMs?: number;
  /** @default {@link DEFAULT_MONITOR_FREQUENCY_MS} */
  monitorFrequencyMs?: number;
  /** @default {@link DEFAULT_NIMBUS_HEARTBEAT_MS} */
  nimbusHeartbeatMs?: number;
  /** @default {@link DEFAULT_ASSIGNMENT_SYNC_MS} */
  assignmentSyncMs?: number;
  /** @default {@link DEFAULT_KILL_GRACE_MS} */
  killGraceMs?: number;
  /** @default {@link DEFAULT_RESTART_DELAY_MS} */
  restartDelayMs?: number;
  /** @default {@link DEFAULT_MAX_RESTART_DELAY_MS} */
  maxRestartDelayMs?: number;
  /** Starts worker processes. @default `node <squall>/dist/cli/main.js worker …` (defaultSpawnWorker) */
  spawnWorker?: SpawnWorker;
  /** Probes and signals processes. @default systemProcesses */
  processes?: ProcessControl;
  /** Limits of package extraction. @default safeExtract's */
  packageLimits?: SafeExtractOptions;
  /** Recorded in SupervisorInfo. @default "unknown" */
  version?: string;
  clock?: Clock;
  logger?: Logger;
}

/** SupervisorOptions with defaults applied and checked. */
export interface CompiledSupervisorOptions {
  id: string;
  host: string;
  advertisedHost: string;
  ports: readonly number[];
  localDir: string;
  store: StateStore;
  paths: ClusterPaths;
  nimbus: string[] | SupervisorNimbus;
  workerClusterConfig: Readonly<Record<string, unknown>>;
  workerEnv: Readonly<Record<string, string | undefined>>;
  timing: SlotTiming;
  monitorFrequencyMs: number;
  nimbusHeartbeatMs: number;
  assignmentSyncMs: number;
  spawnWorker: SpawnWorker;
  processes: ProcessControl;
  packageLimits: SafeExtractOptions;
  version: string;
  clock: Clock;
  logger: Logger;
}

/** Fills defaults and checks the options. @throws ConfigError naming the bad field */
export function compileSupervisorOptions(o: SupervisorOptions): Readonly<CompiledSupervisorOptions> {
  try {
    checkName('supervisor id', o.id);
  } catch (err) {
    throw new ConfigError('id', (err as Error).message);
  }
  const host = o.host ?? '127.0.0.1';
  if (o.localDir === '') throw new ConfigError('localDir', 'localDir (storm.local.dir) must not be empty');
  return Object.freeze({
    id: o.id,
    host,
    advertisedHost: o.advertisedHost ?? host,
    ports: checkPorts(o.ports),
    localDir: o.localDir,
    store: o.store,
    paths: o.paths ?? new ClusterPaths(),
    nimbus: checkNimbus(o.nimbus),
    workerClusterConfig: o.workerClusterConfig,
    workerEnv: o.workerEnv ?? {},
    timing: {
      workerTimeoutMs: positive('workerTimeoutMs', o.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS),
      workerStartTimeoutMs: positive('workerStartTimeoutMs', o.workerStartTimeoutMs ?? DEFAULT_WORKER_START_TIMEOUT_MS),
      killGraceMs: positive('killGraceMs', o.killGraceMs ?? DEFAULT_KILL_GRACE_MS),
      restartDelayMs: positive('restartDelayMs', o.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS),
      maxRestartDelayMs: positive('maxRestartDelayMs', o.maxRestartDelayMs ?? DEFAULT_MAX_RESTART_DELAY_MS),
    },
    monitorFrequencyMs: positive('monitorFrequencyMs', o.monitorFrequencyMs ?? DEFAULT_MONITOR_FREQUENCY_MS),
    nimbusHeartbeatMs: positive('nimbusHeartbeatMs', o.nimbusHeartbeatMs ?? DEFAULT_NIMBUS_HEARTBEAT_MS),
    assignmentSyncMs: positive('assignmentSyncMs', o.assignmentSyncMs ?? DEFAULT_ASSIGNMENT_SYNC_MS),
    spawnWorker: o.spawnWorker ?? defaultSpawnWorker(),
    processes: o.processes ?? systemProcesses,
    packageLimits: o.packageLimits ?? {},
    version: o.version ?? 'unknown',
    clock: o.clock ?? systemClock,
    logger: o.logger ?? silentLogger,
  });
}

function checkPorts(ports: readonly number[]): number[] {
  if (ports.length === 0) throw new ConfigError('ports', 'a supervisor needs at least one slot port (supervisor.slots.ports)');
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new ConfigError('ports', `invalid slot port ${String(p)}: use 1 to 65535`);
  }
  if (new Set(ports).size !== ports.length) throw new ConfigError('ports', `slot ports must be distinct: ${ports.join(', ')}`);
  return [...ports].sort((a, b) => a - b);
}

function checkNimbus(n: SupervisorOptions['nimbus']): string[] | SupervisorNimbus {
  if (typeof n !== 'string' && !Array.isArray(n)) return n as SupervisorNimbus;
  const list = typeof n === 'string' ? [n] : [...(n as readonly string[])];
  if (list.length === 0) throw new ConfigError('nimbus', 'at least one nimbus address is required (nimbus.seeds)');
  return list;
}

function positive(key: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(key, `${key} must be a positive number of milliseconds, got ${v}`);
  return v;
}
