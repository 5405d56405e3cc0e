/**
 * What a (re)starting supervisor finds on disk: the worker directories a previous run left,
 * each with worker.json, maybe heartbeat.json and maybe a live process. slot.ts decides what
 * to do with the worker of each slot (adopt, clean up or kill); workers that belong to no slot
 * (a port no longer offered, a second worker for one port, a directory without worker.json)
 * are orphans and are reaped here.
 */
import type { Logger } from '../common/logger.js';
import type { ProcessControl } from './processes.js';
import type { RecoveredWorker } from './slot.js';
import {
  cleanupWorkerDir, listWorkerDirs, readHeartbeat, readWorkerRecord, type SupervisorDirs, type WorkerRecord,
} from './worker-files.js';

/** One worker directory as found. */
export interface FoundWorker {
  dirName: string;
  record: WorkerRecord | undefined;
  /** From worker.json, else from heartbeat.json (a supervisor may die before recording the pid). */
  pid: number | undefined;
  alive: boolean;
  heartbeatMs: number | undefined;
}

/** Reads every worker directory and probes its process. */
export async function scanWorkerDirs(dirs: SupervisorDirs, processes: ProcessControl): Promise<FoundWorker[]> {
  const out: FoundWorker[] = [];
  for (const dirName of await listWorkerDirs(dirs)) {
    const dir = dirs.workerDir(dirName);
    const record = await readWorkerRecord(dir);
    const hb = await readHeartbeat(dir);
    const pid = record?.pid ?? hb?.pid;
    const alive = pid !== undefined && processes.isWorker(pid, dirName);
    out.push({ dirName, record, pid, alive, heartbeatMs: hb !== undefined && hb.pid === pid ? hb.timeMs : undefined });
  }
  return out;
}

/** The worker found for each offered port, and the orphans. */
export function assignFound(found: readonly FoundWorker[], ports: readonly number[]): { byPort: Map<number, RecoveredWorker>; orphans: FoundWorker[] } {
  const byPort = new Map<number, RecoveredWorker>();
  const orphans: FoundWorker[] = [];
  // Live workers first, so a dead leftover never shadows the live worker of its port.
  for (const f of [...found].sort((a, b) => Number(b.alive) - Number(a.alive))) {
    const r = f.record;
    if (!r || f.pid === undefined || r.workerId !== f.dirName || !ports.includes(r.port) || byPort.has(r.port)) {
      orphans.push(f);
      continue;
    }
    byPort.set(r.port, {
      pid: f.pid, workerId: r.workerId, topologyId: r.topologyId, packageId: r.packageId,
      startedAtMs: r.startedAtMs, alive: f.alive, heartbeatMs: f.heartbeatMs,
    });
  }
  return { byPort, orphans };
}

/** Kills an orphan (its whole group) and removes its directory. */
export async function reapOrphan(f: FoundWorker, dirs: SupervisorDirs, processes: ProcessControl, logger: Logger): Promise<void> {
  if (f.alive && f.pid !== undefined) {
    logger.warn(`killing worker ${f.dirName}: it belongs to no slot of this supervisor`, { pid: f.pid });
    processes.signalGroup(f.pid, 'SIGKILL');
  }
  await cleanupWorkerDir(dirs.workerDir(f.dirName), false, logger);
}
