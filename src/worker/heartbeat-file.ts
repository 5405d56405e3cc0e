/**
 * The worker → supervisor heartbeat (docs/CLUSTER.md worker step 5): `heartbeat.json` in the
 * worker directory, replaced atomically (write a temporary file, then rename) so the
 * supervisor never reads half of one. Storm's LSWorkerHeartbeat, as a file.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentStats } from '../runtime/stats.js';

/** The file's name inside the worker directory. */
export const HEARTBEAT_FILE = 'heartbeat.json';

/** What a heartbeat says. */
export interface WorkerHeartbeat {
  workerId: string;
  topologyId: string;
  port: number;
  pid: number;
  /** When it was written, epoch ms. */
  timeMs: number;
  /** The tasks this worker runs, ascending. */
  tasks: number[];
  /** Cumulative counters per component of this worker. */
  stats: ComponentStats[];
}

/** Replaces `<dir>/heartbeat.json` atomically. */
export async function writeHeartbeatFile(dir: string, hb: WorkerHeartbeat): Promise<void> {
  const file = join(dir, HEARTBEAT_FILE);
  const tmp = `${file}.tmp-${hb.pid}`;
  await writeFile(tmp, JSON.stringify(hb), { mode: 0o600 });
  await rename(tmp, file);
}
