/**
 * Creating "my" ephemeral node when a node of that name may already exist (TEST-PLANS A5
 * rule 6). ZooKeeper deletes an expired session's ephemerals some time after the expiry, and
 * a restarted server even revives sessions from its log, so a NodeExists is often a leftover.
 * The node's ephemeralOwner decides:
 * - the current session: it is already ours (e.g. an earlier ambiguous attempt) → set data;
 * - a session the caller knows is stale (one of our expired sessions) → delete it at its
 *   version and create again;
 * - anyone else: another live session holds the name → wait (bounded) for it to go.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { BadVersionError, NodeExistsError, NoNodeError } from './errors.js';
import type { StateStore } from './state-store.js';

/** What a claim needs from the store (public operations on its current session). */
export type EphemeralOps = Pick<StateStore, 'create' | 'get' | 'delete' | 'set' | 'sessionId'>;

/** Options of claimEphemeral(). */
export interface ClaimOptions {
  clock: Clock;
  logger: Logger;
  /** How long to wait for a node held by another session to disappear. */
  waitMs: number;
  signal?: AbortSignal | undefined;
  /** Owner sessions whose nodes may be deleted. @default none */
  isStale?: (owner: string) => boolean;
  /** Passed to create(). @default true */
  recreateOnNewSession?: boolean;
}

const POLL_MS = 100;

/**
 * Creates an ephemeral node owned by the store's current session, resolving leftovers.
 * @throws NodeExistsError when another session still holds the node after `waitMs`
 */
export async function claimEphemeral(store: EphemeralOps, path: string, data: Uint8Array, opts: ClaimOptions): Promise<void> {
  const deadline = opts.clock.now() + opts.waitMs;
  let warned = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      await store.create(path, data, {
        mode: 'ephemeral', parents: true, recreateOnNewSession: opts.recreateOnNewSession ?? true, signal: opts.signal,
      });
      return;
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
    const node = await store.get(path, { signal: opts.signal });
    const owner = node?.ephemeralOwner;
    if (node && owner !== undefined && owner === store.sessionId) {
      await store.set(path, data, node.version, { signal: opts.signal });
      return;
    }
    if (node && owner !== undefined && opts.isStale?.(owner)) {
      opts.logger.info('deleting a stale ephemeral left by an expired session of ours', { path, owner });
      await store.delete(path, node.version, { signal: opts.signal }).catch((e: unknown) => {
        if (!(e instanceof NoNodeError) && !(e instanceof BadVersionError)) throw e;
      });
      continue;
    }
    if (node && opts.clock.now() >= deadline) {
      throw new NodeExistsError(`create ${path}: held by another session (${owner ?? 'persistent'}) for more than ${opts.waitMs} ms`, {
        path, hint: 'another process uses the same id, or a crashed one has not timed out yet',
      });
    }
    if (node && !warned) {
      opts.logger.warn('the node is held by another session; waiting for it to go', { path, owner });
      warned = true;
    }
    if (node) await opts.clock.sleep(POLL_MS, opts.signal);
  }
}
