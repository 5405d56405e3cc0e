/**
 * Self-re-arming watches on top of one-shot ones, shared by both stores.
 *
 * ZooKeeper watches fire once, and events between the trigger and the re-registration are
 * not delivered (TEST-PLANS A5 rule 5). So a watch here is re-armed by *reading with a new
 * one-shot watcher*, and the callback gets the value of that read: any change after the read
 * fires the new watcher, so the caller never misses the latest state, only intermediate ones.
 * After a reconnection or a new session the store calls resyncAll(): every watch re-reads and
 * re-arms on the current session and its callback runs with type 'resync'.
 *
 * Each arming bumps a generation; a watcher from an older generation (still registered in the
 * client library after a reconnect, or left on a retired client) is ignored when it fires.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { CoordinationError } from './errors.js';
import type {
  ChildrenWatchEvent, DataWatchEvent, NodeData, WatchEventType, WatchHandle,
} from './state-store.js';

/** One-shot watch primitives a store provides (on its current session). */
export interface WatchBackend {
  /** Reads the node and leaves a one-shot watch: on its data if it exists, on its creation if not. */
  readData(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<NodeData | undefined>;
  /** Reads the children and leaves a one-shot child watch; if the node is missing, a creation watch. */
  readChildren(path: string, watcher: (type: WatchEventType) => void, signal?: AbortSignal): Promise<string[] | undefined>;
}

interface WatchRecord {
  path: string;
  read: (watcher: (type: WatchEventType) => void) => Promise<unknown>;
  deliver: (type: WatchEventType, value: unknown) => void;
  gen: number;
  disposed: boolean;
  running: boolean;
  pending: WatchEventType | undefined;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** The live watches of one store. */
export class WatchRegistry {
  private readonly records = new Set<WatchRecord>();
  private closed = false;

  constructor(
    private readonly backend: WatchBackend,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Number of live watches (for tests and diagnostics). */
  get size(): number {
    return this.records.size;
  }

  async watchData(path: string, cb: (ev: DataWatchEvent) => void, signal?: AbortSignal): Promise<WatchHandle<NodeData | undefined>> {
    return this.add<NodeData | undefined>(
      path,
      (w) => this.backend.readData(path, w),
      (type, node) => cb({ type, path, node }),
      (w) => this.backend.readData(path, w, signal),
    );
  }

  async watchChildren(path: string, cb: (ev: ChildrenWatchEvent) => void, signal?: AbortSignal): Promise<WatchHandle<string[] | undefined>> {
    return this.add<string[] | undefined>(
      path,
      (w) => this.backend.readChildren(path, w),
      (type, children) => cb({ type, path, children }),
      (w) => this.backend.readChildren(path, w, signal),
    );
  }

  /** Re-reads and re-arms every watch; each callback runs with 'resync'. */
  resyncAll(): void {
    for (const rec of this.records) this.trigger(rec, 'resync');
  }

  /** Stops every watch (store close). */
  closeAll(): void {
    this.closed = true;
    for (const rec of this.records) rec.disposed = true;
    this.records.clear();
  }

  private async add<T>(
    path: string,
    read: (watcher: (type: WatchEventType) => void) => Promise<T>,
    deliver: (type: WatchEventType, value: T) => void,
    firstRead: (watcher: (type: WatchEventType) => void) => Promise<T>,
  ): Promise<WatchHandle<T>> {
    const rec: WatchRecord = {
      path, read, deliver: deliver as WatchRecord['deliver'], gen: 0, disposed: false, running: false, pending: undefined,
    };
    const gen = ++rec.gen;
    // The first read's errors go to the caller; later ones are retried in the background.
    const initial = await firstRead((type) => this.fired(rec, gen, type));
    this.records.add(rec);
    const close = (): void => {
      rec.disposed = true;
      this.records.delete(rec);
    };
    return { initial, close, [Symbol.dispose]: close };
  }

  private fired(rec: WatchRecord, gen: number, type: WatchEventType): void {
    if (rec.gen === gen) this.trigger(rec, type);
  }

  private trigger(rec: WatchRecord, type: WatchEventType): void {
    if (rec.disposed || this.closed) return;
    rec.pending = type;
    if (!rec.running) void this.rearmLoop(rec);
  }

  /** Re-arms until no trigger is pending; one loop per record, so reads never interleave. */
  private async rearmLoop(rec: WatchRecord): Promise<void> {
    rec.running = true;
    let delay = RETRY_MIN_MS;
    try {
      while (rec.pending !== undefined && !rec.disposed && !this.closed) {
        const type = rec.pending;
        rec.pending = undefined;
        const gen = ++rec.gen;
        let value: unknown;
        try {
          value = await rec.read((t) => this.fired(rec, gen, t));
        } catch (err) {
          if (rec.disposed || this.closed) return;
          this.logWatchError(rec, err);
          rec.pending ??= type;
          await this.clock.sleep(delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
          continue;
        }
        delay = RETRY_MIN_MS;
        if (rec.disposed || this.closed) return;
        try {
          rec.deliver(type, value);
        } catch (err) {
          this.logger.error('watch callback threw', { path: rec.path, err });
        }
      }
    } finally {
      rec.running = false;
    }
  }

  private logWatchError(rec: WatchRecord, err: unknown): void {
    const retriable = err instanceof CoordinationError && err.retriable;
    const level = retriable ? 'debug' : 'warn';
    this.logger[level]('re-arming a watch failed; retrying', { path: rec.path, err });
  }
}
