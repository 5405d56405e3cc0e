/**
 * The daemon (cluster) config keys: one declarative table, key → kind, default, range, doc,
 * the TS counterpart of Storm's Config.java annotations. Storm's key names and defaults
 * (conf/defaults.yaml) wherever Storm has the concept; where Squall differs, `storm` says how.
 */

/**
 * How a value is checked and normalised:
 * - `hosts`: non-empty list of "host" or "host:port" strings
 * - `host`: a host name or IP address (a bind or advertised address)
 * - `port` / `ports`: TCP port(s) 1–65535 (`min: 0` allows 0 = any free port)
 * - `int`: integer in [min, max]; `ms` and `bytes` are ints with a unit in the doc
 * - `secs`: seconds, fractions allowed (Storm takes integers; fractions let tests run fast)
 * - `zk-path`: absolute znode path; `path`: a file system path; `name`: a path-safe id
 * - `secret`: a string kept in a {@link Secret}, never printed
 */
export type ClusterKeyKind = 'hosts' | 'host' | 'port' | 'ports' | 'int' | 'ms' | 'bytes' | 'secs' | 'zk-path' | 'path' | 'name' | 'secret';

/** One row of the table. */
export interface ClusterKeySpec {
  kind: ClusterKeyKind;
  /** null means "unset", as in Storm (only with `nullable`). */
  default: unknown;
  nullable?: boolean;
  min?: number;
  max?: number;
  doc: string;
  /** How Squall differs from Storm for this key, when it does. */
  storm?: string;
}

const MIB = 1024 * 1024;

/** Every daemon key Squall reads. topology.* keys may appear too: see CONFIG_KEYS (topology). */
export const CLUSTER_CONFIG_KEYS: Readonly<Record<string, ClusterKeySpec>> = {
  'storm.zookeeper.servers': { kind: 'hosts', default: ['localhost'], doc: 'ZooKeeper hosts; each with storm.zookeeper.port unless written host:port', storm: 'host:port entries are a Squall extension' },
  'storm.zookeeper.port': { kind: 'port', default: 2181, doc: 'ZooKeeper client port' },
  'storm.zookeeper.root': { kind: 'zk-path', default: '/squall', doc: 'znode under which all cluster state lives', storm: 'Storm\'s default is /storm; Squall\'s differs so both can share one ensemble' },
  'storm.zookeeper.session.timeout': { kind: 'ms', default: 20_000, min: 100, max: 3_600_000, doc: 'ZooKeeper session timeout in ms: how long a dead daemon\'s ephemeral nodes linger' },
  'storm.zookeeper.connection.timeout': { kind: 'ms', default: 15_000, min: 100, max: 3_600_000, doc: 'how long to wait for the first ZooKeeper connection, in ms' },
  'storm.local.dir': { kind: 'path', default: './squall-local', doc: 'local state of the daemons (packages, worker dirs); relative to the working directory', storm: 'Storm\'s is storm-local under STORM_HOME' },
  'nimbus.seeds': { kind: 'hosts', default: ['localhost'], doc: 'Nimbus hosts clients and supervisors try; each with nimbus.grpc.port unless written host:port', storm: 'host:port entries are a Squall extension' },
  'nimbus.host': { kind: 'host', default: '127.0.0.1', doc: 'address Nimbus binds; loopback by default, 0.0.0.0 or a NIC address for a multi-machine cluster', storm: 'in Storm < 1.0 this named the Nimbus host for clients; nimbus.seeds does that now' },
  'nimbus.grpc.port': { kind: 'port', default: 6627, min: 0, doc: 'Nimbus API port (gRPC); 0 picks a free port', storm: 'Storm\'s nimbus.thrift.port, same number' },
  'nimbus.monitor.freq.secs': { kind: 'secs', default: 10, doc: 'period of Nimbus\'s check for dead workers and supervisors, in seconds' },
  'nimbus.task.timeout.secs': { kind: 'secs', default: 30, doc: 'Nimbus reassigns executors whose worker has not heartbeated for this long' },
  'nimbus.supervisor.timeout.secs': { kind: 'secs', default: 60, doc: 'Nimbus drops a supervisor that has not heartbeated for this long' },
  'nimbus.inbox.jar.expiration.secs': { kind: 'secs', default: 3600, doc: 'Nimbus deletes an uploaded package that no submit has used for this long (and no topology uses)', storm: 'Storm\'s inbox holds uploaded jars; Squall\'s holds uploaded topology packages' },
  'nimbus.cleanup.inbox.freq.secs': { kind: 'secs', default: 600, doc: 'how often Nimbus looks for uploaded packages past nimbus.inbox.jar.expiration.secs' },
  'nimbus.max.package.bytes': { kind: 'bytes', default: 256 * MIB, min: 1024, doc: 'largest topology package Nimbus accepts, in bytes (256 MiB)', storm: 'Storm bounds uploads by nimbus.thrift.max_buffer_size and blobstore settings' },
  'supervisor.slots.ports': { kind: 'ports', default: [6700, 6701, 6702, 6703], doc: 'one worker slot per port on this supervisor' },
  'supervisor.host': { kind: 'host', default: '127.0.0.1', doc: 'address the supervisor and its workers bind' },
  'supervisor.advertised.host': { kind: 'host', default: null, nullable: true, doc: 'address other machines use to reach this supervisor\'s workers; default supervisor.host', storm: 'Storm\'s storm.local.hostname' },
  'supervisor.id': { kind: 'name', default: null, nullable: true, doc: 'stable supervisor id; default derived from the advertised host and storm.local.dir' },
  'supervisor.worker.timeout.secs': { kind: 'secs', default: 30, doc: 'the supervisor restarts a worker that has not heartbeated for this long' },
  'supervisor.worker.start.timeout.secs': { kind: 'secs', default: 120, doc: 'grace period for a new worker\'s first heartbeat' },
  'supervisor.monitor.frequency.secs': { kind: 'secs', default: 3, doc: 'period of the supervisor\'s check of its workers' },
  'supervisor.heartbeat.frequency.secs': { kind: 'secs', default: 5, doc: 'period of the supervisor\'s heartbeat to the cluster' },
  'worker.heartbeat.frequency.secs': { kind: 'secs', default: 1, doc: 'period of each worker\'s heartbeat' },
  'transport.auth.token': { kind: 'secret', default: null, nullable: true, min: 16, doc: 'shared secret daemons and workers present to each other (at least 16 characters); never logged', storm: 'Storm authenticates daemons with SASL/Kerberos instead' },
};

