/**
 * One worker slot (a port of this supervisor) as a pure state machine, Storm's
 * `Slot.stateMachineStep` in Squall's shape (STYLE §8 lesson 11):
 * `step(state, event, timing) → { state, effects }`. Nothing here does I/O or reads a clock;
 * the supervisor feeds events (assignment changes, package and launch outcomes, process exits,
 * monitor ticks with what it observed) and executes the effects (download, launch, kill,
 * clean up, wake me at, log).
 *
 * ```
 *           assignment                package-ready            launched
 *   empty ─────────────▶ waiting-for- ─────────────▶ launching ─────────▶ starting
 *     ▲                   package                                          │ first heartbeat
 *     │ gone (expected)      │ failed                                      ▼
 *   killing ◀──── unassigned / reassigned (SIGTERM, SIGKILL after grace) ─ running
 *     ▲  ◀──── stale heartbeat / start timeout (SIGKILL) ─────────────────┘ │
 *     │                                                                     │ died
 *     └── gone (after a timeout kill) ──▶ backoff ◀──────────────────────────┘
 *                                           │ delay over
 *                                           ▼
 *                                         empty (then straight on to the assignment, if any)
 * ```
 * A worker whose own tasks change (rebalance) exits by itself (docs/CLUSTER.md, worker step 4);
 * the slot sees it die and starts it again with the new tasks. A worker that dies after running
 * normally is restarted at once (as in Storm); one that keeps failing waits a doubling delay.
 */

/** An executor: its first and last task id. */
export type ExecutorRange = readonly [first: number, last: number];

/** What the assignment asks this slot to run (Storm's LocalAssignment). */
export interface SlotAssignment {
  topologyId: string;
  /** `<topology id>-<supervisor id>-<port>` (docs/CLUSTER.md). */
  workerId: string;
  packageId: string;
  /** The executors placed on this slot, sorted by first task. */
  executors: readonly ExecutorRange[];
}

/** A worker process this slot owns (launched or adopted). */
export interface SlotWorker {
  pid: number;
  workerId: string;
  /** When it was launched (epoch ms, the supervisor's clock). */
  startedAtMs: number;
  /** What it runs; executors are kept current while it runs. */
  assignment: SlotAssignment;
}

/** Why a worker is being killed. */
export type KillReason = 'unassigned' | 'reassigned' | 'heartbeat-timeout' | 'start-timeout';

/** The phase of a slot; `kind` names it. */
export type SlotPhase =
  | { kind: 'empty' }
  | { kind: 'waiting-for-package'; assignment: SlotAssignment }
  | { kind: 'launching'; assignment: SlotAssignment }
  | { kind: 'starting'; worker: SlotWorker }
  | { kind: 'running'; worker: SlotWorker; lastHeartbeatMs: number }
  | { kind: 'killing'; worker: SlotWorker; reason: KillReason; sinceMs: number; forced: boolean }
  | { kind: 'backoff'; untilMs: number };

/** A slot's whole state. Treated as immutable: step() returns a new one. */
export interface SlotState {
  port: number;
  /** What the latest assignment wants here; undefined: nothing. */
  desired: SlotAssignment | undefined;
  phase: SlotPhase;
  /** Consecutive failed starts or deaths; reset once a worker heartbeats. Drives the backoff. */
  failures: number;
}

/** What the monitor saw of the slot's worker on a tick. */
export interface WorkerObservation {
  pid: number;
  /** The process exists and is this worker (not a zombie, not a reused pid). */
  alive: boolean;
  /**
   * When the worker's latest heartbeat (written by this pid) was first seen, on the
   * supervisor's clock; undefined when it has written none.
   */
  heartbeatMs: number | undefined;
}

/** An input of the state machine; every event carries the supervisor's current time. */
export type SlotEvent =
  | { type: 'assignment'; nowMs: number; desired: SlotAssignment | undefined }
  | { type: 'package-ready'; nowMs: number; packageId: string }
  | { type: 'package-failed'; nowMs: number; packageId: string; message: string }
  | { type: 'launched'; nowMs: number; workerId: string; pid: number }
  | { type: 'launch-failed'; nowMs: number; workerId: string; message: string }
  | { type: 'worker-exited'; nowMs: number; pid: number; code: number | null; signal: string | null }
  | { type: 'tick'; nowMs: number; worker?: WorkerObservation };

