/**
 * The topology status state machine (Storm's Nimbus topology transitions) as a pure step
 * function: `step(state, event, nowMs) → { state, effects }`. Effects are data; a thin shell in
 * nimbus persists the state and carries the effects out (tells workers, arms timers,
 * reschedules, deletes). STYLE lesson 11; Storm's Slot.stateMachineStep is the model.
 *
 * Storm semantics kept:
 *  - ACTIVE ⇄ INACTIVE by activate/deactivate; activating an ACTIVE topology (or deactivating an
 *    INACTIVE one) is a no-op, not an error.
 *  - kill (from ACTIVE, INACTIVE, REBALANCING or KILLED): status KILLED at once (spouts stop),
 *    removal after `waitSecs` (default `topology.message.timeout.secs`) so in-flight tuples
 *    drain. Killing again can only bring removal forward (Storm's earlier REMOVE still fires).
 *  - rebalance (from ACTIVE or INACTIVE): status REBALANCING, spouts stop, after `waitSecs` the
 *    topology is rescheduled with the new counts and the previous status comes back.
 *  - startup (nimbus started or became leader): timers are re-armed from the persisted
 *    deadlines, which are absolute times, so a restart does not restart the wait.
 * Timer events ('remove', 'do-rebalance') carry the deadline they were armed for; one that does
 * not match the current state is stale (a later kill replaced it) and is ignored, never an error.
 */
import { SquallError, UsageError } from '../common/errors.js';
import type { RebalanceRequest } from './demand.js';

export type TopologyStatus = 'ACTIVE' | 'INACTIVE' | 'KILLED' | 'REBALANCING';

/** Persisted per topology (JSON-safe). Deadlines are epoch milliseconds. */
export type TopologyState =
  | { status: 'ACTIVE' }
  | { status: 'INACTIVE' }
  | { status: 'KILLED'; waitSecs: number; removeAtMs: number }
  | { status: 'REBALANCING'; previous: 'ACTIVE' | 'INACTIVE'; waitSecs: number; rebalanceAtMs: number; request: RebalanceRequest };

/** A timer the shell arms; when it fires the shell steps with this event. */
export type TimerEvent = { type: 'remove'; dueMs: number } | { type: 'do-rebalance'; dueMs: number };

export type TopologyEvent =
  | { type: 'activate' }
  | { type: 'deactivate' }
  | { type: 'kill'; waitSecs?: number }
  | ({ type: 'rebalance'; waitSecs?: number } & RebalanceRequest)
  | { type: 'startup' }
  | TimerEvent;

/** Events a user (CLI, API, UI) can send; only these can be refused. */
export type UserEventType = 'activate' | 'deactivate' | 'kill' | 'rebalance';

export type TopologyEffect =
  /** Spouts may emit again. */
  | { kind: 'activate' }
  /** Spouts must stop emitting (in-flight tuples still complete). */
  | { kind: 'deactivate' }
  | { kind: 'schedule-timer'; atMs: number; event: TimerEvent }
  /** A timer armed earlier is obsolete; cancelling is tidy but optional (it would be ignored). */
  | { kind: 'cancel-timer'; event: TimerEvent }
  /** Reschedule the topology from scratch with these counts (then persist the new demand). */
  | { kind: 'reschedule'; request: RebalanceRequest }
  /** Delete assignments, records and the package: the topology is gone. */
  | { kind: 'remove-topology' };

export interface StepResult {
  /** null once the topology has been removed. */
  state: TopologyState | null;
  effects: TopologyEffect[];
}

export interface StepOptions {
  /** The topology's `topology.message.timeout.secs`: the default wait. @default 30 */
  messageTimeoutSecs?: number;
}

/** Storm's default `topology.message.timeout.secs`. */
export const DEFAULT_WAIT_SECS = 30;

const ALLOWED: Readonly<Record<TopologyStatus, readonly UserEventType[]>> = {
  ACTIVE: ['activate', 'deactivate', 'rebalance', 'kill'],
  INACTIVE: ['activate', 'deactivate', 'rebalance', 'kill'],
  KILLED: ['kill'],
  REBALANCING: ['kill'],
};

/** Thrown for a user event the current status does not allow. Code `E_INVALID_TRANSITION`. */
export class InvalidTransitionError extends SquallError {
  readonly status: TopologyStatus;
  readonly event: UserEventType;
  readonly allowed: readonly UserEventType[];

  constructor(status: TopologyStatus, event: UserEventType) {
    const allowed = ALLOWED[status];
    super('E_INVALID_TRANSITION', `cannot ${event} a topology that is ${status}; allowed: ${allowed.join(', ')}`, {
      // REBALANCING ends by itself; the same request can succeed later.
      retriable: status === 'REBALANCING',
      hint: status === 'REBALANCING' ? 'wait for the rebalance to finish and try again' : undefined,
    });
    this.status = status;
    this.event = event;
    this.allowed = allowed;
  }
}

/** The state of a newly submitted topology (Storm: ACTIVE unless submitted inactive). */
export function initialState(active = true): TopologyState {
  return active ? { status: 'ACTIVE' } : { status: 'INACTIVE' };
}

/** The user events `status` accepts. */
export function allowedEvents(status: TopologyStatus): readonly UserEventType[] {
  return ALLOWED[status];
}

/**
 * One transition. Pure: no I/O, no clock (time comes in as `nowMs`).
 * @throws {InvalidTransitionError} for a user event the status does not allow.
 * @throws {UsageError} for a negative or non-finite wait, or invalid rebalance counts.
 */
