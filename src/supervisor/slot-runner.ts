/**
 * The thin shell around one slot's pure state machine (slot.ts): it serialises the slot's
 * events, observes the worker process on ticks, and executes the effects. Long effects
 * (download, launch) run in the background and come back as events, so a slow download never
 * holds up a kill.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { LaunchedWorker } from './launcher.js';
import type { ProcessControl } from './processes.js';
import { slotWorker, step, type SlotAssignment, type SlotEffect, type SlotEvent, type SlotState, type SlotTiming, type SlotWorker } from './slot.js';
import { readHeartbeat } from './worker-files.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A slot event before it is stamped with the time it is processed at. */
export type SlotInput = DistributiveOmit<SlotEvent, 'nowMs'>;

/** What a SlotRunner uses of the supervisor. */
export interface SlotRunnerDeps {
  timing: SlotTiming;
  clock: Clock;
  logger: Logger;
  processes: ProcessControl;
  workerDir(workerId: string): string;
  /** Resolves when the package is extracted. */
  ensurePackage(packageId: string): Promise<unknown>;
  /** Starts the worker process (directory, worker.json, spawn). */
  launch(port: number, assignment: SlotAssignment): Promise<LaunchedWorker>;
  /** Reaps what a dead worker left (its group, component processes, files). */
  cleanup(worker: SlotWorker, keepLog: boolean): Promise<void>;
  /** Called after every step (used ports may have changed). */
  onStep(runner: SlotRunner, effects: readonly SlotEffect[]): void;
}

/** Runs one slot. */
export class SlotRunner {
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<TimerHandle>();
  private stopped = false;
  /** The last heartbeat seen: whose, its timeMs, and when (our clock) it was first seen. */
  private lastBeat: { pid: number; timeMs: number; seenAtMs: number } | undefined;

  constructor(public state: SlotState, private readonly deps: SlotRunnerDeps) {}

  get port(): number {
    return this.state.port;
  }

  /** Executes the effects of a step computed elsewhere (recovery at start). */
  begin(effects: readonly SlotEffect[]): Promise<void> {
    return this.enqueue(async () => {
      await this.execute(effects);
      this.deps.onStep(this, effects);
    });
  }

  /** Feeds an event; resolves once it and its inline effects are processed. */
  send(input: SlotInput): Promise<void> {
    return this.enqueue(() => this.apply({ ...input, nowMs: this.deps.clock.now() }));
  }

  /** Observes the worker (process alive? heartbeat?) and feeds a tick. */
  tick(): Promise<void> {
    return this.enqueue(async () => this.apply(await this.observe()));
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Ignores every later event and cancels pending wake-ups (the supervisor is closing). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        await job();
      } catch (err) {
        this.deps.logger.error('slot step failed', { port: this.port, err: String(err) });
      }
    };
    this.chain = this.chain.then(run);
    return this.chain;
  }

  private async apply(event: SlotEvent): Promise<void> {
    const r = step(this.state, event, this.deps.timing);
    this.state = r.state;
    await this.execute(r.effects);
    this.deps.onStep(this, r.effects);
  }

  /**
   * What the worker looks like now. A heartbeat counts when its timeMs differs from the last one
   * seen, and is dated by this supervisor's clock at that moment: comparing the worker's clock
   * with ours would turn a clock step (NTP) into a false "stale" and a restart of every worker.
   */
  private async observe(): Promise<SlotEvent> {
    const nowMs = this.deps.clock.now();
    const worker = slotWorker(this.state);
    if (!worker) return { type: 'tick', nowMs };
    const alive = this.deps.processes.isWorker(worker.pid, worker.workerId);
    const hb = alive ? await readHeartbeat(this.deps.workerDir(worker.workerId)) : undefined;
    let heartbeatMs: number | undefined;
    if (hb?.pid === worker.pid) {
      const last = this.lastBeat;
      if (last?.pid !== hb.pid || last.timeMs !== hb.timeMs) this.lastBeat = { pid: hb.pid, timeMs: hb.timeMs, seenAtMs: nowMs };
      heartbeatMs = this.lastBeat!.seenAtMs;
    }
    return { type: 'tick', nowMs, worker: { pid: worker.pid, alive, heartbeatMs } };
  }

  private async execute(effects: readonly SlotEffect[]): Promise<void> {
    for (const e of effects) {
      switch (e.type) {
        case 'ensure-package':
          void this.deps.ensurePackage(e.packageId).then(
            () => this.send({ type: 'package-ready', packageId: e.packageId }),
            (err: unknown) => this.send({ type: 'package-failed', packageId: e.packageId, message: messageOf(err) }),
          );
          break;
        case 'launch':
          this.startLaunch(e.assignment);
          break;
        case 'kill':
          this.deps.processes.signalGroup(e.pid, e.signal);
          break;
        case 'cleanup':
          await this.deps.cleanup(e.worker, e.keepLog);
          break;
        case 'wake':
          this.wakeAt(e.atMs);
          break;
        case 'log':
          this.deps.logger[e.level](e.message, e.meta);
          break;
      }
    }
  }

  private startLaunch(assignment: SlotAssignment): void {
    void this.deps.launch(this.port, assignment).then(
      (w) => {
        void this.send({ type: 'launched', workerId: assignment.workerId, pid: w.pid });
        // Our own child: learn of its death at once rather than at the next monitor tick.
        void w.exited?.then((exit) => this.send({ type: 'worker-exited', pid: w.pid, code: exit.code, signal: exit.signal }), () => {});
      },
      (err: unknown) => this.send({ type: 'launch-failed', workerId: assignment.workerId, message: messageOf(err) }),
    );
  }

  private wakeAt(atMs: number): void {
    const t = this.deps.clock.setTimeout(() => {
      this.timers.delete(t);
      void this.tick();
    }, Math.max(0, atMs - this.deps.clock.now()));
    this.timers.add(t);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
