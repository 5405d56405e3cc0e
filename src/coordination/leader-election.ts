/**
 * Nimbus leader election with fencing.
 *
 * Election (the ZooKeeper recipe, no herd effect — TEST-PLANS A5 rule 8): each candidate
 * creates an EPHEMERAL_SEQUENTIAL node `leader-lock/c-<uuid>-<seq>`; the lowest sequence
 * leads; every other candidate watches only its immediate predecessor, so a departure wakes
 * exactly one waiter. The uuid lets a candidate find its node after an ambiguous create.
 *
 * Fencing: a persistent `leader-info` node holds `{epoch, candidate}`. The candidate that
 * becomes first claims it with one multi: check(own candidate node) + set(leader-info,
 * epoch+1, at the version it read). The leader-info version after that write is the
 * leadership's fence. Every leader-only write is a multi that starts with
 * check(leader-info, fence) and check(own candidate node); once someone else has claimed
 * leader-info, or our candidate node (our session) is gone, a stale leader's write fails as a
 * whole with FencedError, even if the stale leader has not noticed anything yet (GC pause,
 * partition). See fencing.ts.
 *
 * Leadership is dropped at once on 'expired' (server-declared, or the store's local timer
 * after a disconnect longer than the session timeout), when leader-info moves, or when a
 * fenced write fails. A mere 'disconnected' does not drop it (A5 rule 2): while disconnected
 * the leader can write nothing anyway, and fencing covers the overlap.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { Listeners } from './deadline.js';
import { decodeRecord, encodeRecord } from './envelope.js';
import { BadVersionError, CoordinationError, NodeExistsError, NoNodeError, StoreClosedError } from './errors.js';
import type { ClusterPaths } from './paths.js';
import { leaderInfoCodec, type LeaderInfo } from './records.js';
import { baseName, childPath, sequenceOf, type SessionEvent, type StateStore, type WatchHandle } from './state-store.js';

/** Proof of leadership; leader-only writes carry it and are fenced on it. */
export interface Leadership {
  readonly nimbusId: string;
  /** 1 for the first leader ever, +1 per takeover. */
  readonly epoch: number;
  /** The leader-info node's version right after our claim; fenced writes check it. */
  readonly fenceVersion: number;
  /** Our election node; fenced writes check it still exists (our session is alive). */
  readonly candidatePath: string;
  /** Aborted when this leadership ends. */
  readonly signal: AbortSignal;
}

/** Options of LeaderElection.join(). */
export interface LeaderElectionOptions {
  store: StateStore;
  paths: ClusterPaths;
  nimbusId: string;
  clock?: Clock;
  logger?: Logger;
}

/** Counters for tests and diagnostics. */
export interface ElectionStats {
  /** Times our predecessor's node went away (or a resync) and woke us. */
  wakeups: number;
  /** Times we looked at the candidate list. */
  evaluations: number;
  /** Times we won leadership. */
  claims: number;
}

interface Candidate {
  path: string;
  name: string;
  sessionId: string | undefined;
}

/** Which election issued a leadership, so a rejected fenced write can end it at once. */
const issuedBy = new WeakMap<Leadership, LeaderElection>();

