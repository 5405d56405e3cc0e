/**
 * What nimbus knows about each topology's shape: its components, their fixed tasks and
 * executors, and its effective config. It comes from the package (extracted to a temp dir with
 * `safeExtract`, loaded with `loadTopologyFile` and the record's overrides — exactly what each
 * worker does, so nimbus and workers compile the same plan) and is cached per topology id.
 *
 * The scheduler needs it (tasks per component); a new leader rebuilds it from the packages it
 * holds, so ZooKeeper need not store the task layout.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { formatIssue, SquallError, TopologyValidationError, UsageError, type ValidationIssue } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { TopologyRecord } from '../coordination/records.js';
import { loadTopologyFile } from '../local/load-topology.js';
import { safeExtract } from '../packages/safe-extract.js';
import { validateConfig } from '../topology/config-schema.js';
import type { TopologyPlan } from '../topology/plan.js';
import { demandFromPlan, type TopologyDemand } from './demand.js';
import { PackageNotFoundError, type PackageStore } from './package-store.js';
import { DEFAULT_WAIT_SECS } from './topology-status.js';

/** One component as nimbus reports and schedules it. */
export interface ComponentShape {
  id: string;
  kind: 'spout' | 'bolt' | 'acker';
  tasks: readonly number[];
  /** Executors as submitted (before any rebalance). */
  executors: number;
}

/** A topology's shape, from its compiled plan. */
export interface TopologyShape {
  components: readonly ComponentShape[];
  /** The effective topology config (defaults < file < overrides). */
  config: Readonly<Record<string, unknown>>;
  /** topology.message.timeout.secs: the default kill and rebalance wait. */
  messageTimeoutSecs: number;
  /** The demand as submitted (numWorkers from topology.workers, no executor overrides). */
  demand: TopologyDemand;
}

/**
 * Thrown when a submitted topology does not validate; the message lists every problem as
 * `file:line:column: error: …` (it is all a remote client sees). Code `E_TOPOLOGY_INVALID`.
 */
export class SubmitValidationError extends SquallError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], file: string) {
    const n = issues.length;
    super('E_TOPOLOGY_INVALID', `${n} problem${n === 1 ? '' : 's'} in topology ${file}:\n${issues.map(formatIssue).join('\n')}`, {
      hint: 'fix the problems listed, package the topology again and resubmit',
    });
    this.issues = issues;
  }
}

/** Loads and caches topology shapes. */
export class TopologyCatalog {
  private readonly cache = new Map<string, { key: string; shape: TopologyShape }>();

  constructor(
    private readonly packages: PackageStore,
    private readonly logger: Logger,
    /** Fills Flux `${ENV-NAME}` placeholders. */
    private readonly env: Readonly<Record<string, string | undefined>> = {},
  ) {}

