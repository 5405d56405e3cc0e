/**
 * Runs a leader-only call. Leadership can end while the call runs (a fenced write rejected, the
 * session expired, another nimbus took over): the call then fails as E_NOT_LEADER naming the
 * new leader, like a call that reached a follower, so NimbusClient retries it there. This is
 * safe because a fenced write that failed wrote nothing.
 */
import { CoordinationError, FencedError } from '../../coordination/errors.js';
import { NotLeaderError } from '../../rpc/errors.js';
import { readLeaderAddress, type NimbusCore } from '../core.js';
import type { LeaderRuntime } from '../leader.js';

/** Calls `fn` with the leader machinery. @throws {NotLeaderError} when not (or no longer) leading */
export async function leaderCall<T>(core: NimbusCore, fn: (leader: LeaderRuntime) => Promise<T>): Promise<T> {
  const leader = await core.leader();
  try {
    return await fn(leader);
  } catch (err) {
    if (!lostLeadership(err, leader)) throw err;
    const address = await readLeaderAddress(core.cluster).catch(() => undefined);
    throw new NotLeaderError(address === core.address ? undefined : address, { cause: err });
  }
}

function lostLeadership(err: unknown, leader: LeaderRuntime): boolean {
  if (err instanceof FencedError) return true;
  // An operation cut short by the end of the leadership rejects with the signal's reason.
  const signal = leader.lead.signal;
  return signal.aborted && (err === signal.reason || (err instanceof CoordinationError && err.code === 'E_LEADERSHIP_LOST'));
}
