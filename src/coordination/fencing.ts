/**
 * Fenced writes: every leader-only mutation is one ZooKeeper multi that begins with
 *
 *   check(leader-info, leadership.fenceVersion)   — nobody has claimed leadership since us
 *   check(leadership.candidatePath)               — our election node (our session) still lives
 *
 * followed by the actual operations. ZooKeeper applies all or nothing, so a stale leader's
 * write — after a takeover, or after its session expired — is rejected by the server as a
 * whole, whatever the stale process believes. Compare-and-set on the written node alone would
 * not be enough: a stale leader holding a fresh version of that node would still win.
 */
import { CoordinationError, FencedError } from './errors.js';
import type { Leadership } from './leader-election.js';
import type { ClusterPaths } from './paths.js';
import type { MultiOp, MultiResult, OpOptions, StateStore } from './state-store.js';

/** Number of fence checks prepended to a fenced multi. */
export const FENCE_OPS = 2;

/** The checks that make a multi fenced on a leadership. */
export function fenceOps(paths: ClusterPaths, leadership: Leadership): MultiOp[] {
  return [
    { op: 'check', path: paths.leaderInfo, version: leadership.fenceVersion },
    { op: 'check', path: leadership.candidatePath },
  ];
}

/**
 * Applies `ops` only if `leadership` is still current. Errors of the ops themselves (e.g.
 * BadVersionError) pass through; their `opIndex` counts the FENCE_OPS checks.
 * @param onRejected called when the fence failed, so the election can step down at once
 * @throws FencedError when the leadership is over (locally known or rejected by the server)
 */
export async function fencedMulti(
  store: StateStore,
  paths: ClusterPaths,
  leadership: Leadership,
  ops: readonly MultiOp[],
  opts: OpOptions = {},
  onRejected?: (leadership: Leadership) => void,
): Promise<MultiResult[]> {
  if (leadership.signal.aborted) {
    throw new FencedError(`leader-only write refused: leadership of epoch ${leadership.epoch} has ended`, { path: ops[0]?.path });
  }
  try {
    const results = await store.multi([...fenceOps(paths, leadership), ...ops], opts);
    return results.slice(FENCE_OPS);
  } catch (err) {
    if (err instanceof CoordinationError && err.opIndex !== undefined && err.opIndex < FENCE_OPS) {
      onRejected?.(leadership);
      throw new FencedError(`leader-only write rejected: leadership of epoch ${leadership.epoch} is no longer current`, {
        path: ops[0]?.path, cause: err,
      });
    }
    throw err;
  }
}
