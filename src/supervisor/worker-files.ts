/**
 * The supervisor's local directory (docs/CLUSTER.md "What lives where"):
 * ```
 * <storm.local.dir>/supervisor/
 *   packages/<packageId>/          extracted packages
 *   workers/<worker id>/           worker.json, heartbeat.json, worker.log, runs/ (component pid files)
 * ```
 * and the two JSON files of a worker directory. heartbeat.json is written by the worker
 * process; its format is the contract, read here without importing the worker role.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { sweepRun } from '../hosts/shell/pid-dirs.js';

/** Paths under `<storm.local.dir>/supervisor`. */
export class SupervisorDirs {
  readonly root: string;
  readonly packages: string;
  readonly workers: string;

  constructor(localDir: string) {
    this.root = join(localDir, 'supervisor');
    this.packages = join(this.root, 'packages');
    this.workers = join(this.root, 'workers');
  }

  /** Where a package is extracted. */
  packageDir(packageId: string): string {
    return join(this.packages, packageId);
  }

  /** A worker's directory. */
  workerDir(workerId: string): string {
    return join(this.workers, workerId);
  }

  /** Creates the directories (worker directories private: logs may hold anything). */
  async create(): Promise<void> {
    await mkdir(this.packages, { recursive: true, mode: 0o755 });
    await mkdir(this.workers, { recursive: true, mode: 0o700 });
  }
}

/** worker.json: what a worker was started with. */
export interface WorkerRecord {
  workerId: string;
  topologyId: string;
  port: number;
  packageId: string;
  /** Absent only between creating the directory and the spawn. */
  pid?: number;
  startedAtMs: number;
}

/** heartbeat.json as the worker writes it (docs/CLUSTER.md, worker step 5). */
export interface HeartbeatFile {
  workerId: string;
  topologyId: string;
  port: number;
  pid: number;
  timeMs: number;
  tasks: number[];
  /** The worker's ComponentStats (src/runtime/stats.ts), one per component it runs. */
  stats: HeartbeatStats[];
}

/** The fields of a worker's ComponentStats the supervisor reports. */
export interface HeartbeatStats {
  componentId: string;
  kind: string;
  emitted: number;
  transferred: number;
  executed: number;
  acked: number;
  failed: number;
  completeLatencyMs: number | null;
  errors: number;
}

/** Written by the supervisor when it starts a worker. */
export const WORKER_FILE = 'worker.json';
/** Written by the worker every heartbeat interval. */
export const HEARTBEAT_FILE = 'heartbeat.json';
/** The worker's stdout and stderr, appended across restarts in place. */
export const WORKER_LOG = 'worker.log';

/** Writes worker.json atomically (write, then rename), so a reader never sees half of it. */
export async function writeWorkerRecord(dir: string, record: WorkerRecord): Promise<void> {
  const file = join(dir, WORKER_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** worker.json, or undefined when missing or unreadable. */
export async function readWorkerRecord(dir: string): Promise<WorkerRecord | undefined> {
  const o = await readJson(join(dir, WORKER_FILE));
  if (!o || !isStr(o.workerId) || !isStr(o.topologyId) || !isStr(o.packageId) || !isInt(o.port) || !isNum(o.startedAtMs)) return undefined;
  if (o.pid !== undefined && !isInt(o.pid)) return undefined;
  return o as unknown as WorkerRecord;
}

/** heartbeat.json, or undefined when missing, partial or malformed. */
export async function readHeartbeat(dir: string): Promise<HeartbeatFile | undefined> {
  const o = await readJson(join(dir, HEARTBEAT_FILE));
  if (!o || !isStr(o.workerId) || !isInt(o.pid) || !isNum(o.timeMs) || !isInt(o.port)) return undefined;
  const tasks = Array.isArray(o.tasks) ? o.tasks.filter(isInt) : [];
  const stats = Array.isArray(o.stats) ? o.stats.filter(isStats).map(normalizeStats) : [];
  return { workerId: o.workerId, topologyId: isStr(o.topologyId) ? o.topologyId : '', port: o.port, pid: o.pid, timeMs: o.timeMs, tasks, stats };
}

/** Names of the worker directories present. */
export async function listWorkerDirs(dirs: SupervisorDirs): Promise<string[]> {
  try {
    return (await readdir(dirs.workers, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/**
 * Cleans up after a worker that is gone: kills component processes it left behind (shell
 * components run in their own process groups, so killing the worker's group misses them),
 * then removes the directory — or, when the worker restarts in place, everything but worker.log.
 */
export async function cleanupWorkerDir(dir: string, keepLog: boolean, logger: Logger): Promise<void> {
  await sweepComponentRuns(join(dir, 'runs'), logger);
  if (!keepLog) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) if (name !== WORKER_LOG) await rm(join(dir, name), { recursive: true, force: true });
}

async function sweepComponentRuns(runsDir: string, logger: Logger): Promise<void> {
  let runs: string[];
  try {
    runs = await readdir(runsDir);
  } catch {
    return;
  }
  for (const runId of runs) await sweepRun(join(runsDir, runId), runId, logger);
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function isStats(v: unknown): v is Record<string, unknown> & { componentId: string } {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isStr(s.componentId) && isNum(s.emitted) && isNum(s.transferred) && isNum(s.executed) && isNum(s.acked) && isNum(s.failed);
}

function normalizeStats(s: Record<string, unknown> & { componentId: string }): HeartbeatStats {
  const n = (k: string): number => (isNum(s[k]) ? s[k] : 0);
  return {
    componentId: s.componentId, kind: isStr(s.kind) ? s.kind : 'bolt',
    emitted: n('emitted'), transferred: n('transferred'), executed: n('executed'), acked: n('acked'), failed: n('failed'),
    completeLatencyMs: isNum(s.completeLatencyMs) ? s.completeLatencyMs : null, errors: n('errors'),
  };
}
