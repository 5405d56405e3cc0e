/**
 * Probing and signalling worker processes. Workers run in their own process groups (spawned
 * detached), so a signal to the group reaches anything the worker started in it.
 */
import { readFileSync } from 'node:fs';

/** How the supervisor sees and stops processes; injectable for unit tests. */
export interface ProcessControl {
  /**
   * Whether `pid` is a live process running the worker `workerId`: not gone, not a zombie, and
   * (where /proc exists) with the worker id on its command line, so a recycled pid is not
   * mistaken for our worker.
   */
  isWorker(pid: number, workerId: string): boolean;
  /**
   * Signals the process group led by `pid`; when there is no such group, the process alone
   * (unless `groupOnly`: then a dead worker's recycled pid is never hit). Never throws.
   */
  signalGroup(pid: number, signal: NodeJS.Signals, opts?: { groupOnly?: boolean }): void;
}

/** The real thing, for Linux and other POSIX systems. */
export const systemProcesses: ProcessControl = {
  isWorker(pid, workerId) {
    if (!Number.isSafeInteger(pid) || pid <= 1) return false;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    return procMatches(pid, workerId);
  },
  signalGroup(pid, signal, opts = {}) {
    if (!Number.isSafeInteger(pid) || pid <= 1) return;
    try {
      process.kill(-pid, signal);
    } catch {
      if (opts.groupOnly) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  },
};

/** /proc says: not a zombie and the command line names the worker. True when /proc is absent. */
function procMatches(pid: number, workerId: string): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // No /proc at all (not Linux): trust kill(0). A vanished entry: the process just exited.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && !hasProc();
  }
  // The state letter follows the command name, which is in parentheses and may contain ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(workerId);
  } catch {
    return false;
  }
}

let procPresent: boolean | undefined;
function hasProc(): boolean {
  if (procPresent === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procPresent = true;
    } catch {
      procPresent = false;
    }
  }
  return procPresent;
}