/**
 * Storm daemon keys Squall has no use for (JVM options, other daemons, Curator retries...).
 * Accepted with a warning so a storm.yaml can be reused; a prefix ends with ".".
 */
export const STORM_DAEMON_KEYS_WITHOUT_EFFECT: readonly string[] = [
  'storm.zookeeper.retry.times', 'storm.zookeeper.retry.interval', 'storm.zookeeper.retry.intervalceiling.millis',
  'storm.zookeeper.auth.scheme', 'storm.zookeeper.auth.payload', 'storm.zookeeper.superACL',
  'storm.cluster.mode', 'storm.log.dir', 'storm.home', 'storm.messaging.transport', 'storm.messaging.netty.',
  'storm.scheduler', 'storm.cluster.state.store', 'storm.health.check.dir', 'java.library.path',
  'nimbus.childopts', 'supervisor.childopts', 'worker.childopts', 'worker.gc.childopts', 'worker.heap.memory.mb',
  'nimbus.thrift.max_buffer_size', 'nimbus.thrift.threads', 'nimbus.code.sync.freq.secs',
  'nimbus.task.launch.secs', 'nimbus.blobstore.class',
  'supervisor.thrift.port', 'supervisor.blobstore.class', 'supervisor.memory.capacity.mb', 'supervisor.cpu.capacity',
  'supervisor.run.worker.as.user', 'ui.', 'logviewer.', 'drpc.', 'pacemaker.', 'dev.zookeeper.path',
];

/** Storm keys whose concept Squall has under another name: an error that names the new key. */
export const RENAMED_STORM_KEYS: Readonly<Record<string, string>> = {
  'nimbus.thrift.port': 'nimbus.grpc.port',
  'storm.local.hostname': 'supervisor.advertised.host',
};

/** Whether `key` is in STORM_DAEMON_KEYS_WITHOUT_EFFECT (exactly or under a listed prefix). */
export function isStormKeyWithoutEffect(key: string): boolean {
  return STORM_DAEMON_KEYS_WITHOUT_EFFECT.some((k) => (k.endsWith('.') ? key.startsWith(k) : key === k));
}

/** The environment variable for a key: dots and dashes become "_", upper-cased, prefixed SQUALL_. */
export function envNameOf(key: string): string {
  return `SQUALL_${key.replace(/[.-]/g, '_').toUpperCase()}`;
}
