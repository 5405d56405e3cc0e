/**
 * A gRPC component that stops answering without going away (SIGSTOP: a frozen process, a
 * hung machine, a silent network) must be noticed, and nothing may be lost. Two detectors:
 * - a task that owes an answer (a bolt always does: heartbeats, tuples) and hears nothing for
 *   topology.subprocess.timeout.secs kills the process group and starts a new process;
 * - an idle stream owes nothing, so only gRPC keepalive pings (squall.grpc.keepalive.secs)
 *   can tell: the unanswered ping drops the connection and the task reconnects with backoff.
 * Real processes, real gRPC on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { createHostFactory } from '../../src/hosts/factory.js';
import { freeLoopbackPort } from '../../src/hosts/grpc/free-port.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compilePlan } from '../../src/topology/plan.js';
import {
  alive, assertExact, errorsOf, expectedCounts, launched, readEvents, readPid, SENTENCES, SERVE, startService, topology, type Service,
} from '../fixtures/grpc/harness.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The `restarting in N ms` delays the task logged, oldest first. */
function restartDelays(logger: MemoryLogger, component: string): number[] {
  return logger.records
    .filter((r) => r.meta['component'] === component && r.msg.startsWith('restarting in'))
    .map((r) => Number(/(\d+) ms/.exec(r.msg)![1]));
}