export function step(state: TopologyState, event: TopologyEvent, nowMs: number, options: StepOptions = {}): StepResult {
  if (!Number.isFinite(nowMs)) throw new UsageError(`step: nowMs must be a finite number, got ${nowMs}`);
  const next = transition(state, event, nowMs, options);
  return { state: next.state, effects: withActivity(state, next) };
}

function transition(state: TopologyState, event: TopologyEvent, nowMs: number, options: StepOptions): StepResult {
  switch (event.type) {
    case 'activate':
    case 'deactivate':
      return toggle(state, event.type);
    case 'kill':
      return kill(state, waitMs(event.waitSecs, options), nowMs);
    case 'rebalance':
      return startRebalance(state, event, nowMs, options);
    case 'startup':
      return startup(state);
    case 'remove':
      if (state.status !== 'KILLED' || state.removeAtMs !== event.dueMs) return unchanged(state);
      return { state: null, effects: [{ kind: 'remove-topology' }] };
    case 'do-rebalance':
      if (state.status !== 'REBALANCING' || state.rebalanceAtMs !== event.dueMs) return unchanged(state);
      return { state: { status: state.previous }, effects: [{ kind: 'reschedule', request: state.request }] };
  }
}

function toggle(state: TopologyState, event: 'activate' | 'deactivate'): StepResult {
  if (state.status !== 'ACTIVE' && state.status !== 'INACTIVE') throw new InvalidTransitionError(state.status, event);
  return { state: { status: event === 'activate' ? 'ACTIVE' : 'INACTIVE' }, effects: [] };
}

function kill(state: TopologyState, wait: { secs: number; ms: number }, nowMs: number): StepResult {
  const removeAtMs = nowMs + wait.ms;
  const effects: TopologyEffect[] = [];
  if (state.status === 'KILLED') {
    if (removeAtMs >= state.removeAtMs) return unchanged(state);
    effects.push({ kind: 'cancel-timer', event: { type: 'remove', dueMs: state.removeAtMs } });
  } else if (state.status === 'REBALANCING') {
    effects.push({ kind: 'cancel-timer', event: { type: 'do-rebalance', dueMs: state.rebalanceAtMs } });
  }
  effects.push({ kind: 'schedule-timer', atMs: removeAtMs, event: { type: 'remove', dueMs: removeAtMs } });
  return { state: { status: 'KILLED', waitSecs: wait.secs, removeAtMs }, effects };
}

function startRebalance(
  state: TopologyState, event: Extract<TopologyEvent, { type: 'rebalance' }>, nowMs: number, options: StepOptions,
): StepResult {
  if (state.status !== 'ACTIVE' && state.status !== 'INACTIVE') throw new InvalidTransitionError(state.status, 'rebalance');
  const request = rebalanceRequest(event);
  const wait = waitMs(event.waitSecs, options);
  const rebalanceAtMs = nowMs + wait.ms;
  return {
    state: { status: 'REBALANCING', previous: state.status, waitSecs: wait.secs, rebalanceAtMs, request },
    effects: [{ kind: 'schedule-timer', atMs: rebalanceAtMs, event: { type: 'do-rebalance', dueMs: rebalanceAtMs } }],
  };
}

function startup(state: TopologyState): StepResult {
  if (state.status === 'KILLED') {
    return { state, effects: [{ kind: 'schedule-timer', atMs: state.removeAtMs, event: { type: 'remove', dueMs: state.removeAtMs } }] };
  }
  if (state.status === 'REBALANCING') {
    const event: TimerEvent = { type: 'do-rebalance', dueMs: state.rebalanceAtMs };
    return { state, effects: [{ kind: 'schedule-timer', atMs: state.rebalanceAtMs, event }] };
  }
  return unchanged(state);
}

/** Spouts run only in ACTIVE: leaving it deactivates first, entering it activates last. */
function withActivity(before: TopologyState, next: StepResult): TopologyEffect[] {
  const wasActive = before.status === 'ACTIVE';
  const isActive = next.state?.status === 'ACTIVE';
  if (wasActive && !isActive) return [{ kind: 'deactivate' }, ...next.effects];
  if (!wasActive && isActive) return [...next.effects, { kind: 'activate' }];
  return next.effects;
}

function unchanged(state: TopologyState): StepResult {
  return { state, effects: [] };
}

function waitMs(waitSecs: number | undefined, options: StepOptions): { secs: number; ms: number } {
  const secs = waitSecs ?? options.messageTimeoutSecs ?? DEFAULT_WAIT_SECS;
  if (typeof secs !== 'number' || !Number.isFinite(secs) || secs < 0) {
    throw new UsageError(`wait time must be a non-negative number of seconds, got ${String(secs)}`);
  }
  return { secs, ms: Math.round(secs * 1000) };
}

/** Checks the counts' shape; whether they fit the topology's tasks is applyRebalance's job. */
function rebalanceRequest(event: Extract<TopologyEvent, { type: 'rebalance' }>): RebalanceRequest {
  const request: RebalanceRequest = {};
  if (event.numWorkers !== undefined) {
    if (!Number.isInteger(event.numWorkers) || event.numWorkers < 1) {
      throw new UsageError(`rebalance: workers must be a whole number >= 1, got ${event.numWorkers}`);
    }
    request.numWorkers = event.numWorkers;
  }
  if (event.executors !== undefined) {
    for (const [id, n] of Object.entries(event.executors)) {
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`rebalance: executors for ${id} must be a whole number >= 1, got ${n}`);
    }
    request.executors = { ...event.executors };
  }
  return request;
}
