/**
 * Topology config keys Squall understands: Storm's names and Storm's defaults
 * (conf/defaults.yaml), one declarative table checked by validateConfig().
 */
import { closest } from '../common/suggest.js';
import { textOf } from '../common/text.js';

export type ConfigType = 'int' | 'number' | 'boolean' | 'string' | 'map' | 'list';

export interface ConfigKeySpec {
  type: ConfigType;
  /** Storm's default; null means "unset" as in Storm. */
  default: unknown;
  nullable?: boolean;
  min?: number;
  doc: string;
}

export const MULTILANG_SERIALIZERS = ['json', 'msgpack', 'ndjson'] as const;

export const CONFIG_KEYS: Readonly<Record<string, ConfigKeySpec>> = {
  'topology.workers': { type: 'int', default: 1, min: 1, doc: 'worker processes for the topology' },
  'topology.acker.executors': { type: 'int', default: null, nullable: true, min: 0, doc: 'acker executors; null = one per worker, 0 = at-most-once' },
  'topology.message.timeout.secs': { type: 'int', default: 30, min: 1, doc: 'seconds before an incomplete tuple tree fails' },
  'topology.enable.message.timeouts': { type: 'boolean', default: true, doc: 'false: tuple trees never time out' },
  'topology.max.spout.pending': { type: 'int', default: null, nullable: true, min: 1, doc: 'in-flight tuple trees per spout task; null = unlimited' },
  'topology.tick.tuple.freq.secs': { type: 'number', default: null, nullable: true, min: 0.001, doc: 'period of tick tuples sent to bolts' },
  'topology.debug': { type: 'boolean', default: false, doc: 'log every emitted tuple' },
  'topology.executor.receive.buffer.size': { type: 'int', default: 32768, min: 1, doc: 'capacity of each executor input queue' },
  'topology.transfer.buffer.size': { type: 'int', default: 1000, min: 1, doc: 'capacity of the worker transfer queue' },
  'topology.tasks': { type: 'int', default: null, nullable: true, min: 1, doc: 'tasks per component (usually set per component as numTasks)' },
  'topology.max.task.parallelism': { type: 'int', default: null, nullable: true, min: 1, doc: 'cap on executors per component' },
  'topology.subprocess.timeout.secs': { type: 'int', default: null, nullable: true, min: 1, doc: 'multilang heartbeat timeout; null = supervisor.worker.timeout.secs (30)' },
  'topology.shellbolt.max.pending': { type: 'int', default: 100, min: 1, doc: 'tuples in flight to a multilang bolt subprocess' },
  'topology.multilang.serializer': { type: 'string', default: 'json', doc: 'multilang wire format: json, msgpack or ndjson' },
  'topology.environment': { type: 'map', default: null, nullable: true, doc: 'environment variables for component subprocesses' },
  'topology.stats.sample.rate': { type: 'number', default: 0.05, min: 0, doc: 'fraction of tuples whose latency is measured' },
  'topology.name': { type: 'string', default: null, nullable: true, doc: 'set by Squall to the topology name' },
  'squall.grpc.max.message.bytes': { type: 'int', default: 16 * 1024 * 1024, min: 1024, doc: 'largest gRPC message either side of a grpc component stream may send; batches are split under it' },
  'squall.grpc.connect.timeout.secs': { type: 'int', default: 30, min: 1, doc: 'how long a launched grpc component may take to accept connections' },
  'squall.grpc.keepalive.secs': { type: 'int', default: 10, min: 1, doc: 'grpc components: the host pings each component connection this often and drops it when a ping is not answered within half of it, so a frozen or unreachable component is noticed within 1.5x this even while its stream is idle; servers that police pings (gRPC C-core, e.g. the Python SDK, allows one per 5 s) may refuse shorter intervals' },
  'supervisor.worker.timeout.secs': { type: 'int', default: 30, min: 1, doc: 'worker heartbeat timeout (also the multilang default)' },
};

/**
 * Storm keys that are valid but have no effect in Squall (JVM, Kryo, resource-aware
 * scheduling...). Accepted silently so Storm topologies load unchanged.
 */
