/**
 * The topology status machine: every transition Storm defines, the no-ops, the stale timers,
 * and every refused user event (with the allowed ones listed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import {
  allowedEvents, initialState, InvalidTransitionError, step,
  type TopologyEvent, type TopologyState, type TopologyStatus, type UserEventType,
} from '../../src/nimbus/topology-status.js';

const T0 = 1_000_000;
const ACTIVE: TopologyState = { status: 'ACTIVE' };
const INACTIVE: TopologyState = { status: 'INACTIVE' };
const KILLED: TopologyState = { status: 'KILLED', waitSecs: 30, removeAtMs: T0 + 30_000 };
const REBALANCING: TopologyState = {
  status: 'REBALANCING', previous: 'ACTIVE', waitSecs: 10, rebalanceAtMs: T0 + 10_000, request: { numWorkers: 2 },
};

describe('topology status: activate / deactivate', () => {
  it('starts ACTIVE, or INACTIVE when submitted inactive', () => {
    assert.deepEqual(initialState(), ACTIVE);
    assert.deepEqual(initialState(false), INACTIVE);
  });

  it('ACTIVE → INACTIVE deactivates the spouts', () => {
    assert.deepEqual(step(ACTIVE, { type: 'deactivate' }, T0), { state: INACTIVE, effects: [{ kind: 'deactivate' }] });
  });

  it('INACTIVE → ACTIVE activates the spouts', () => {
    assert.deepEqual(step(INACTIVE, { type: 'activate' }, T0), { state: ACTIVE, effects: [{ kind: 'activate' }] });
  });

  it('activating an ACTIVE topology and deactivating an INACTIVE one are no-ops (Storm NOOP)', () => {
    assert.deepEqual(step(ACTIVE, { type: 'activate' }, T0), { state: ACTIVE, effects: [] });
    assert.deepEqual(step(INACTIVE, { type: 'deactivate' }, T0), { state: INACTIVE, effects: [] });
  });
});

describe('topology status: kill', () => {
  it('ACTIVE → KILLED: deactivate now, remove after the message timeout by default', () => {
    const r = step(ACTIVE, { type: 'kill' }, T0, { messageTimeoutSecs: 45 });
    assert.deepEqual(r.state, { status: 'KILLED', waitSecs: 45, removeAtMs: T0 + 45_000 });
    assert.deepEqual(r.effects, [
      { kind: 'deactivate' },
      { kind: 'schedule-timer', atMs: T0 + 45_000, event: { type: 'remove', dueMs: T0 + 45_000 } },
    ]);
  });

  it('uses Storm\'s 30 s default when no timeout is given, and an explicit wait when asked', () => {
    assert.deepEqual(step(INACTIVE, { type: 'kill' }, T0).state, { status: 'KILLED', waitSecs: 30, removeAtMs: T0 + 30_000 });
    const r = step(INACTIVE, { type: 'kill', waitSecs: 0 }, T0, { messageTimeoutSecs: 45 });
    assert.deepEqual(r.state, { status: 'KILLED', waitSecs: 0, removeAtMs: T0 });
    assert.deepEqual(r.effects, [{ kind: 'schedule-timer', atMs: T0, event: { type: 'remove', dueMs: T0 } }], 'no deactivate: spouts were not running');
  });

  it('the remove timer removes the topology', () => {
    assert.deepEqual(step(KILLED, { type: 'remove', dueMs: KILLED.removeAtMs }, T0 + 30_000), {
      state: null, effects: [{ kind: 'remove-topology' }],
    });
  });

  it('killing again can bring removal forward but never postpone it', () => {
    const sooner = step(KILLED, { type: 'kill', waitSecs: 5 }, T0 + 1_000);
    assert.deepEqual(sooner.state, { status: 'KILLED', waitSecs: 5, removeAtMs: T0 + 6_000 });
    assert.deepEqual(sooner.effects, [
      { kind: 'cancel-timer', event: { type: 'remove', dueMs: T0 + 30_000 } },
      { kind: 'schedule-timer', atMs: T0 + 6_000, event: { type: 'remove', dueMs: T0 + 6_000 } },
    ]);
    assert.deepEqual(step(KILLED, { type: 'kill', waitSecs: 300 }, T0 + 1_000), { state: KILLED, effects: [] });
  });

  it('a stale remove timer (replaced by a later kill) is ignored', () => {
    const sooner = step(KILLED, { type: 'kill', waitSecs: 5 }, T0 + 1_000).state!;
    assert.deepEqual(step(sooner, { type: 'remove', dueMs: T0 + 30_000 }, T0 + 30_000), { state: sooner, effects: [] });
  });

  it('REBALANCING → KILLED cancels the rebalance', () => {
    const r = step(REBALANCING, { type: 'kill', waitSecs: 1 }, T0);
    assert.deepEqual(r.state, { status: 'KILLED', waitSecs: 1, removeAtMs: T0 + 1_000 });
    assert.deepEqual(r.effects, [
      { kind: 'cancel-timer', event: { type: 'do-rebalance', dueMs: T0 + 10_000 } },
      { kind: 'schedule-timer', atMs: T0 + 1_000, event: { type: 'remove', dueMs: T0 + 1_000 } },
    ]);
    assert.deepEqual(step(r.state, { type: 'do-rebalance', dueMs: T0 + 10_000 }, T0 + 10_000).effects, [], 'the old rebalance timer is stale');
  });

  it('refuses a negative or non-finite wait', () => {
    assert.throws(() => step(ACTIVE, { type: 'kill', waitSecs: -1 }, T0), UsageError);
    assert.throws(() => step(ACTIVE, { type: 'kill', waitSecs: Number.NaN }, T0), UsageError);
    assert.throws(() => step(ACTIVE, { type: 'kill' }, Number.POSITIVE_INFINITY), UsageError);
  });
});

describe('topology status: rebalance', () => {
  it('ACTIVE → REBALANCING: deactivate, wait, then reschedule and come back ACTIVE', () => {
    const start = step(ACTIVE, { type: 'rebalance', waitSecs: 10, numWorkers: 2, executors: { split: 4 } }, T0);
    assert.deepEqual(start.state, {
      status: 'REBALANCING', previous: 'ACTIVE', waitSecs: 10, rebalanceAtMs: T0 + 10_000, request: { numWorkers: 2, executors: { split: 4 } },
    });
    assert.deepEqual(start.effects, [
      { kind: 'deactivate' },
      { kind: 'schedule-timer', atMs: T0 + 10_000, event: { type: 'do-rebalance', dueMs: T0 + 10_000 } },
    ]);
    const done = step(start.state, { type: 'do-rebalance', dueMs: T0 + 10_000 }, T0 + 10_000);
    assert.deepEqual(done, {
      state: ACTIVE,
      effects: [{ kind: 'reschedule', request: { numWorkers: 2, executors: { split: 4 } } }, { kind: 'activate' }],
    });
  });

  it('INACTIVE → REBALANCING → INACTIVE: no activation either way', () => {
    const start = step(INACTIVE, { type: 'rebalance' }, T0, { messageTimeoutSecs: 3 });
    assert.deepEqual(start.state, { status: 'REBALANCING', previous: 'INACTIVE', waitSecs: 3, rebalanceAtMs: T0 + 3_000, request: {} });
    assert.deepEqual(start.effects.map((e) => e.kind), ['schedule-timer']);
    const done = step(start.state, { type: 'do-rebalance', dueMs: T0 + 3_000 }, T0 + 3_000);
    assert.deepEqual(done, { state: INACTIVE, effects: [{ kind: 'reschedule', request: {} }] });
  });

  it('refuses malformed counts (whether they fit the tasks is the scheduler\'s check)', () => {
    assert.throws(() => step(ACTIVE, { type: 'rebalance', numWorkers: 0 }, T0), UsageError);
    assert.throws(() => step(ACTIVE, { type: 'rebalance', numWorkers: 1.5 }, T0), UsageError);
    assert.throws(() => step(ACTIVE, { type: 'rebalance', executors: { split: 0 } }, T0), UsageError);
  });
});

describe('topology status: startup re-arms timers from persisted deadlines', () => {
  it('KILLED re-arms removal at the original deadline', () => {
    assert.deepEqual(step(KILLED, { type: 'startup' }, T0 + 20_000), {
      state: KILLED, effects: [{ kind: 'schedule-timer', atMs: T0 + 30_000, event: { type: 'remove', dueMs: T0 + 30_000 } }],
    });
  });

  it('REBALANCING re-arms the rebalance at the original deadline', () => {
    assert.deepEqual(step(REBALANCING, { type: 'startup' }, T0 + 60_000), {
      state: REBALANCING, effects: [{ kind: 'schedule-timer', atMs: T0 + 10_000, event: { type: 'do-rebalance', dueMs: T0 + 10_000 } }],
    });
  });

  it('ACTIVE and INACTIVE have nothing to re-arm', () => {
    assert.deepEqual(step(ACTIVE, { type: 'startup' }, T0), { state: ACTIVE, effects: [] });
    assert.deepEqual(step(INACTIVE, { type: 'startup' }, T0), { state: INACTIVE, effects: [] });
  });
});

describe('topology status: timers in the wrong state are stale, never errors', () => {
  const timers: TopologyEvent[] = [{ type: 'remove', dueMs: T0 }, { type: 'do-rebalance', dueMs: T0 }];
  for (const state of [ACTIVE, INACTIVE, KILLED, REBALANCING]) {
    for (const timer of timers) {
      it(`${timer.type} while ${state.status} with a deadline it was not armed for`, () => {
        assert.deepEqual(step(state, timer, T0), { state, effects: [] });
      });
    }
  }
});

describe('topology status: refused transitions', () => {
  const cases: Array<[TopologyState, UserEventType]> = [
    [KILLED, 'activate'], [KILLED, 'deactivate'], [KILLED, 'rebalance'],
    [REBALANCING, 'activate'], [REBALANCING, 'deactivate'], [REBALANCING, 'rebalance'],
  ];
  for (const [state, type] of cases) {
    it(`${type} while ${state.status}`, () => {
      assert.throws(() => step(state, { type }, T0), (e: unknown) => {
        assert.ok(e instanceof InvalidTransitionError);
        assert.equal(e.code, 'E_INVALID_TRANSITION');
        assert.equal(e.status, state.status);
        assert.equal(e.event, type);
        assert.deepEqual(e.allowed, ['kill']);
        assert.match(e.message, new RegExp(`cannot ${type} a topology that is ${state.status}; allowed: kill`));
        assert.equal(e.retriable, state.status === 'REBALANCING', 'a rebalance ends by itself; a kill does not');
        return true;
      });
    });
  }

  it('every user event is allowed in ACTIVE and INACTIVE; only kill otherwise', () => {
    const expected: Record<TopologyStatus, UserEventType[]> = {
      ACTIVE: ['activate', 'deactivate', 'rebalance', 'kill'],
      INACTIVE: ['activate', 'deactivate', 'rebalance', 'kill'],
      KILLED: ['kill'],
      REBALANCING: ['kill'],
    };
    for (const [status, events] of Object.entries(expected)) assert.deepEqual(allowedEvents(status as TopologyStatus), events);
  });

  it('step is pure: the input state is not modified', () => {
    const state = structuredClone(REBALANCING);
    step(state, { type: 'kill' }, T0);
    step(state, { type: 'do-rebalance', dueMs: state.rebalanceAtMs }, T0);
    assert.deepEqual(state, REBALANCING);
  });
});
