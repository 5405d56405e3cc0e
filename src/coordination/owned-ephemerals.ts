/**
 * The ephemeral nodes a store created for its owner, remembered with their latest data so
 * that after a session expiry the store can put them back on the new session (TEST-PLANS A5
 * rule 3: recreate ephemerals, then callers rejoin elections and republish state). Leftovers
 * of our expired sessions are resolved by claimEphemeral() (A5 rule 6).
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { claimEphemeral, type EphemeralOps } from './ephemeral-claim.js';

/** The ephemerals a store recreates on a new session, with their latest data. */
export class OwnedEphemerals {
  private readonly nodes = new Map<string, Uint8Array>();
  private readonly pastSessions = new Set<string>();

  constructor(private readonly clock: Clock, private readonly logger: Logger) {}

  /** Paths currently owned (for tests and diagnostics). */
  paths(): string[] {
    return [...this.nodes.keys()];
  }

  remember(path: string, data: Uint8Array): void {
    this.nodes.set(path, data.slice());
  }

  /** Records new data for a path we own (after a successful set). */
  update(path: string, data: Uint8Array): void {
    if (this.nodes.has(path)) this.nodes.set(path, data.slice());
  }

  /** Forgets a path and everything under it. */
  forget(path: string): void {
    for (const p of this.nodes.keys()) if (p === path || p.startsWith(`${path}/`)) this.nodes.delete(p);
  }

  /** A session of ours ended: nodes it still owns are stale and may be deleted. */
  sessionEnded(sessionId: string | undefined): void {
    if (sessionId) this.pastSessions.add(sessionId);
  }

  /**
   * Recreates every owned node on the current session. Failures are logged, never thrown: a
   * node another session holds for longer than `conflictWaitMs` is reported and dropped.
   * @returns the paths that could not be recreated.
   */
  async recreateAll(store: EphemeralOps, conflictWaitMs: number, signal: AbortSignal): Promise<string[]> {
    const failed: string[] = [];
    for (const [path, data] of [...this.nodes]) {
      try {
        await claimEphemeral(store, path, data, {
          clock: this.clock, logger: this.logger, waitMs: conflictWaitMs, signal,
          isStale: (owner) => this.pastSessions.has(owner), recreateOnNewSession: false,
        });
        this.logger.info('recreated ephemeral node on the new session', { path });
      } catch (err) {
        if (signal.aborted) throw err;
        this.logger.error('could not recreate an ephemeral node after a new session', { path, err });
        this.nodes.delete(path);
        failed.push(path);
      }
    }
    return failed;
  }
}
