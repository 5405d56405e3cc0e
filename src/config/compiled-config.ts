/**
 * The compiled cluster config: checked values turned into typed, frozen settings per role,
 * durations in ms (STYLE lesson 6), derived defaults filled in.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { formatHostPort, parseHostPort } from './check-value.js';
import type { ConfigProblem } from './config-sources.js';
import type { Secret } from './secret.js';

/** ZooKeeper settings (storm.zookeeper.*). */
export interface ZooKeeperSettings {
  /** storm.zookeeper.servers as written. */
  servers: readonly string[];
  port: number;
  /** "host:port" per server (storm.zookeeper.port unless the entry has a port): ZooKeeperStateStore's `servers`. */
  addresses: readonly string[];
  /** The addresses joined with ",", as ZooKeeper clients take them. */
  connectString: string;
  /** storm.zookeeper.root, used as the chroot. */
  root: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
}

/** Nimbus settings (nimbus.*). */
export interface NimbusSettings {
  seeds: readonly string[];
  /** "host:port" per seed (nimbus.grpc.port unless the seed has a port). */
  addresses: readonly string[];
  /** Bind address. */
  host: string;
  grpcPort: number;
  monitorFreqMs: number;
  taskTimeoutMs: number;
  supervisorTimeoutMs: number;
  maxPackageBytes: number;
  /** nimbus.inbox.jar.expiration.secs in ms. */
  inboxExpirationMs: number;
  /** nimbus.cleanup.inbox.freq.secs in ms. */
  cleanupInboxFreqMs: number;
}

/** Supervisor settings (supervisor.*). */
export interface SupervisorSettings {
  /** supervisor.id, or derived from the advertised host and storm.local.dir (stable across restarts). */
  id: string;
  /** Bind address. */
  host: string;
  /** Address others use; supervisor.host unless set. */
  advertisedHost: string;
  slotPorts: readonly number[];
  workerTimeoutMs: number;
  workerStartTimeoutMs: number;
  monitorFrequencyMs: number;
  heartbeatFrequencyMs: number;
}

/** The whole daemon config, frozen. */
export interface ClusterConfig {
  /** Every cluster key (defaults and derived values filled in) and any topology.* key given; Storm names. Secrets are {@link Secret}s. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Where each value came from: "default", "derived", "squall.yaml:3:1", "env SQUALL_…", "-c key=value". */
  readonly origins: Readonly<Record<string, string>>;
  /** Absolute path of the config file read, if any. */
  readonly file: string | undefined;
  /** Problems that did not stop loading (ignored Storm keys, suspicious variables). */
  readonly warnings: readonly ConfigProblem[];
  readonly zookeeper: Readonly<ZooKeeperSettings>;
  /** storm.local.dir, absolute. */
  readonly localDir: string;
  readonly nimbus: Readonly<NimbusSettings>;
  readonly supervisor: Readonly<SupervisorSettings>;
  readonly worker: Readonly<{ heartbeatFrequencyMs: number }>;
  /** transport.auth.token; undefined when unset (no authentication). */
  readonly authToken: Secret | undefined;
  /** The topology.* keys given: defaults under every submitted topology's own config. */
  readonly topologyDefaults: Readonly<Record<string, unknown>>;
}

type Values = ReadonlyMap<string, { value: unknown; where: string }>;

/** Builds the typed config from checked values (every cluster key present). */
export function buildClusterConfig(values: Values, ctx: { cwd: string; file: string | undefined; warnings: readonly ConfigProblem[] }): ClusterConfig {
  const v = <T>(key: string): T => values.get(key)?.value as T;
  const ms = (key: string): number => Math.round(v<number>(key) * 1000);
  const derived = new Map(values);
  const localDir = resolve(ctx.cwd, v<string>('storm.local.dir'));
  const host = v<string>('supervisor.host');
  const advertisedHost = v<string | null>('supervisor.advertised.host') ?? host;
  const id = v<string | null>('supervisor.id') ?? deriveSupervisorId(advertisedHost, localDir);
  if (v('supervisor.advertised.host') === null) derived.set('supervisor.advertised.host', { value: advertisedHost, where: 'derived' });
  if (v('supervisor.id') === null) derived.set('supervisor.id', { value: id, where: 'derived' });
  const zkAddresses = addresses(v('storm.zookeeper.servers'), v('storm.zookeeper.port'));
  return deepFreeze({
    values: Object.fromEntries([...derived].map(([k, e]) => [k, e.value])),
    origins: Object.fromEntries([...derived].map(([k, e]) => [k, e.where])),
    file: ctx.file,
    warnings: [...ctx.warnings],
    zookeeper: {
      servers: v('storm.zookeeper.servers'), port: v('storm.zookeeper.port'), addresses: zkAddresses,
      connectString: zkAddresses.join(','), root: v('storm.zookeeper.root'),
      sessionTimeoutMs: v('storm.zookeeper.session.timeout'), connectionTimeoutMs: v('storm.zookeeper.connection.timeout'),
    },
    localDir,
    nimbus: {
      seeds: v('nimbus.seeds'), addresses: addresses(v('nimbus.seeds'), v('nimbus.grpc.port')), host: v('nimbus.host'),
      grpcPort: v('nimbus.grpc.port'), monitorFreqMs: ms('nimbus.monitor.freq.secs'), taskTimeoutMs: ms('nimbus.task.timeout.secs'),
      supervisorTimeoutMs: ms('nimbus.supervisor.timeout.secs'), maxPackageBytes: v('nimbus.max.package.bytes'),
      inboxExpirationMs: ms('nimbus.inbox.jar.expiration.secs'), cleanupInboxFreqMs: ms('nimbus.cleanup.inbox.freq.secs'),
    },
    supervisor: {
      id, host, advertisedHost, slotPorts: v('supervisor.slots.ports'),
      workerTimeoutMs: ms('supervisor.worker.timeout.secs'), workerStartTimeoutMs: ms('supervisor.worker.start.timeout.secs'),
      monitorFrequencyMs: ms('supervisor.monitor.frequency.secs'), heartbeatFrequencyMs: ms('supervisor.heartbeat.frequency.secs'),
    },
    worker: { heartbeatFrequencyMs: ms('worker.heartbeat.frequency.secs') },
    authToken: v<Secret | null>('transport.auth.token') ?? undefined,
    topologyDefaults: Object.fromEntries([...values].filter(([k]) => k.startsWith('topology.')).map(([k, e]) => [k, e.value])),
  });
}

/** "host:port" for each entry; entries without a port get `port`. */
function addresses(entries: readonly string[], port: number): string[] {
  return entries.map((e) => {
    const hp = parseHostPort(e)!; // checked when loading
    return formatHostPort(hp.host, hp.port ?? port);
  });
}

/**
 * A supervisor id that survives restarts (same host, same local dir) and differs between two
 * supervisors on one machine (different local dirs), as Storm keeps its id in the local dir.
 */
export function deriveSupervisorId(host: string, localDir: string): string {
  const hash = createHash('sha256').update(localDir).digest('hex').slice(0, 8);
  const safeHost = host.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/\.\.+/g, '.').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
  return `${safeHost || 'supervisor'}-${hash}`;
}

/** Freezes plain objects and arrays all the way down; class instances (Secret) are left alone. */
function deepFreeze<T>(o: T): T {
  if (Array.isArray(o) || (typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype)) {
    for (const child of Object.values(o as object)) deepFreeze(child);
    Object.freeze(o);
  }
  return o;
}