  /**
   * Extracts the package, loads and validates the topology file with the overrides.
   * @throws {SubmitValidationError} listing the file's problems
   * @throws {UsageError} for a bad topology file path or bad overrides
   * @throws {PackageNotFoundError} / {PackageRejectedError} for the package
   */
  async load(packageId: string, topologyFile: string, overrides: Record<string, unknown>): Promise<TopologyShape> {
    const file = checkTopologyFile(topologyFile);
    checkOverrides(overrides);
    const source = this.packages.path(packageId);
    if (!(await this.packages.has(packageId))) throw new PackageNotFoundError(packageId);
    const dir = await mkdtemp(join(this.packages.tmpDir, 'load-'));
    try {
      const root = join(dir, 'package');
      await safeExtract(source, root);
      const path = join(root, file);
      if (!(await stat(path).catch(() => undefined))?.isFile()) {
        throw new UsageError(`the package has no topology file ${JSON.stringify(topologyFile)}`, { hint: 'name the topology file by its path inside the package, e.g. topology.yaml' });
      }
      return shapeOf((await loadOrExplain(path, root, overrides, this.env)).plan);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Remembers a shape (after submit) so the scheduler need not load it again. */
  put(record: TopologyRecord, shape: TopologyShape): void {
    this.cache.set(record.id, { key: cacheKey(record), shape });
  }

  /** The cached shape, if any (no I/O). */
  peek(record: TopologyRecord): TopologyShape | undefined {
    const hit = this.cache.get(record.id);
    return hit?.key === cacheKey(record) ? hit.shape : undefined;
  }

  /** The shape of a recorded topology: cached, or loaded from the local package; undefined when the package is not here. */
  async get(record: TopologyRecord): Promise<TopologyShape | undefined> {
    const cached = this.peek(record);
    if (cached) return cached;
    if (!(await this.packages.has(record.packageId))) return undefined;
    try {
      const shape = await this.load(record.packageId, record.topologyFile, record.configOverrides);
      this.put(record, shape);
      return shape;
    } catch (err) {
      this.logger.error('cannot load a recorded topology from its package', { topologyId: record.id, err });
      return undefined;
    }
  }

  forget(topologyId: string): void {
    this.cache.delete(topologyId);
  }

  /** Drops cached shapes of topologies no longer recorded. */
  retain(topologyIds: ReadonlySet<string>): void {
    for (const id of this.cache.keys()) if (!topologyIds.has(id)) this.cache.delete(id);
  }
}

/** The scheduler's demand for a recorded topology: its shape with the record's counts. */
export function demandOf(record: TopologyRecord, shape: TopologyShape): TopologyDemand {
  return { ...shape.demand, id: record.id, numWorkers: record.numWorkers, executorOverrides: { ...record.componentExecutors } };
}

function cacheKey(r: TopologyRecord): string {
  return JSON.stringify([r.packageId, r.topologyFile, r.configOverrides]);
}

function shapeOf(plan: TopologyPlan): TopologyShape {
  const components = [...plan.components.values()].map((c) => ({ id: c.id, kind: c.kind, tasks: c.tasks, executors: c.executors.length }));
  const timeout = plan.config['topology.message.timeout.secs'];
  return {
    components,
    config: plan.config,
    messageTimeoutSecs: typeof timeout === 'number' && timeout >= 0 ? timeout : DEFAULT_WAIT_SECS,
    demand: demandFromPlan(plan.name, plan),
  };
}

/** loadTopologyFile, with issue paths shown relative to the package root (not the temp dir). */
async function loadOrExplain(
  path: string, root: string, overrides: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>,
): Promise<{ plan: TopologyPlan }> {
  try {
    return await loadTopologyFile(path, overrides, env);
  } catch (err) {
    if (!(err instanceof TopologyValidationError)) throw err;
    const shown = err.issues.map((i) => ({ ...i, file: insidePackage(i.file, root) }));
    throw new SubmitValidationError(shown, insidePackage(path, root));
  }
}

function insidePackage(file: string, root: string): string {
  const rel = relative(root, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

/** A relative path that stays inside the package. @throws {UsageError} */
function checkTopologyFile(file: string): string {
  const bad = typeof file !== 'string' || file === '' || file.includes('\0') || file.includes('\\') || isAbsolute(file);
  const norm = bad ? '' : normalize(file);
  if (bad || norm === '.' || norm.startsWith('..') || norm.split(sep).includes('..')) {
    throw new UsageError(`invalid topology file ${JSON.stringify(String(file).slice(0, 200))}: give a relative path inside the package`, {
      hint: 'e.g. topology.yaml or topologies/wordcount.yaml',
    });
  }
  return norm;
}

/** Submit-time overrides must pass the topology config schema, as `-c` flags do locally. */
function checkOverrides(overrides: Record<string, unknown>): void {
  const errors = validateConfig(overrides).filter((i) => i.severity === 'error');
  if (errors.length === 0) return;
  throw new UsageError(`invalid config override${errors.length === 1 ? '' : 's'}:\n${errors.map((e) => `  ${e.message}${e.hint ? ` (${e.hint})` : ''}`).join('\n')}`);
}