describe('gRPC component liveness', { concurrency: 1 }, () => {
  test('a launched bolt frozen mid-stream: timeout names it, its group is killed, a new process takes over, nothing lost', { timeout: 90_000 }, async (t) => {
    const key = 'grpc-frozen-bolt';
    const repeat = 300;
    const state = mkdtempSync(join(tmpdir(), 'squall-grpc-'));
    const plan = topology(key, launched(state), repeat, 2, { 'topology.subprocess.timeout.secs': 2 });
    const [victim, sibling] = plan.components.get('split')!.tasks as [number, number];
    const rt = await Runtime.create({ plan, factory: createHostFactory({ baseEnv: process.env }) });
    const pids: number[] = [];
    try {
      const frozen = readPid(state, victim)!;
      const siblingPid = readPid(state, sibling)!;
      pids.push(frozen, siblingPid);
      rt.start();
      const b = board(key);
      await waitFor(() => b.acked.size >= 30, 20_000, 'some progress');
      process.kill(frozen, 'SIGSTOP');
      const frozenAt = Date.now();
      // Shuffle keeps routing to the frozen task until max.spout.pending trees are stuck there.
      const timedOut = new RegExp(`component did not answer for \\d+ s \\(topology.subprocess.timeout.secs is 2\\) \\(.*component split, task ${victim}, pid ${frozen}\\)`);
      await waitFor(() => timedOut.test(errorsOf(rt, 'split')), 30_000, 'the timeout reported');
      t.diagnostic(`frozen process reported ${Date.now() - frozenAt} ms after SIGSTOP`);
      await waitFor(() => !alive(frozen), 10_000, 'the frozen process killed (SIGKILL to its group)');
      await waitFor(() => b.acked.size === SENTENCES.length * repeat, 60_000, 'every message acked');
      assertExact(key, repeat);
      assert.ok(b.failed.size > 0, 'the tuples stuck in the frozen process were failed (and replayed)');
      const restarted = readPid(state, victim)!;
      pids.push(restarted);
      assert.notEqual(restarted, frozen, 'a new process serves the task');
      assert.equal(readPid(state, sibling), siblingPid, 'the sibling kept its process');
      const errors = rt.stats().find((s) => s.componentId === 'split')!.lastErrors;
      assert.deepEqual(errors.map((e) => e.task), [victim], `one error, the timeout, and none for the sibling:\n${errorsOf(rt, 'split')}`);
    } finally {
      await rt.close();
      for (const pid of pids) tryKill(pid, 'SIGCONT');
    }
    await waitFor(() => pids.every((p) => !alive(p)), 5000, 'no component process left running');
  });

  test('a grpc: {address} spout frozen while its stream is idle: keepalive breaks the stream, backoff, resumes after SIGCONT', { timeout: 90_000 }, async (t) => {
    const key = 'grpc-frozen-idle';
    const batch = 30; // sentences per activation
    const keepaliveSecs = 2;
    const state = mkdtempSync(join(tmpdir(), 'squall-grpc-'));
    const events = (): string[] => readEvents(state);
    const acks = (): string[] => events().filter((e) => e.startsWith('ack ')).map((e) => e.slice(4));
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    const service: Service = await startService(['batch-spout', state, String(batch)], address);
    const spec = makeSpec(key, [{ id: 'sentences', outputs: ['sentence'] }], [
      { id: 'split', export: 'SplitBolt', outputs: ['word'], inputs: [{ from: 'sentences' }] },
      { id: 'count', export: 'CountBolt', args: [key], parallelism: 2, outputs: ['word', 'count'], inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
    ], {
      'topology.max.spout.pending': 10,
      'squall.grpc.keepalive.secs': keepaliveSecs,
      // Far beyond the test: the liveness check must play no part, keepalive alone detects.
      'topology.subprocess.timeout.secs': 600,
    });
    spec.spouts[0]!.impl = { kind: 'grpc', address };
    const plan = compilePlan(spec);
    const [task] = plan.components.get('sentences')!.tasks as [number];
    const logger = new MemoryLogger();
    const rt = await Runtime.create({ plan, factory: createHostFactory(), logger });
    try {
      rt.start();
      await waitFor(() => acks().length === batch, 20_000, 'the first batch acked');
      rt.deactivate();
      await waitFor(() => events().includes('deactivate'), 10_000, 'the spout deactivated');
      // The stream is idle now: nothing in flight, no command outstanding, no heartbeats (spouts get none).
      process.kill(service.pid, 'SIGSTOP');
      const frozenAt = Date.now();
      const broken = new RegExp(
        `the gRPC stream to the component at ${address} broke: UNAVAILABLE: Connection dropped \\(the connection closed, or a keepalive ping went unanswered for 1 s; squall.grpc.keepalive.secs is 2\\) \\(.*component sentences, task ${task}, pid ${service.pid}\\)`,
      );
      // Interval + timeout is 3 s; the bound is generous for a busy machine yet below the 10 s default interval.
      await waitFor(() => broken.test(errorsOf(rt, 'sentences')), 9_000, 'the broken stream reported while idle').catch((err: unknown) => {
        throw new Error(`${String(err)}; errors: ${errorsOf(rt, 'sentences') || '(none)'}`);
      });
      t.diagnostic(`idle frozen service reported ${Date.now() - frozenAt} ms after SIGSTOP`);
      await waitFor(() => restartDelays(logger, 'sentences').length >= 2, 30_000, 'a second reconnect attempt while frozen');
      const d = restartDelays(logger, 'sentences');
      assert.ok(d[1]! > d[0]!, `backoff grows: ${d.join(', ')}`);
      // The frozen kernel still accepts TCP connections; the HTTP/2 handshake is what never comes.
      assert.match(errorsOf(rt, 'sentences'), new RegExp(`the gRPC component at ${address} did not complete the connection within 3 s \\(1.5 x squall.grpc.keepalive.secs\\) \\(.*component sentences, task ${task}\\b`));
      assert.equal(events().filter((e) => e === 'open').length, 1, 'no stream reached the frozen service');
      process.kill(service.pid, 'SIGCONT');
      await waitFor(() => events().filter((e) => e === 'open').length >= 2, 30_000, 'a new stream opened after SIGCONT');
      rt.activate();
      await waitFor(() => acks().length === 2 * batch, 30_000, 'the second batch acked');
      const want = Array.from({ length: 2 * batch }, (_, i) => `m${i}`).sort();
      assert.deepEqual([...acks()].sort(), want, 'every message id acked exactly once');
      assert.deepEqual(events().filter((e) => e.startsWith('fail ')), [], 'nothing was in flight, nothing failed');
      assert.deepEqual(new Map([...board(key).counts].sort()), new Map([...expectedCounts((2 * batch) / SENTENCES.length)].sort()), 'every word counted exactly');
    } finally {
      await rt.close();
      await service.stop();
    }
  });
  test('a launched spout frozen while idle: keepalive breaks the stream, the reconnect times out within a keepalive window, a fresh process takes over', { timeout: 90_000 }, async (t) => {
    const key = 'grpc-frozen-launched-idle';
    const batch = 30;
    const state = mkdtempSync(join(tmpdir(), 'squall-grpc-'));
    const events = (): string[] => readEvents(state);
    const acks = (): string[] => events().filter((e) => e.startsWith('ack '));
    const spec = makeSpec(key, [{ id: 'sentences', outputs: ['sentence'] }], [
      { id: 'split', export: 'SplitBolt', outputs: ['word'], inputs: [{ from: 'sentences' }] },
      { id: 'count', export: 'CountBolt', args: [key], outputs: ['word', 'count'], inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
    ], {
      'topology.max.spout.pending': 10,
      'squall.grpc.keepalive.secs': 2,
      'topology.subprocess.timeout.secs': 600,
    });
    spec.spouts[0]!.impl = { kind: 'grpc', command: [process.execPath, '--import', 'tsx', SERVE, 'batch-spout', state, String(batch)] };
    const plan = compilePlan(spec);
    const rt = await Runtime.create({ plan, factory: createHostFactory({ baseEnv: process.env }), logger: new MemoryLogger() });
    let frozen = 0;
    try {
      rt.start();
      await waitFor(() => acks().length === batch, 30_000, 'the first batch acked');
      rt.deactivate();
      await waitFor(() => events().includes('deactivate'), 10_000, 'the spout deactivated');
      const pid = /serving pid (\d+)/.exec(events().join('\n'));
      frozen = pid ? Number(pid[1]) : 0;
      assert.ok(frozen > 0, 'the spout process recorded its pid');
      process.kill(frozen, 'SIGSTOP');
      const frozenAt = Date.now();
      const reconnectTimedOut = /did not complete the connection within 3 s \(1.5 x squall.grpc.keepalive.secs\)/;
      await waitFor(() => reconnectTimedOut.test(errorsOf(rt, 'sentences')), 30_000, 'the reconnect to the frozen process timed out');
      t.diagnostic(`frozen launched process given up ${Date.now() - frozenAt} ms after SIGSTOP`);
      await waitFor(() => !alive(frozen), 10_000, 'the frozen process killed (SIGKILL to its group)');
      await waitFor(() => events().filter((e) => e === 'open').length >= 2, 30_000, 'a fresh process opened a stream');
      rt.activate();
      await waitFor(() => acks().length === 2 * batch, 30_000, 'the second batch acked').catch((err: unknown) => {
        throw new Error(`${String(err)}; events: ${events().filter((e) => !e.startsWith('ack ')).join(' | ')}; acks ${acks().length}; errors: ${errorsOf(rt, 'sentences')}`);
      });
      assert.deepEqual(events().filter((e) => e.startsWith('fail ')), [], 'nothing was in flight, nothing failed');
    } finally {
      await rt.close();
      if (frozen > 0) tryKill(frozen, 'SIGCONT');
    }
  });
});
