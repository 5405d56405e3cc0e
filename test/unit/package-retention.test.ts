/**
 * The pure rules of package cleanup: which packages a nimbus deletes (recorded topologies of any
 * status, the inbox of unconsumed uploads and its expiration) and which extracted packages a
 * supervisor deletes (what its slots are assigned, wait for, launch or still run, adopted
 * workers included, and downloads in progress).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  inboxExpired, planPackageRemoval, recordSubmit, recordUpload, type InboxEntry, type RecordedTopology, type RetentionInput,
} from '../../src/nimbus/package-retention.js';
import { isRemovablePackage, packagesInUse, packagesToRemove } from '../../src/supervisor/package-retention.js';
import { emptySlot, recoverSlot, step, type SlotAssignment, type SlotState, type SlotTiming } from '../../src/supervisor/slot.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const HOUR = 3_600_000;

function input(over: Partial<RetentionInput>): RetentionInput {
  return { stored: [], topologies: [], inbox: new Map(), nowMs: 10 * HOUR, inboxExpirationMs: HOUR, expireInbox: false, ...over };
}
const topo = (id: string, packageId: string, status = 'ACTIVE'): RecordedTopology => ({ id, packageId, status });

describe('nimbus: which packages go', () => {
  test('the package of a removed topology goes; one another topology shares stays', () => {
    const plan = planPackageRemoval(input({ stored: [A, B], topologies: [topo('beta-2-1', B), topo('gamma-3-1', B)] }));
    assert.deepEqual(plan, { remove: [A], expire: [] });
  });

  test('every status keeps its package, KILLED (waiting out its kill wait) included', () => {
    for (const status of ['ACTIVE', 'INACTIVE', 'REBALANCING', 'KILLED']) {
      const plan = planPackageRemoval(input({ stored: [A], topologies: [topo('alpha-1-1', A, status)] }));
      assert.deepEqual(plan.remove, [], status);
    }
  });

  test('an upload waiting for its submit is kept by passes that do not expire the inbox, however old', () => {
    const inbox = new Map<string, InboxEntry>([[A, { uploadedAtMs: 0, pending: 1 }]]);
    assert.deepEqual(planPackageRemoval(input({ stored: [A], inbox })), { remove: [], expire: [] });
  });

  test('the inbox pass deletes an upload no submit used within the expiration, and keeps a younger one', () => {
    const now = 10 * HOUR;
    const inbox = new Map<string, InboxEntry>([
      [A, { uploadedAtMs: now - HOUR, pending: 1 }], // exactly expired
      [B, { uploadedAtMs: now - HOUR + 1, pending: 1 }], // 1 ms short
    ]);
    const plan = planPackageRemoval(input({ stored: [A, B], inbox, nowMs: now, expireInbox: true }));
    assert.deepEqual(plan, { remove: [A], expire: [A] });
  });

  test('an expired upload of a package a topology uses drops from the inbox but the package stays', () => {
    const inbox = new Map<string, InboxEntry>([[A, { uploadedAtMs: 0, pending: 1 }]]);
    const plan = planPackageRemoval(input({ stored: [A], topologies: [topo('alpha-1-1', A)], inbox, expireInbox: true }));
    assert.deepEqual(plan, { remove: [], expire: [A] });
  });

  test('an inbox entry whose package is not stored (yet) is only expired, never "removed"', () => {
    const inbox = new Map<string, InboxEntry>([[C, { uploadedAtMs: 0, pending: 1 }]]);
    assert.deepEqual(planPackageRemoval(input({ stored: [], inbox, expireInbox: true })), { remove: [], expire: [C] });
  });

  test('each submit consumes one upload: two uploads of the same bytes, one submit, still kept', () => {
    let inbox: Map<string, InboxEntry> = recordUpload(new Map(), A, 100);
    inbox = recordUpload(inbox, A, 200);
    assert.deepEqual(inbox.get(A), { uploadedAtMs: 200, pending: 2 });
    inbox = recordSubmit(inbox, A);
    assert.deepEqual(planPackageRemoval(input({ stored: [A], inbox, nowMs: 300 })).remove, [], 'the second upload still waits for its submit');
    inbox = recordSubmit(inbox, A);
    assert.equal(inbox.has(A), false);
    assert.deepEqual(planPackageRemoval(input({ stored: [A], inbox, nowMs: 300 })).remove, [A]);
    assert.equal(recordSubmit(inbox, B).size, 0, 'a submit of a package never uploaded here changes nothing');
  });

  test('the expiration is measured from the latest upload', () => {
    const entry = recordUpload(recordUpload(new Map(), A, 0), A, HOUR).get(A)!;
    assert.equal(inboxExpired(entry, HOUR + HOUR - 1, HOUR), false);
    assert.equal(inboxExpired(entry, 2 * HOUR, HOUR), true);
  });

  test('duplicates in the store listing are reported once, sorted', () => {
    assert.deepEqual(planPackageRemoval(input({ stored: [B, A, B] })).remove, [A, B]);
  });
});

describe('supervisor: which extracted packages go', () => {
  const timing: SlotTiming = { workerTimeoutMs: 30_000, workerStartTimeoutMs: 120_000, killGraceMs: 5_000, restartDelayMs: 1_000, maxRestartDelayMs: 30_000 };
  const assignment = (topologyId: string, packageId: string, port = 6700): SlotAssignment => ({
    topologyId, workerId: `${topologyId}-sup-${port}`, packageId, executors: [[1, 1]],
  });

  test('assigned, waiting for it, launching, starting, running: in use', () => {
    const a = assignment('alpha-1-1', A);
    let s: SlotState = emptySlot(6700);
    s = step(s, { type: 'assignment', nowMs: 0, desired: a }, timing).state;
    assert.equal(s.phase.kind, 'waiting-for-package');
    assert.deepEqual([...packagesInUse([s])], [A]);
    s = step(s, { type: 'package-ready', nowMs: 1, packageId: A }, timing).state;
    assert.equal(s.phase.kind, 'launching');
    assert.deepEqual([...packagesInUse([{ ...s, desired: undefined }])], [A], 'launching keeps it without the assignment');
    s = step(s, { type: 'launched', nowMs: 2, workerId: a.workerId, pid: 4242 }, timing).state;
    assert.deepEqual([...packagesInUse([{ ...s, desired: undefined }])], [A], 'a started worker keeps it');
  });

  test('unassigned: kept while the worker is being killed, released once it has exited', () => {
    const a = assignment('alpha-1-1', A);
    let s: SlotState = { port: 6700, desired: a, phase: { kind: 'running', worker: { pid: 4242, workerId: a.workerId, startedAtMs: 0, assignment: a }, lastHeartbeatMs: 0 }, failures: 0 };
    s = step(s, { type: 'assignment', nowMs: 10, desired: undefined }, timing).state;
    assert.equal(s.phase.kind, 'killing');
    assert.deepEqual([...packagesInUse([s])], [A], 'the worker still runs from it');
    assert.deepEqual(packagesToRemove([A], packagesInUse([s]), new Set()), []);
    const r = step(s, { type: 'worker-exited', nowMs: 20, pid: 4242, code: 0, signal: null }, timing);
    assert.equal(r.state.phase.kind, 'empty');
    assert.ok(r.effects.some((e) => e.type === 'cleanup'));
    assert.deepEqual(packagesToRemove([A], packagesInUse([r.state]), new Set()), [A]);
  });

  test('an adopted worker keeps its package even when no longer assigned (killed first)', () => {
    const found = { pid: 4242, workerId: 'alpha-1-1-sup-6700', topologyId: 'alpha-1-1', packageId: A, startedAtMs: 0, alive: true, heartbeatMs: 5 };
    const adopted = recoverSlot(6700, undefined, found, 10, timing).state;
    assert.equal(adopted.phase.kind, 'killing');
    assert.deepEqual([...packagesInUse([adopted])], [A]);
    const running = recoverSlot(6700, assignment('alpha-1-1', A), found, 10, timing).state;
    assert.equal(running.phase.kind, 'running');
    assert.deepEqual([...packagesInUse([running])], [A]);
  });

  test('a slot in backoff with nothing assigned holds nothing; with its assignment it holds the package', () => {
    const backoff: SlotState = { port: 6700, desired: undefined, phase: { kind: 'backoff', untilMs: 100 }, failures: 1 };
    assert.equal(packagesInUse([backoff]).size, 0);
    assert.deepEqual([...packagesInUse([{ ...backoff, desired: assignment('alpha-1-1', A) }])], [A]);
  });

  test('an assignment the slots have not seen yet keeps its package', () => {
    assert.deepEqual([...packagesInUse([emptySlot(6700)], [assignment('beta-2-1', B)])], [B]);
  });

  test('only package directories nobody uses and nobody downloads go; temporary entries never', () => {
    const entries = [A, B, C, `.download-${A}-1234.tar.gz`, `${A}.partial-99`, 'README'];
    assert.deepEqual(packagesToRemove(entries, new Set([B]), new Set([C])), [A]);
    assert.equal(isRemovablePackage(C, new Set(), new Set([C])), false);
    assert.equal(isRemovablePackage(C, new Set(), new Set()), true);
  });
});