const STORM_KEYS_WITHOUT_EFFECT: readonly string[] = [
  'topology.worker.childopts', 'topology.worker.gc.childopts', 'topology.worker.logwriter.childopts',
  'topology.kryo.register', 'topology.kryo.decorators', 'topology.kryo.factory',
  'topology.skip.missing.kryo.registrations', 'topology.fall.back.on.java.serialization',
  'topology.testing.always.try.serialize', 'topology.eventlogger.executors',
  'topology.component.resources.onheap.memory.mb', 'topology.component.resources.offheap.memory.mb',
  'topology.component.cpu.pcore.percent', 'topology.worker.max.heap.size.mb', 'topology.priority',
  'topology.scheduler.strategy', 'topology.spout.wait.strategy', 'topology.backpressure.wait.strategy',
  'topology.backpressure.check.millis', 'topology.producer.batch.size', 'topology.transfer.batch.size',
  'topology.batch.flush.interval.millis', 'topology.bolts.outgoing.overflow.buffer.enable',
  'topology.disable.loadaware.messaging', 'topology.state.checkpoint.interval.ms',
  'topology.metrics.consumer.register', 'topology.builtin.metrics.bucket.size.secs',
  'topology.enable.v2.metrics.tick', 'topology.v2.metrics.tick.interval.seconds',
  'topology.error.throttle.interval.secs', 'topology.max.error.report.per.interval',
  'topology.sleep.spout.wait.strategy.time.ms', 'topology.trident.batch.emit.interval.millis',
  'topology.classpath', 'topology.classpath.beginning', 'topology.blobstore.map',
  'topology.auto-credentials', 'topology.submitter.principal', 'topology.submitter.user',
  'topology.users', 'topology.groups', 'topology.version', 'topology.localityaware.higher.bound',
  'topology.localityaware.lower.bound', 'topology.ras.one.executor.per.worker',
  'topology.ras.one.component.per.worker', 'topology.ras.constraints', 'topology.spread.components',
  'topology.isolate.machines', 'topology.shellbolt.max.pending.backlog',
  'topology.executor.overflow.limit', 'topology.ras.acker.executors.per.worker',
];

export interface ConfigIssue {
  key: string;
  message: string;
  hint?: string;
  /** Warnings do not stop a topology from running. */
  severity: 'error' | 'warning';
}

/** Values for every known key, defaults filled in. */
export type ResolvedConfig = Record<string, unknown>;

export function defaultConfig(): ResolvedConfig {
  const out: ResolvedConfig = {};
  for (const [k, s] of Object.entries(CONFIG_KEYS)) out[k] = s.default;
  return out;
}

/**
 * Checks types and ranges of known keys. An unknown key in Storm's namespaces that is close
 * to a known one is an error (a typo that would silently do nothing); other unknown keys in
 * those namespaces are warnings; keys outside them are user config and pass untouched.
 */
export function validateConfig(config: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(config)) {
    const spec = CONFIG_KEYS[key];
    if (spec) {
      const problem = checkValue(spec, value);
      if (problem) issues.push({ key, message: `config "${key}" ${problem}`, hint: spec.doc, severity: 'error' });
      else if (key === 'topology.multilang.serializer') {
        const s = normalizeSerializer(String(value));
        if (!s) issues.push({ key, message: `config "${key}" is "${String(value)}", not a known serializer`, hint: `use one of ${MULTILANG_SERIALIZERS.join(', ')}`, severity: 'error' });
      }
      continue;
    }
    if (!/^(topology|storm|supervisor|nimbus|worker)\./.test(key)) continue;
    if (STORM_KEYS_WITHOUT_EFFECT.includes(key)) continue;
    const near = closest(key, Object.keys(CONFIG_KEYS));
    if (near) issues.push({ key, message: `unknown config key "${key}" (did you mean "${near}"?)`, hint: `"${near}": ${CONFIG_KEYS[near]!.doc}`, severity: 'error' });
    else issues.push({ key, message: `config key "${key}" is not used by Squall`, severity: 'warning' });
  }
  return issues;
}

/** Maps json | msgpack | ndjson and Storm/pystorm serializer class names to our names. */
export function normalizeSerializer(value: string): (typeof MULTILANG_SERIALIZERS)[number] | undefined {
  const v = value.toLowerCase();
  if (v === 'json' || v.endsWith('.jsonserializer')) return 'json';
  if (v === 'msgpack' || v.endsWith('msgpackserializer') || v.endsWith('messagepackserializer')) return 'msgpack';
  if (v === 'ndjson') return 'ndjson';
  return undefined;
}

function checkValue(spec: ConfigKeySpec, value: unknown): string | undefined {
  if (value === null || value === undefined) return spec.nullable ? undefined : `must be set (got null)`;
  switch (spec.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer (got ${describe(value)})`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number (got ${describe(value)})`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `must be true or false (got ${describe(value)})`;
      return undefined;
    case 'string':
      if (typeof value !== 'string') return `must be a string (got ${describe(value)})`;
      return undefined;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return `must be a map (got ${describe(value)})`;
      return undefined;
    case 'list':
      if (!Array.isArray(value)) return `must be a list (got ${describe(value)})`;
      return undefined;
  }
  if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min} (got ${String(value)})`;
  return undefined;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string "${value}"`;
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${textOf(value)}`;
}