/** What the supervisor must do; executed in order. */
export type SlotEffect =
  | { type: 'ensure-package'; packageId: string }
  | { type: 'launch'; assignment: SlotAssignment }
  /** Signal the worker's whole process group. */
  | { type: 'kill'; pid: number; signal: 'SIGTERM' | 'SIGKILL' }
  /** The worker is gone: reap its group and component processes; keep worker.log when it restarts in place. */
  | { type: 'cleanup'; worker: SlotWorker; keepLog: boolean }
  /** Send a tick at (or soon after) this time. */
  | { type: 'wake'; atMs: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; meta: Record<string, unknown> };

/** The timing rules of a slot (Storm's supervisor.worker.* keys, in ms). */
export interface SlotTiming {
  /** supervisor.worker.timeout.secs: a heartbeat older than this gets the worker killed. */
  workerTimeoutMs: number;
  /** supervisor.worker.start.timeout.secs: how long a new worker may take to heartbeat. */
  workerStartTimeoutMs: number;
  /** Between SIGTERM and SIGKILL when stopping a worker that is no longer assigned. */
  killGraceMs: number;
  /** Wait before the first restart after a failure; doubles per consecutive failure. */
  restartDelayMs: number;
  /** Cap of the doubling restart delay. */
  maxRestartDelayMs: number;
}

/** The result of one step. */
export interface StepResult {
  state: SlotState;
  effects: SlotEffect[];
}

/** A slot with nothing in it. */
export function emptySlot(port: number, desired?: SlotAssignment): SlotState {
  return { port, desired, phase: { kind: 'empty' }, failures: 0 };
}

/** The worker a slot holds, if any (launching has no pid yet). */
export function slotWorker(state: SlotState): SlotWorker | undefined {
  const p = state.phase;
  return p.kind === 'starting' || p.kind === 'running' || p.kind === 'killing' ? p.worker : undefined;
}

/** Whether the slot's port is (or is about to be) taken by a worker process. */
export function slotInUse(state: SlotState): boolean {
  return state.phase.kind === 'launching' || slotWorker(state) !== undefined;
}

/** Whether two assignments are the same worker (same topology, slot and package). */
export function sameWorker(a: SlotAssignment | undefined, b: SlotAssignment | undefined): boolean {
  return a !== undefined && b !== undefined && a.workerId === b.workerId && a.packageId === b.packageId;
}

/** Advances a slot by one event. Pure. */
export function step(state: SlotState, event: SlotEvent, timing: SlotTiming): StepResult {
  const out = new Steps(state);
  switch (event.type) {
    case 'assignment':
      out.state = { ...out.state, desired: event.desired };
      break;
    case 'package-ready':
      onPackageReady(out, event.packageId);
      break;
    case 'package-failed':
      onFailure(out, event.nowMs, timing, waitingFor(out.state) === event.packageId, `could not fetch package ${event.packageId}: ${event.message}`);
      break;
    case 'launched':
      onLaunched(out, event);
      break;
    case 'launch-failed':
      onFailure(out, event.nowMs, timing, out.state.phase.kind === 'launching' && out.state.phase.assignment.workerId === event.workerId,
        `could not launch worker ${event.workerId}: ${event.message}`);
      break;
    case 'worker-exited':
      if (slotWorker(out.state)?.pid === event.pid) workerGone(out, event.nowMs, timing, exitText(event.code, event.signal));
      break;
    case 'tick':
      onTick(out, event, timing);
      break;
  }
  reconcile(out, event.nowMs, timing);
  return out.result();
}

/**
 * The state of a slot after a supervisor restart, from the worker found on disk (if any):
 * a live, heartbeating, still-assigned worker is ADOPTED as it runs; a dead one is cleaned up;
 * a live one that is stale or no longer assigned is killed as any other would be.
 */
export function recoverSlot(
  port: number, desired: SlotAssignment | undefined, found: RecoveredWorker | undefined, nowMs: number, timing: SlotTiming,
): StepResult {
  if (found === undefined) return step(emptySlot(port, desired), { type: 'tick', nowMs }, timing);
  const mine = desired !== undefined && desired.workerId === found.workerId && desired.packageId === found.packageId;
  const assignment = mine ? desired : { topologyId: found.topologyId, workerId: found.workerId, packageId: found.packageId, executors: [] };
  const worker: SlotWorker = { pid: found.pid, workerId: found.workerId, startedAtMs: found.startedAtMs, assignment };
  const phase: SlotPhase = found.heartbeatMs === undefined
    ? { kind: 'starting', worker }
    : { kind: 'running', worker, lastHeartbeatMs: found.heartbeatMs };
  const r = step({ port, desired, phase, failures: 0 }, {
    type: 'tick', nowMs, worker: { pid: found.pid, alive: found.alive, heartbeatMs: found.heartbeatMs },
  }, timing);
  const kept = slotWorker(r.state);
  if (kept?.pid === found.pid && r.state.phase.kind !== 'killing') {
    r.effects.unshift(log('info', `adopted running worker ${found.workerId}`, { pid: found.pid, port }));
  }
  return r;
}