/** Tells the issuing election that a fenced write with this leadership was rejected. */
export function reportRejectedLeadership(leadership: Leadership): void {
  issuedBy.get(leadership)?.leadershipRejected(leadership);
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
const CANDIDATE = /^c-[0-9a-f-]{36}-\d{10}$/;

/**
 * One nimbus's place in the election. Join with LeaderElection.join() (or
 * ClusterState.joinElection()); close() leaves it. Follows the store's session: drops
 * leadership on expiry or close, rejoins on a new session.
 */
export class LeaderElection implements AsyncDisposable {
  readonly nimbusId: string;
  private readonly store: StateStore;
  private readonly paths: ClusterPaths;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly uuid = randomUUID();
  private readonly listeners: Listeners<Leadership | undefined>;
  private readonly counters: ElectionStats = { wakeups: 0, evaluations: 0, claims: 0 };
  private readonly sessionSub: Disposable;
  private candidate: Candidate | undefined;
  private current: { leadership: Leadership; abort: AbortController } | undefined;
  private predecessorWatch: WatchHandle<unknown> | undefined;
  private leaderInfoWatch: WatchHandle<unknown> | undefined;
  private dirty = false;
  private loop: Promise<void> | undefined;
  private closed = false;
  private readonly lifetime = new AbortController();
  /** Resolves join() after the first evaluation attempt. */
  private afterAttempt: (() => void) | undefined;

  private constructor(opts: LeaderElectionOptions) {
    this.nimbusId = opts.nimbusId;
    this.store = opts.store;
    this.paths = opts.paths;
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ module: 'election', nimbusId: opts.nimbusId });
    this.listeners = new Listeners(this.logger, 'leadership');
    this.sessionSub = this.store.onSession((ev) => this.onSession(ev));
  }

  /**
   * Joins the election; resolves after the first evaluation attempt (leading, waiting, or —
   * if the store failed — retrying in the background).
   */
  static async join(opts: LeaderElectionOptions): Promise<LeaderElection> {
    const election = new LeaderElection(opts);
    const first = new Promise<void>((resolve) => { election.afterAttempt = resolve; });
    election.schedule();
    await first;
    return election;
  }

  isLeader(): boolean {
    return this.current !== undefined;
  }

  /** The current leadership, or undefined when not leading. */
  leadership(): Leadership | undefined {
    return this.current?.leadership;
  }

  /** Called with the new leadership on gain and with undefined on loss. */
  onLeadership(cb: (leadership: Leadership | undefined) => void): Disposable {
    return this.listeners.add(cb);
  }

  stats(): Readonly<ElectionStats> {
    return { ...this.counters };
  }

  /** A fenced write failed with this leadership: it is over; look again. */
  leadershipRejected(leadership: Leadership): void {
    if (this.current?.leadership !== leadership) return;
    this.drop('a fenced write was rejected');
    this.schedule();
  }

  /** Leaves the election: gives up leadership and deletes our candidate node. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort();
    this.sessionSub[Symbol.dispose]();
    this.drop('election closed');
    this.predecessorWatch?.close();
    // Let a step in progress finish: it may still create our candidate node.
    await this.loop?.catch(() => undefined);
    this.drop('election closed');
    const candidate = this.candidate;
    this.candidate = undefined;
    if (candidate && this.store.state !== 'closed' && this.store.state !== 'closing') {
      await this.store.delete(candidate.path).catch((err: unknown) => {
        if (!(err instanceof NoNodeError)) this.logger.warn('could not delete our candidate node', { err });
      });
    }
    this.listeners.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ----

  private onSession(ev: SessionEvent): void {
    if (ev.type === 'expired' || ev.type === 'closing' || ev.type === 'closed') {
      // Our candidate node died with the session: stop acting now, rejoin on the new session.
      this.drop(`session ${ev.type}`);
      this.candidate = undefined;
      this.predecessorWatch?.close();
      this.predecessorWatch = undefined;
    } else if (ev.type === 'reconnected-new-session' || ev.type === 'connected') {
      this.schedule();
    }
  }

  /** Runs evaluate() again soon; evaluations never overlap. */
  private schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        try {
          await this.evaluate();
          delay = RETRY_MIN_MS;
          this.attempted();
        } catch (err) {
          this.attempted();
          if (this.closed || err instanceof StoreClosedError) return;
          const retriable = err instanceof CoordinationError && err.retriable;
          this.logger[retriable ? 'debug' : 'warn']('election step failed; retrying', { err });
          this.dirty = true;
          await this.clock.sleep(delay, this.lifetime.signal).catch(() => undefined);
          delay = Math.min(2 * delay, RETRY_MAX_MS);
        }
      }
    } finally {
      // Cleared in the same turn as the last `dirty` check, so a schedule() never goes unseen.
      this.loop = undefined;
      this.attempted();
    }
  }

  private attempted(): void {
    this.afterAttempt?.();
    this.afterAttempt = undefined;
  }

  private async evaluate(): Promise<void> {
    this.counters.evaluations++;
    const candidate = this.candidate ?? (await this.createCandidate());
    const names = (await this.store.children(this.paths.leaderLock)).filter((n) => CANDIDATE.test(n));
    names.sort((a, b) => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0));
    const index = names.indexOf(candidate.name);
    if (index < 0) {
      // Our node is gone (deleted, or our session expired and we have not heard yet — the
      // deletion can arrive before the session event, A5 rule 7). Never lead on this.
      this.drop('our candidate node is gone');
      this.candidate = undefined;
      if (this.store.sessionId !== candidate.sessionId) return; // the new session rejoins
      this.dirty = true;
      return;
    }
    if (index === 0) return this.claim(candidate);
    this.drop('not first in line');
    await this.watchPredecessor(childPath(this.paths.leaderLock, names[index - 1]!));
  }

  private async createCandidate(): Promise<Candidate> {
    const data = encodeRecord({ nimbusId: this.nimbusId });
    const sessionId = this.store.sessionId;
    try {
      const path = await this.store.create(this.paths.candidatePrefix(this.uuid), data, { mode: 'ephemeral-sequential' });
      this.candidate = { path, name: baseName(path), sessionId };
    } catch (err) {
      // A lost reply may hide a created node: the uuid finds it (A5 rule 1).
      if (!(err instanceof CoordinationError && err.ambiguous)) throw err;
      const mine = (await this.store.children(this.paths.leaderLock)).find((n) => n.startsWith(`c-${this.uuid}-`));
      if (!mine) throw err;
      this.candidate = { path: childPath(this.paths.leaderLock, mine), name: mine, sessionId };
    }
    this.logger.debug('joined the election', { candidate: this.candidate.path });
    return this.candidate;
  }

  private async watchPredecessor(path: string): Promise<void> {
    this.predecessorWatch?.close();
    let fired = false;
    // Not `const handle = await …`: the callback may run before watchData resolves, and must
    // then see undefined rather than hit the temporal dead zone.
    let handle: WatchHandle<unknown> | undefined = undefined;
    handle = await this.store.watchData(path, (ev) => {
      if (fired || (ev.node !== undefined && ev.type !== 'resync')) return;
      fired = true;
      this.counters.wakeups++;
      handle?.close();
      this.schedule();
    });
    this.predecessorWatch = handle;
    if (fired || handle.initial === undefined) {
      handle.close();
      this.dirty = true;
    }
  }

  /** We are first in line: take leader-info (or recognise that we already hold it). */
  private async claim(candidate: Candidate): Promise<void> {
    this.predecessorWatch?.close();
    const { info, version } = await this.readLeaderInfo();
    if (info.candidate === candidate.path) {
      // Already ours (kept across a reconnect, or an earlier ambiguous claim that succeeded).
      if (this.current?.leadership.fenceVersion !== version) this.gain(candidate, info.epoch, version);
      return;
    }
    const next: LeaderInfo = { epoch: info.epoch + 1, nimbusId: this.nimbusId, candidate: candidate.path, sinceMs: Math.round(this.clock.now()) };
    try {
      const results = await this.store.multi([
        { op: 'check', path: candidate.path },
        { op: 'set', path: this.paths.leaderInfo, data: encodeRecord(next), version },
      ]);
      const set = results[1];
      this.gain(candidate, next.epoch, set?.op === 'set' ? set.version : version + 1);
    } catch (err) {
      if (err instanceof BadVersionError || err instanceof NoNodeError) {
        this.dirty = true; // someone wrote leader-info, or our node vanished: look again
        return;
      }
      throw err;
    }
  }

  private async readLeaderInfo(): Promise<{ info: LeaderInfo; version: number }> {
    let node = await this.store.get(this.paths.leaderInfo);
    if (!node) {
      await this.store.create(this.paths.leaderInfo, encodeRecord({ epoch: 0 }), { mode: 'persistent', parents: true })
        .catch((err: unknown) => { if (!(err instanceof NodeExistsError)) throw err; });
      node = await this.store.get(this.paths.leaderInfo);
      if (!node) throw new NoNodeError('leader-info vanished', { path: this.paths.leaderInfo, retriable: true });
    }
    return { info: decodeRecord(leaderInfoCodec, node.data, this.paths.leaderInfo), version: node.version };
  }

  private gain(candidate: Candidate, epoch: number, fenceVersion: number): void {
    if (this.closed) return;
    this.drop('re-claimed');
    const abort = new AbortController();
    const leadership: Leadership = { nimbusId: this.nimbusId, epoch, fenceVersion, candidatePath: candidate.path, signal: abort.signal };
    this.current = { leadership, abort };
    issuedBy.set(leadership, this);
    this.counters.claims++;
    this.logger.info('gained leadership', { epoch, fenceVersion });
    this.listeners.emit(leadership);
    void this.watchLeaderInfo(leadership);
  }

  /** While leading, a change of leader-info by anyone else ends our leadership at once. */
  private async watchLeaderInfo(leadership: Leadership): Promise<void> {
    try {
      const handle = await this.store.watchData(this.paths.leaderInfo, (ev) => {
        if (ev.node?.version === leadership.fenceVersion) return;
        if (this.current?.leadership === leadership) {
          this.drop('leader-info changed');
          this.schedule();
        }
      });
      if (this.current?.leadership !== leadership || handle.initial?.version !== leadership.fenceVersion) {
        handle.close();
        if (this.current?.leadership === leadership) { this.drop('leader-info changed'); this.schedule(); }
        return;
      }
      this.leaderInfoWatch?.close();
      this.leaderInfoWatch = handle;
    } catch (err) {
      this.logger.warn('could not watch leader-info', { err });
    }
  }

  private drop(reason: string): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    this.leaderInfoWatch?.close();
    this.leaderInfoWatch = undefined;
    cur.abort.abort(new CoordinationError('E_LEADERSHIP_LOST', `leadership lost: ${reason}`));
    this.logger.info('lost leadership', { reason, epoch: cur.leadership.epoch });
    this.listeners.emit(undefined);
  }
}
