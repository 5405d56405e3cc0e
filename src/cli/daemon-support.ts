/** What the daemon commands (nimbus, supervisor, dev-cluster, worker) share. */
import { createRequire } from 'node:module';
import { SquallError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { envNameOf, type ClusterConfig } from '../config/cluster-config.js';
import { ZooKeeperStateStore } from '../coordination/index.js';
import type { NimbusOptions } from '../nimbus/options.js';
import type { SupervisorOptions } from '../supervisor/options.js';
import type { CliContext } from './context.js';

/**
 * Connects to ZooKeeper; undefined when interrupted. An unreachable ensemble becomes one line
 * with the cause and what to do (the CLI prints no stack for a SquallError, exit 1).
 */
export async function connectZooKeeper(config: ClusterConfig, logger: Logger, signal: AbortSignal): Promise<ZooKeeperStateStore | undefined> {
  const zk = config.zookeeper;
  try {
    return await ZooKeeperStateStore.connect({
      servers: [...zk.addresses], chroot: zk.root, sessionTimeoutMs: zk.sessionTimeoutMs, connectTimeoutMs: zk.connectionTimeoutMs,
      logger: logger.child({ module: 'zookeeper' }),
    }, signal);
  } catch (err) {
    if (signal.aborted) return undefined;
    const cause = firstLine(err);
    const reason = /could not connect to ZooKeeper/iu.test(cause) ? `no session within ${zk.connectionTimeoutMs} ms` : cause;
    throw new SquallError('E_ZOOKEEPER_UNREACHABLE', `cannot connect to ZooKeeper at ${zk.connectString}: ${reason}`, {
      hint: 'start ZooKeeper (for development: squall dev-zookeeper), or point storm.zookeeper.servers / storm.zookeeper.port in squall.yaml (or -c) at a running one',
    });
  }
}

/** The nimbus settings of the cluster config, as Nimbus.start() takes them. */
export function nimbusSettings(config: ClusterConfig): Pick<NimbusOptions,
  'monitorFreqMs' | 'taskTimeoutMs' | 'supervisorTimeoutMs' | 'maxPackageBytes' | 'inboxExpirationMs' | 'cleanupInboxFreqMs'> {
  const n = config.nimbus;
  return {
    monitorFreqMs: n.monitorFreqMs, taskTimeoutMs: n.taskTimeoutMs, supervisorTimeoutMs: n.supervisorTimeoutMs,
    maxPackageBytes: n.maxPackageBytes, inboxExpirationMs: n.inboxExpirationMs, cleanupInboxFreqMs: n.cleanupInboxFreqMs,
  };
}

/** The supervisor timings of the cluster config, as Supervisor.start() takes them. */
export function supervisorTimings(config: ClusterConfig): Pick<SupervisorOptions, 'workerTimeoutMs' | 'workerStartTimeoutMs' | 'monitorFrequencyMs'> {
  const s = config.supervisor;
  return { workerTimeoutMs: s.workerTimeoutMs, workerStartTimeoutMs: s.workerStartTimeoutMs, monitorFrequencyMs: s.monitorFrequencyMs };
}

/** What workers get as --cluster-config: where ZooKeeper is and how often to heartbeat. */
export function workerClusterConfig(config: ClusterConfig): Record<string, unknown> {
  return {
    'storm.zookeeper.servers': config.zookeeper.addresses,
    'storm.zookeeper.root': config.zookeeper.root,
    'storm.zookeeper.session.timeout': config.zookeeper.sessionTimeoutMs,
    'storm.zookeeper.connection.timeout': config.zookeeper.connectionTimeoutMs,
    'worker.heartbeat.frequency.secs': config.worker.heartbeatFrequencyMs / 1000,
  };
}

/** The daemon's environment for workers; the auth token travels here, never on a command line (ps shows those). */
export function workerEnv(config: ClusterConfig, env: CliContext['env']): Record<string, string | undefined> {
  const out = { ...env };
  if (config.authToken !== undefined) out[envNameOf('transport.auth.token')] = config.authToken.reveal();
  return out;
}

export function squallVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Resolves when Ctrl-C/SIGTERM arrives. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0]!.trim();
}
