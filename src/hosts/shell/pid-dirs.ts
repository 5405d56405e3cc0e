/**
 * Where multilang children write their pid files, and the sweep that kills children a crashed
 * Squall process left behind. Each run has a directory named after the Squall process id;
 * children carry SQUALL_RUN_ID in their environment so the sweep only ever kills our own.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { signalGroup } from './component-process.js';

export const RUN_ID_ENV = 'SQUALL_RUN_ID';

export function defaultRunsDir(): string {
  return join(tmpdir(), `squall-${userInfo().uid}`, 'runs');
}

export interface RunDir {
  path: string;
  runId: string;
}

/** Creates this process's run directory (after sweeping runs whose owner is gone). */
export async function createRunDir(runsDir: string, logger: Logger): Promise<RunDir> {
  await sweepStaleRuns(runsDir, logger);
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const path = join(runsDir, runId);
  await mkdir(path, { recursive: true, mode: 0o700 });
  return { path, runId };
}

/** Kills every child recorded in a run directory and removes it. */
export async function sweepRun(dir: string, runId: string, logger: Logger): Promise<number> {
  let killed = 0;
  for (const pid of await recordedPids(dir)) {
    if (await belongsToRun(pid, runId)) {
      signalGroup(pid, 'SIGKILL');
      killed++;
    }
  }
  if (killed > 0) logger.warn(`killed ${killed} leftover component process(es) of run ${runId}`);
  await rm(dir, { recursive: true, force: true });
  return killed;
}

async function sweepStaleRuns(runsDir: string, logger: Logger): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(runsDir);
  } catch {
    return;
  }
  for (const runId of entries) {
    const owner = Number(runId.split('-')[0]);
    if (Number.isInteger(owner) && owner !== process.pid && !isAlive(owner)) {
      await sweepRun(join(runsDir, runId), runId, logger);
    }
  }
}

/** Pid files live in per-task pid directories one level below the run directory. */
async function recordedPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  let tasks: string[];
  try {
    tasks = await readdir(dir);
  } catch {
    return pids;
  }
  for (const t of tasks) {
    try {
      for (const f of await readdir(join(dir, t))) if (/^\d+$/.test(f)) pids.push(Number(f));
    } catch {
      // not a directory
    }
  }
  return pids;
}

async function belongsToRun(pid: number, runId: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    return environ.split('\0').includes(`${RUN_ID_ENV}=${runId}`);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
