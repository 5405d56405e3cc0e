/**
 * The supervisor's slot state machine (src/supervisor/slot.ts), pure: events in, state and
 * effects out, time given explicitly (Storm's SlotTest). Also the pure helpers around it:
 * desired slots from assignments, and the counters reported to nimbus.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Assignment } from '../../src/coordination/index.js';
import { desiredSlots, workerIdOf } from '../../src/supervisor/desired.js';
import { componentCounters } from '../../src/supervisor/nimbus-reporter.js';
import {
  emptySlot, recoverSlot, slotInUse, step, type SlotAssignment, type SlotEffect, type SlotEvent, type SlotState, type SlotTiming,
} from '../../src/supervisor/slot.js';

const T: SlotTiming = { workerTimeoutMs: 30_000, workerStartTimeoutMs: 120_000, killGraceMs: 15_000, restartDelayMs: 1_000, maxRestartDelayMs: 30_000 };
const PKG = 'a'.repeat(64);
const PKG2 = 'b'.repeat(64);
const A: SlotAssignment = { topologyId: 'wc-1-100', workerId: 'wc-1-100-sup-6700', packageId: PKG, executors: [[1, 2], [5, 5]] };
const B: SlotAssignment = { topologyId: 'other-1-200', workerId: 'other-1-200-sup-6700', packageId: PKG2, executors: [[1, 1]] };

/** Feeds events in order; returns the final state and every effect. */
function run(state: SlotState, ...events: SlotEvent[]): { state: SlotState; effects: SlotEffect[] } {
  const effects: SlotEffect[] = [];
  for (const ev of events) {
    const r = step(state, ev, T);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const kinds = (effects: SlotEffect[]): string[] => effects.filter((e) => e.type !== 'log').map((e) => e.type);
const assign = (nowMs: number, desired: SlotAssignment | undefined): SlotEvent => ({ type: 'assignment', nowMs, desired });
const tick = (nowMs: number, pid?: number, alive = true, heartbeatMs?: number): SlotEvent =>
  pid === undefined ? { type: 'tick', nowMs } : { type: 'tick', nowMs, worker: { pid, alive, heartbeatMs } };

/** A slot running A's worker as pid 42, launched at t=0, heartbeated at t=1000. */
function runningSlot(): SlotState {
  return run(emptySlot(6700),
    assign(0, A), { type: 'package-ready', nowMs: 0, packageId: PKG }, { type: 'launched', nowMs: 0, workerId: A.workerId, pid: 42 },
    tick(1000, 42, true, 1000)).state;
}

describe('slot: starting a worker', () => {
  it('assignment → package → launch → heartbeat → running', () => {
    let r = run(emptySlot(6700), assign(0, A));
    assert.equal(r.state.phase.kind, 'waiting-for-package');
    assert.deepEqual(r.effects, [{ type: 'ensure-package', packageId: PKG }]);
    r = run(r.state, { type: 'package-ready', nowMs: 10, packageId: PKG });
    assert.equal(r.state.phase.kind, 'launching');
    assert.deepEqual(kinds(r.effects), ['launch']);
    assert.ok(slotInUse(r.state), 'a launching slot counts as used');
    r = run(r.state, { type: 'launched', nowMs: 20, workerId: A.workerId, pid: 42 });
    assert.equal(r.state.phase.kind, 'starting');
    r = run(r.state, tick(500, 42, true, undefined));
    assert.equal(r.state.phase.kind, 'starting', 'no heartbeat yet');
    r = run(r.state, tick(1000, 42, true, 900));
    assert.equal(r.state.phase.kind, 'running');
    assert.equal(r.state.failures, 0);
  });

  it('ignores a package that is not the one it waits for, and a launch of another worker', () => {
    let r = run(emptySlot(6700), assign(0, A), { type: 'package-ready', nowMs: 1, packageId: PKG2 });
    assert.equal(r.state.phase.kind, 'waiting-for-package');
    r = run(r.state, { type: 'package-ready', nowMs: 2, packageId: PKG }, { type: 'launched', nowMs: 3, workerId: 'someone-else', pid: 9 });
    assert.equal(r.state.phase.kind, 'launching');
  });

  it('a failed download backs off, then asks for the package again', () => {
    let r = run(emptySlot(6700), assign(0, A), { type: 'package-failed', nowMs: 100, packageId: PKG, message: 'nimbus unreachable' });
    assert.deepEqual(r.state.phase, { kind: 'backoff', untilMs: 1100 });
    assert.deepEqual(kinds(r.effects), ['ensure-package', 'wake']);
    assert.ok(r.effects.some((e) => e.type === 'log' && e.level === 'error' && e.message.includes('nimbus unreachable')));
    r = run(r.state, tick(1000));
    assert.equal(r.state.phase.kind, 'backoff', 'not before the delay');
    r = run(r.state, tick(1100));
    assert.equal(r.state.phase.kind, 'waiting-for-package');
    assert.deepEqual(kinds(r.effects), ['ensure-package']);
  });

  it('a failed launch backs off and launches again', () => {
    const r = run(emptySlot(6700), assign(0, A), { type: 'package-ready', nowMs: 0, packageId: PKG },
      { type: 'launch-failed', nowMs: 5, workerId: A.workerId, message: 'ENOENT' }, tick(1005), { type: 'package-ready', nowMs: 1006, packageId: PKG });
    assert.equal(r.state.phase.kind, 'launching');
    assert.equal(kinds(r.effects).filter((k) => k === 'launch').length, 2);
  });

  it('kills a worker that never heartbeats within the start timeout, then relaunches it', () => {
    const s = run(emptySlot(6700), assign(0, A), { type: 'package-ready', nowMs: 0, packageId: PKG }, { type: 'launched', nowMs: 0, workerId: A.workerId, pid: 42 }).state;
    let r = run(s, tick(120_000, 42, true));
    assert.equal(r.state.phase.kind, 'starting', 'exactly at the timeout it still has time');
    r = run(r.state, tick(120_001, 42, true));
    assert.equal(r.state.phase.kind, 'killing');
    assert.deepEqual(r.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGKILL' }]);
    r = run(r.state, tick(120_100, 42, false));
    assert.equal(r.state.phase.kind, 'backoff');
    assert.deepEqual(r.effects.find((e) => e.type === 'cleanup'), { type: 'cleanup', worker: (s.phase as { worker: unknown }).worker, keepLog: true });
  });
});

describe('slot: a running worker', () => {
  it('keeps running while heartbeats are fresh', () => {
    const r = run(runningSlot(), tick(20_000, 42, true, 19_000), tick(45_000, 42, true, 44_000));
    assert.equal(r.state.phase.kind, 'running');
    assert.deepEqual(kinds(r.effects), []);
  });

  it('a stale heartbeat gets the whole group SIGKILLed at once, then a restart after the delay', () => {
    let r = run(runningSlot(), tick(31_000, 42, true, 1000));
    assert.equal(r.state.phase.kind, 'running', 'exactly the timeout is still fine');
    r = run(r.state, tick(31_001, 42, true, 1000));
    assert.deepEqual(r.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGKILL' }]);
    r = run(r.state, { type: 'worker-exited', nowMs: 31_050, pid: 42, code: null, signal: 'SIGKILL' });
    assert.deepEqual(r.state.phase, { kind: 'backoff', untilMs: 32_050 });
    r = run(r.state, tick(32_050));
    assert.equal(r.state.phase.kind, 'waiting-for-package');
  });

  it('a worker that died after running is cleaned up (keeping its log) and restarted at once, with a doubling delay for repeated deaths', () => {
    let r = run(runningSlot(), { type: 'worker-exited', nowMs: 5000, pid: 42, code: 1, signal: null });
    assert.deepEqual(kinds(r.effects), ['cleanup', 'wake']);
    assert.ok(r.effects.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('exit code 1')));
    assert.deepEqual(r.state.phase, { kind: 'backoff', untilMs: 5000 });
    assert.ok(r.effects.some((e) => e.type === 'wake' && e.atMs === 5000), 'woken at once');
    // It dies again before its first heartbeat: 2 s, then 4 s ...
    r = run(r.state, tick(5000), { type: 'package-ready', nowMs: 5000, packageId: PKG }, { type: 'launched', nowMs: 5000, workerId: A.workerId, pid: 43 }, tick(5500, 43, false));
    assert.deepEqual(r.state.phase, { kind: 'backoff', untilMs: 7500 });
    // Dying right after its first heartbeat (within one restart delay of its start) is failing too.
    const quick = run(emptySlot(6700), assign(0, A), { type: 'package-ready', nowMs: 0, packageId: PKG },
      { type: 'launched', nowMs: 0, workerId: A.workerId, pid: 44 }, tick(500, 44, true, 500), { type: 'worker-exited', nowMs: 800, pid: 44, code: 1, signal: null });
    assert.deepEqual(quick.state.phase, { kind: 'backoff', untilMs: 1800 });
    let s = r.state;
    for (let i = 0; i < 10; i++) s = { ...s, failures: s.failures + 1 };
    r = run({ ...s, phase: { kind: 'launching', assignment: A } }, { type: 'launch-failed', nowMs: 0, workerId: A.workerId, message: 'x' });
    assert.deepEqual(r.state.phase, { kind: 'backoff', untilMs: T.maxRestartDelayMs }, 'capped');
  });

  it('exits of other processes are ignored', () => {
    const r = run(runningSlot(), { type: 'worker-exited', nowMs: 5000, pid: 7, code: 0, signal: null }, tick(5000, 7, false));
    assert.equal(r.state.phase.kind, 'running');
    assert.deepEqual(r.effects, []);
  });

  it('same worker with new executors: no restart, the reported executors follow', () => {
    const r = run(runningSlot(), assign(2000, { ...A, executors: [[1, 3]] }));
    assert.equal(r.state.phase.kind, 'running');
    assert.deepEqual(kinds(r.effects), []);
    assert.deepEqual(r.state.phase.kind === 'running' && r.state.phase.worker.assignment.executors, [[1, 3]]);
  });
});

describe('slot: stopping a worker', () => {
  it('unassigned: SIGTERM, SIGKILL once after the grace, then empty with its directory removed', () => {
    let r = run(runningSlot(), assign(10_000, undefined));
    assert.equal(r.state.phase.kind, 'killing');
    assert.deepEqual(r.effects.filter((e) => e.type !== 'log'), [{ type: 'kill', pid: 42, signal: 'SIGTERM' }, { type: 'wake', atMs: 25_000 }]);
    r = run(r.state, tick(20_000, 42, true, 20_000));
    assert.deepEqual(kinds(r.effects), [], 'within the grace');
    r = run(r.state, tick(25_000, 42, true), tick(26_000, 42, true));
    assert.deepEqual(r.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGKILL' }], 'SIGKILL exactly once');
    r = run(r.state, tick(27_000, 42, false));
    assert.deepEqual(r.state.phase, { kind: 'empty' });
    assert.deepEqual(kinds(r.effects), ['cleanup']);
    assert.equal(r.effects.find((e) => e.type === 'cleanup')?.type === 'cleanup' && (r.effects.find((e) => e.type === 'cleanup') as { keepLog: boolean }).keepLog, false);
    assert.ok(!slotInUse(r.state));
  });

  it('reassigned to another topology: the old worker stops, then the new one starts at once', () => {
    let r = run(runningSlot(), assign(10_000, B));
    assert.deepEqual(r.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGTERM' }]);
    r = run(r.state, { type: 'worker-exited', nowMs: 11_000, pid: 42, code: 0, signal: null });
    assert.deepEqual(kinds(r.effects), ['cleanup', 'ensure-package']);
    assert.equal(r.state.phase.kind, 'waiting-for-package');
    assert.equal((r.effects[0] as { keepLog: boolean }).keepLog, false);
  });

  it('unassigned while waiting for the package: back to empty; reassigned: waits for the new package', () => {
    let r = run(emptySlot(6700), assign(0, A), assign(1, B));
    assert.deepEqual(r.effects, [{ type: 'ensure-package', packageId: PKG }, { type: 'ensure-package', packageId: PKG2 }]);
    r = run(r.state, { type: 'package-ready', nowMs: 2, packageId: PKG });
    assert.equal(r.state.phase.kind, 'waiting-for-package', 'the old package no longer launches anything');
    r = run(r.state, assign(3, undefined));
    assert.deepEqual(r.state.phase, { kind: 'empty' });
  });

  it('unassigned during the launch: the worker is stopped as soon as its pid is known', () => {
    const r = run(emptySlot(6700), assign(0, A), { type: 'package-ready', nowMs: 0, packageId: PKG }, assign(1, undefined),
      { type: 'launched', nowMs: 2, workerId: A.workerId, pid: 42 });
    assert.equal(r.state.phase.kind, 'killing');
    assert.deepEqual(r.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGTERM' }]);
  });
});

describe('slot: recovery after a supervisor restart', () => {
  const found = { pid: 42, workerId: A.workerId, topologyId: A.topologyId, packageId: PKG, startedAtMs: 0, alive: true, heartbeatMs: 99_000 };

  it('adopts a live, heartbeating, still-assigned worker: no kill, no launch', () => {
    const r = recoverSlot(6700, A, found, 100_000, T);
    assert.equal(r.state.phase.kind, 'running');
    assert.equal(r.state.phase.kind === 'running' && r.state.phase.worker.pid, 42);
    assert.deepEqual(kinds(r.effects), []);
    assert.ok(r.effects.some((e) => e.type === 'log' && e.message.includes('adopted')));
  });

  it('adopts a live worker that has not heartbeated yet, as starting (the start timeout still applies)', () => {
    const r = recoverSlot(6700, A, { ...found, heartbeatMs: undefined }, 1000, T);
    assert.equal(r.state.phase.kind, 'starting');
    assert.equal(recoverSlot(6700, A, { ...found, heartbeatMs: undefined }, 130_000, T).state.phase.kind, 'killing');
  });

  it('a stale worker is killed; an unassigned one is stopped gracefully; a dead one is cleaned up and relaunched', () => {
    const stale = recoverSlot(6700, A, { ...found, heartbeatMs: 1000 }, 100_000, T);
    assert.deepEqual(stale.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGKILL' }]);
    const unassigned = recoverSlot(6700, undefined, found, 100_000, T);
    assert.deepEqual(unassigned.effects.filter((e) => e.type === 'kill'), [{ type: 'kill', pid: 42, signal: 'SIGTERM' }]);
    const other = recoverSlot(6700, B, found, 100_000, T);
    assert.equal(other.state.phase.kind, 'killing', 'the slot now belongs to another topology');
    const dead = recoverSlot(6700, A, { ...found, alive: false }, 100_000, T);
    assert.deepEqual(kinds(dead.effects), ['cleanup', 'wake']);
    assert.ok(!dead.effects.some((e) => e.type === 'log' && e.message.includes('adopted')));
  });

  it('nothing found: starts what is assigned', () => {
    assert.deepEqual(recoverSlot(6700, A, undefined, 0, T).effects, [{ type: 'ensure-package', packageId: PKG }]);
    assert.deepEqual(recoverSlot(6700, undefined, undefined, 0, T).state.phase, { kind: 'empty' });
  });
});

describe('desired slots from the assignments', () => {
  const assignment = (topologyId: string, executors: Array<[number, number, string, number]>): Assignment => ({
    topologyId, nodeHost: { sup: '127.0.0.2', other: '127.0.0.3' }, assignedAtMs: 0,
    executors: executors.map(([startTask, endTask, supervisorId, port]) => ({ startTask, endTask, supervisorId, port })),
  });

  it('takes this supervisor\'s executors, per port, sorted, with the worker id and package', () => {
    const d = desiredSlots({
      supervisorId: 'sup', ports: [6700, 6701],
      assignments: new Map([['wc-1-100', assignment('wc-1-100', [[5, 5, 'sup', 6700], [1, 2, 'sup', 6700], [3, 4, 'other', 6700], [6, 6, 'sup', 6701]])]]),
      packageIds: new Map([['wc-1-100', PKG]]),
    });
    assert.deepEqual(d.problems, []);
    assert.deepEqual(d.slots.get(6700), { topologyId: 'wc-1-100', workerId: workerIdOf('wc-1-100', 'sup', 6700), packageId: PKG, executors: [[1, 2], [5, 5]] });
    assert.equal(d.slots.get(6700)?.workerId, 'wc-1-100-sup-6700');
    assert.deepEqual(d.slots.get(6701)?.executors, [[6, 6]]);
  });

  it('reports ports it does not offer, unknown packages and double bookings (first topology id wins)', () => {
    const d = desiredSlots({
      supervisorId: 'sup', ports: [6700],
      assignments: new Map([
        ['b-1-1', assignment('b-1-1', [[1, 1, 'sup', 6700]])],
        ['a-1-1', assignment('a-1-1', [[1, 1, 'sup', 6700], [2, 2, 'sup', 6799]])],
        ['c-1-1', assignment('c-1-1', [[1, 1, 'sup', 6700]])],
      ]),
      packageIds: new Map([['a-1-1', PKG], ['b-1-1', PKG2]]),
    });
    assert.equal(d.slots.get(6700)?.topologyId, 'a-1-1');
    assert.equal(d.slots.size, 1);
    assert.equal(d.problems.length, 3);
    assert.ok(d.problems.some((p) => p.includes('6799')));
    assert.ok(d.problems.some((p) => p.includes('both a-1-1 and b-1-1')));
    assert.ok(d.problems.some((p) => p.includes('c-1-1') && p.includes('record')));
  });
});

describe('counters reported to nimbus', () => {
  it('turn the mean complete latency back into a sum and keep counts whole', () => {
    const c = componentCounters({ componentId: 'spout', kind: 'spout', emitted: 10, transferred: 20, executed: 0, acked: 4, failed: 1, completeLatencyMs: 2.5, errors: 0 });
    assert.deepEqual(c, { componentId: 'spout', emitted: 10, transferred: 20, executed: 0, acked: 4, failed: 1, errors: 0, completeLatencyMsSum: 10, executeLatencyMsSum: 0 });
    assert.equal(componentCounters({ componentId: 'b', kind: 'bolt', emitted: 0, transferred: 0, executed: 3, acked: 3, failed: 0, completeLatencyMs: null, errors: 2 }).completeLatencyMsSum, 0);
  });
});
