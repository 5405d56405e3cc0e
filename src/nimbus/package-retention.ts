/**
 * Which stored packages a nimbus deletes: a pure decision, so the rules are tested without
 * files, ZooKeeper or time (package-cleanup.ts runs it and carries it out).
 *
 * Storm keeps an uploaded jar in the nimbus inbox until `nimbus.inbox.jar.expiration.secs`
 * and a topology's blobs until the topology is removed. Squall's store is content-addressed
 * (one file per package id, shared by every topology submitted from the same bytes), so a
 * package is kept while either holds:
 * - a recorded topology uses it — any status: a KILLED topology waiting out its kill wait is
 *   still recorded, and its workers may still be downloading the package;
 * - the inbox protects it: an upload no submit has consumed yet, younger than the expiration.
 *   Between an upload and its submit the package is referenced by nothing else, and a kill of
 *   another topology from the same bytes must not delete it under the coming submit.
 * Anything else goes: the package of a removed topology (unless another one shares it), a
 * follower's copy of a topology that no longer exists, an upload never submitted (once expired).
 */

/** Uploads of one package that no submit has consumed yet. */
export interface InboxEntry {
  /** When the latest of them arrived (the nimbus clock). */
  uploadedAtMs: number;
  /** How many uploads are waiting for their submit (each successful submit consumes one). */
  pending: number;
}

/** The part of a topology record the decision reads. */
export interface RecordedTopology {
  id: string;
  packageId: string;
  /** Shown for clarity only: every status keeps its package. */
  status?: string;
}

/** What {@link planPackageRemoval} decides from. */
export interface RetentionInput {
  /** Package ids in the local store. */
  stored: readonly string[];
  /** Every recorded topology, whatever its status. */
  topologies: readonly RecordedTopology[];
  /** Package id → its unconsumed uploads. */
  inbox: ReadonlyMap<string, InboxEntry>;
  nowMs: number;
  /** nimbus.inbox.jar.expiration.secs in ms. */
  inboxExpirationMs: number;
  /**
   * Whether this pass expires inbox entries (the nimbus.cleanup.inbox.freq.secs pass). Other
   * passes (after a removal, on the monitor tick) keep every inbox entry, expired or not.
   */
  expireInbox: boolean;
}

/** What to do. */
export interface RetentionPlan {
  /** Stored packages to delete. */
  remove: string[];
  /** Inbox entries to drop (expired). */
  expire: string[];
}

/** Whether an inbox entry has outlived the expiration. */
export function inboxExpired(entry: InboxEntry, nowMs: number, inboxExpirationMs: number): boolean {
  return nowMs - entry.uploadedAtMs >= inboxExpirationMs;
}

/** Decides which packages to delete and which inbox entries to drop. Pure. */
export function planPackageRemoval(input: RetentionInput): RetentionPlan {
  const referenced = new Set(input.topologies.map((t) => t.packageId));
  const expire = input.expireInbox
    ? [...input.inbox].filter(([, e]) => inboxExpired(e, input.nowMs, input.inboxExpirationMs)).map(([id]) => id).sort()
    : [];
  const expiring = new Set(expire);
  const inInbox = (id: string): boolean => input.inbox.has(id) && !expiring.has(id);
  const remove = [...new Set(input.stored)].filter((id) => !referenced.has(id) && !inInbox(id)).sort();
  return { remove, expire };
}

/** The inbox after an upload of `packageId` at `nowMs`. Pure: returns a new map. */
export function recordUpload(inbox: ReadonlyMap<string, InboxEntry>, packageId: string, nowMs: number): Map<string, InboxEntry> {
  const next = new Map(inbox);
  next.set(packageId, { uploadedAtMs: nowMs, pending: (inbox.get(packageId)?.pending ?? 0) + 1 });
  return next;
}

/** The inbox after a successful submit of `packageId`: one pending upload consumed. Pure. */
export function recordSubmit(inbox: ReadonlyMap<string, InboxEntry>, packageId: string): Map<string, InboxEntry> {
  const next = new Map(inbox);
  const entry = inbox.get(packageId);
  if (entry && entry.pending > 1) next.set(packageId, { ...entry, pending: entry.pending - 1 });
  else next.delete(packageId);
  return next;
}