/** A worker found on disk at supervisor start (worker.json + heartbeat.json + a process probe). */
export interface RecoveredWorker {
  pid: number;
  workerId: string;
  topologyId: string;
  packageId: string;
  startedAtMs: number;
  alive: boolean;
  /** `timeMs` of its heartbeat file: epoch ms written by the worker, compared once with our clock. */
  heartbeatMs: number | undefined;
}

// ---------------------------------------------------------------- transitions

/** Accumulates the new state and the effects of one step. */
class Steps {
  readonly effects: SlotEffect[] = [];
  constructor(public state: SlotState) {}

  to(phase: SlotPhase, patch: Partial<SlotState> = {}): void {
    this.state = { ...this.state, ...patch, phase };
  }

  emit(...effects: SlotEffect[]): void {
    this.effects.push(...effects);
  }

  result(): StepResult {
    return { state: this.state, effects: this.effects };
  }
}

function onPackageReady(out: Steps, packageId: string): void {
  const p = out.state.phase;
  if (p.kind !== 'waiting-for-package' || p.assignment.packageId !== packageId) return;
  out.to({ kind: 'launching', assignment: p.assignment });
  out.emit({ type: 'launch', assignment: p.assignment });
}

function onLaunched(out: Steps, ev: { nowMs: number; workerId: string; pid: number }): void {
  const p = out.state.phase;
  if (p.kind !== 'launching' || p.assignment.workerId !== ev.workerId) return;
  out.to({ kind: 'starting', worker: { pid: ev.pid, workerId: ev.workerId, startedAtMs: ev.nowMs, assignment: p.assignment } });
  out.emit(log('info', `launched worker ${ev.workerId}`, { pid: ev.pid, port: out.state.port }));
}

/** A package or launch failure for the current phase: back off, then try again. */
function onFailure(out: Steps, nowMs: number, timing: SlotTiming, current: boolean, message: string): void {
  if (!current) return;
  out.emit(log('error', message, { port: out.state.port }));
  backoff(out, nowMs, timing);
}

function onTick(out: Steps, ev: { nowMs: number; worker?: WorkerObservation }, timing: SlotTiming): void {
  const p = out.state.phase;
  const now = ev.nowMs;
  if (p.kind === 'backoff') {
    if (now >= p.untilMs) out.to({ kind: 'empty' });
    return;
  }
  if (p.kind !== 'starting' && p.kind !== 'running' && p.kind !== 'killing') return;
  const seen = ev.worker?.pid === p.worker.pid ? ev.worker : undefined;
  if (seen === undefined) return; // nothing observed about this worker on this tick
  if (!seen.alive) return workerGone(out, now, timing, 'its process is gone');
  if (p.kind === 'killing') {
    if (!p.forced && now - p.sinceMs >= timing.killGraceMs) {
      out.to({ ...p, forced: true });
      out.emit({ type: 'kill', pid: p.worker.pid, signal: 'SIGKILL' }, log('warn', `worker ${p.worker.workerId} ignored SIGTERM for ${timing.killGraceMs} ms: SIGKILL`, { pid: p.worker.pid }));
    }
    return;
  }
  const heartbeat = seen.heartbeatMs;
  if (p.kind === 'starting') {
    if (heartbeat !== undefined) {
      out.to({ kind: 'running', worker: p.worker, lastHeartbeatMs: heartbeat }, { failures: 0 });
    } else if (now - p.worker.startedAtMs > timing.workerStartTimeoutMs) {
      forceKill(out, p.worker, 'start-timeout', now, `worker ${p.worker.workerId} did not heartbeat within ${timing.workerStartTimeoutMs} ms of its start`);
    }
    return;
  }
  const last = Math.max(p.lastHeartbeatMs, heartbeat ?? 0);
  if (now - last > timing.workerTimeoutMs) {
    forceKill(out, p.worker, 'heartbeat-timeout', now, `worker ${p.worker.workerId} has not heartbeated for ${Math.round(now - last)} ms`);
  } else if (last !== p.lastHeartbeatMs) {
    out.to({ ...p, lastHeartbeatMs: last });
  }
}

