/**
 * Which extracted packages a supervisor may delete: a pure decision over its slots, so the rule
 * is tested without processes or files (package-cache.ts carries it out).
 *
 * A package directory is the working tree of every worker of its topologies on this machine
 * (their shell components run inside it), so it stays while any slot
 * - is assigned a topology that runs from it (even before the worker starts, or in backoff);
 * - waits for it, or is launching a worker from it;
 * - holds a worker started from it — starting, running, or being killed: a worker that ignores
 *   SIGTERM still runs from it, and so does a worker adopted after a supervisor restart;
 * and while a download of it is in progress. It goes once none of these holds: the topology
 * was killed or moved away and its last worker here has exited.
 */
import { PACKAGE_ID_PATTERN } from '../packages/package-file.js';
import { slotWorker, type SlotAssignment, type SlotState } from './slot.js';

/**
 * The package ids this supervisor needs now: from every slot's state, and from what the latest
 * assignments want (an assignment the slots have not stepped on yet still needs its package).
 */
export function packagesInUse(slots: Iterable<SlotState>, desired: Iterable<SlotAssignment> = []): Set<string> {
  const keep = new Set<string>();
  for (const a of desired) keep.add(a.packageId);
  for (const state of slots) {
    if (state.desired) keep.add(state.desired.packageId);
    const p = state.phase;
    if (p.kind === 'waiting-for-package' || p.kind === 'launching') keep.add(p.assignment.packageId);
    const w = slotWorker(state);
    if (w) keep.add(w.assignment.packageId);
  }
  return keep;
}

/** Whether one directory entry of `packages/` is an extracted package nobody needs. */
export function isRemovablePackage(name: string, inUse: ReadonlySet<string>, downloading: ReadonlySet<string>): boolean {
  // Anything else there is a download or extraction in progress (removed at start if left over).
  // An extracted package directory is named by its id.
  return PACKAGE_ID_PATTERN.test(name) && !inUse.has(name) && !downloading.has(name);
}

/** The entries of `packages/` to delete, sorted. Pure. */
export function packagesToRemove(entries: readonly string[], inUse: ReadonlySet<string>, downloading: ReadonlySet<string>): string[] {
  return entries.filter((name) => isRemovablePackage(name, inUse, downloading)).sort();
}