/** The worker's process is gone: clean up, then relaunch (after a delay unless it was stopped on purpose). */
function workerGone(out: Steps, nowMs: number, timing: SlotTiming, how: string): void {
  const p = out.state.phase;
  const worker = slotWorker(out.state)!;
  const keepLog = out.state.desired?.workerId === worker.workerId;
  out.emit({ type: 'cleanup', worker, keepLog });
  if (p.kind === 'killing' && (p.reason === 'unassigned' || p.reason === 'reassigned')) {
    out.emit(log('info', `worker ${worker.workerId} stopped`, { pid: worker.pid, port: out.state.port }));
    out.to({ kind: 'empty' });
    return;
  }
  if (p.kind !== 'killing') {
    // Exit code 0 is a worker stopping itself (its tasks changed): expected, but restarted all the same.
    const clean = how === exitText(0, null);
    out.emit(log(clean ? 'info' : 'warn', `worker ${worker.workerId} ${clean ? 'exited' : 'died'}: ${how}`, { pid: worker.pid, port: out.state.port }));
  }
  // Storm relaunches a dead worker at once: every second here is a second without its tasks.
  // Only a worker that had not run for even one restart delay counts as failing and backs off.
  const ranWell = p.kind === 'running' && nowMs - p.worker.startedAtMs >= timing.restartDelayMs;
  backoff(out, nowMs, timing, ranWell);
}

/** Waits before the next start: not at all after a worker that ran well, else a doubling delay per consecutive failure. */
function backoff(out: Steps, nowMs: number, timing: SlotTiming, immediate = false): void {
  const failures = out.state.failures + 1;
  const delay = immediate ? 0 : Math.min(timing.maxRestartDelayMs, timing.restartDelayMs * 2 ** Math.min(failures - 1, 20));
  out.to({ kind: 'backoff', untilMs: nowMs + delay }, { failures });
  out.emit({ type: 'wake', atMs: nowMs + delay });
}

/** A hung or crashed-but-alive worker: no grace, the whole process group goes at once. */
function forceKill(out: Steps, worker: SlotWorker, reason: KillReason, nowMs: number, message: string): void {
  out.to({ kind: 'killing', worker, reason, sinceMs: nowMs, forced: true });
  out.emit(log('warn', `${message}: killing it`, { pid: worker.pid, port: out.state.port }), { type: 'kill', pid: worker.pid, signal: 'SIGKILL' });
}

function gracefulKill(out: Steps, worker: SlotWorker, reason: KillReason, nowMs: number, timing: SlotTiming): void {
  out.to({ kind: 'killing', worker, reason, sinceMs: nowMs, forced: false });
  out.emit(
    log('info', `stopping worker ${worker.workerId}: ${reason === 'unassigned' ? 'no longer assigned' : 'the slot now runs another worker'}`, { pid: worker.pid, port: out.state.port }),
    { type: 'kill', pid: worker.pid, signal: 'SIGTERM' },
    { type: 'wake', atMs: nowMs + timing.killGraceMs },
  );
}

/** Moves the slot towards what the assignment wants, after every event. */
function reconcile(out: Steps, nowMs: number, timing: SlotTiming): void {
  const { desired, phase: p } = out.state;
  switch (p.kind) {
    case 'empty':
      if (desired) waitForPackage(out, desired);
      return;
    case 'waiting-for-package':
      if (!desired) out.to({ kind: 'empty' });
      else if (!sameWorker(desired, p.assignment)) waitForPackage(out, desired);
      return;
    case 'starting':
    case 'running':
      if (!sameWorker(desired, p.worker.assignment)) {
        gracefulKill(out, p.worker, desired ? 'reassigned' : 'unassigned', nowMs, timing);
      } else if (!sameExecutors(desired!.executors, p.worker.assignment.executors)) {
        // Same worker, maybe new executors: the worker restarts itself for those; keep reports true.
        out.to({ ...p, worker: { ...p.worker, assignment: desired! } });
      }
      return;
    default:
      return; // launching, killing, backoff: wait for their outcome
  }
}

function waitForPackage(out: Steps, desired: SlotAssignment): void {
  out.to({ kind: 'waiting-for-package', assignment: desired });
  out.emit({ type: 'ensure-package', packageId: desired.packageId });
}

/** The package the slot waits for, if it does. */
function waitingFor(state: SlotState): string | undefined {
  return state.phase.kind === 'waiting-for-package' ? state.phase.assignment.packageId : undefined;
}

function sameExecutors(a: readonly ExecutorRange[], b: readonly ExecutorRange[]): boolean {
  return a.length === b.length && a.every((e, i) => e[0] === b[i]![0] && e[1] === b[i]![1]);
}

function exitText(code: number | null, signal: string | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
}

function log(level: 'info' | 'warn' | 'error', message: string, meta: Record<string, unknown>): SlotEffect {
  return { type: 'log', level, message, meta };
}
