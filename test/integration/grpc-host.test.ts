/**
 * gRPC components end to end: real gRPC on 127.0.0.1, real launched processes. A JS spout feeds
 * a gRPC split bolt feeding a JS count bolt; every message id must be acked exactly once and
 * every word counted exactly, whatever happens to the component (kill -9, an oversized batch,
 * a service that is not there yet).
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
import { serveComponent } from '../../src/sdk/grpc-component.js';
import { compilePlan } from '../../src/topology/plan.js';
import { LedgerSpout, SplitBolt, type Ledger } from '../fixtures/grpc/components.js';
import { alive, assertExact, errorsOf, expectedCounts, launched, readPid, SENTENCES, topology } from '../fixtures/grpc/harness.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

describe('gRPC components', { concurrency: 1 }, () => {
  test('kill -9 of a launched component: its tuples are failed and replayed, it restarts, nothing is lost', { timeout: 60_000 }, async () => {
    const key = 'grpc-kill';
    const repeat = 400;
    const state = mkdtempSync(join(tmpdir(), 'squall-grpc-'));
    const plan = topology(key, launched(state), repeat, 2);
    const [victim, sibling] = plan.components.get('split')!.tasks as [number, number];
    const rt = await Runtime.create({ plan, factory: createHostFactory({ baseEnv: process.env }) });
    const pids: number[] = [];
    try {
      const first = { victim: readPid(state, victim)!, sibling: readPid(state, sibling)! };
      assert.ok(first.victim > 0 && first.sibling > 0 && first.victim !== first.sibling, 'one process per task');
      pids.push(first.victim, first.sibling);
      rt.start();
      const b = board(key);
      await waitFor(() => b.acked.size >= 30, 20_000, 'some progress');
      process.kill(first.victim, 'SIGKILL');
      await waitFor(() => b.acked.size === SENTENCES.length * repeat, 45_000, 'every message acked');
      assertExact(key, repeat);
      assert.ok(b.failed.size > 0, 'the in-flight tuples of the killed process were failed (and replayed)');
      const errors = errorsOf(rt, 'split');
      assert.match(errors, new RegExp(`killed by SIGKILL \\(.*component split, task ${victim}, pid ${first.victim}`));
      assert.doesNotMatch(errors, new RegExp(`task ${sibling}\\b`), 'the sibling had no error');
      const restarted = readPid(state, victim)!;
      pids.push(restarted);
      assert.notEqual(restarted, first.victim, 'a new process serves the task');
      assert.equal(readPid(state, sibling), first.sibling, 'the sibling kept its process');
    } finally {
      await rt.close();
    }
    await waitFor(() => pids.every((p) => !alive(p)), 5000, 'no component process left running');
  });

  test('a batch over squall.grpc.max.message.bytes: RESOURCE_EXHAUSTED reported, same process, nothing lost', { timeout: 60_000 }, async () => {
    const key = 'grpc-huge';
    const repeat = 40;
    const state = mkdtempSync(join(tmpdir(), 'squall-grpc-'));
    const plan = topology(key, launched(state, 'huge-once'), repeat, 1, { 'squall.grpc.max.message.bytes': 1024 * 1024 });
    const [task] = plan.components.get('split')!.tasks as [number];
    const rt = await Runtime.create({ plan, factory: createHostFactory({ baseEnv: process.env }) });
    const pid = readPid(state, task)!;
    try {
      rt.start();
      await waitFor(() => board(key).acked.size === SENTENCES.length * repeat, 45_000, 'every message acked');
      assertExact(key, repeat);
      assert.ok(board(key).failed.size > 0, 'the tuples of the broken stream were failed and replayed');
      const errors = errorsOf(rt, 'split');
      assert.match(errors, /RESOURCE_EXHAUSTED/);
      assert.match(errors, new RegExp(`larger than squall.grpc.max.message.bytes \\(1048576 bytes\\).*task ${task}, pid ${pid}`, 's'));
      assert.equal(readPid(state, task), pid, 'the component process survived');
      assert.ok(alive(pid));
    } finally {
      await rt.close();
    }
    await waitFor(() => !alive(pid), 5000, 'the component process stopped with the topology');
  });

  test('an address with nothing listening: "connection refused", growing backoff, then it connects', { timeout: 60_000 }, async () => {
    const key = 'grpc-refused';
    const repeat = 20;
    const port = await freeLoopbackPort();
    const address = `127.0.0.1:${port}`;
    const plan = topology(key, { kind: 'grpc', address }, repeat, 1);
    const [task] = plan.components.get('split')!.tasks as [number];
    const logger = new MemoryLogger();
    const rt = await Runtime.create({ plan, factory: createHostFactory(), logger });
    const delays = (): number[] => logger.records
      .filter((r) => r.meta['component'] === 'split' && r.msg.startsWith('restarting in'))
      .map((r) => Number(/(\d+) ms/.exec(r.msg)![1]));
    try {
      rt.start();
      await waitFor(() => delays().length >= 3, 20_000, 'three reconnect attempts');
      const errors = errorsOf(rt, 'split');
      assert.match(errors, new RegExp(`cannot connect to the gRPC component at ${address}: connection refused .*topology ${key}, component split, task ${task}`, 's'));
      const d = delays();
      for (let i = 1; i < d.length; i++) assert.ok(d[i]! > d[i - 1]!, `backoff grows: ${d.join(', ')}`);
      assert.equal(board(key).acked.size, 0);
      await using served = await serveComponent(SplitBolt, { address, shutdownGraceMs: 500 });
      assert.equal(served.port, port);
      await waitFor(() => board(key).acked.size === SENTENCES.length * repeat, 30_000, 'every message acked once the service is up');
      assertExact(key, repeat);
    } finally {
      await rt.close();
    }
  });

  test('a tuple too large to send is failed and reported; the stream lives on', { timeout: 60_000 }, async () => {
    const key = 'grpc-big-tuple';
    const sentences = ['a b', 'z'.repeat(300_000), 'c d'];
    let instances = 0;
    const fresh = (): SplitBolt => {
      instances++;
      return new SplitBolt();
    };
    await using served = await serveComponent(fresh, { shutdownGraceMs: 500 });
    const spec = makeSpec(key, [{ id: 'sentences', export: 'FixedSpout', args: [key, sentences, 5, false], outputs: ['sentence'] }], [
      { id: 'split', outputs: ['word'], inputs: [{ from: 'sentences' }] },
      { id: 'count', export: 'CountBolt', args: [key], outputs: ['word', 'count'], inputs: [{ from: 'split' }] },
    ], { 'squall.grpc.max.message.bytes': 100_000 });
    spec.bolts[0]!.impl = { kind: 'grpc', address: served.address };
    const rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory() });
    try {
      rt.start();
      const b = board(key);
      await waitFor(() => b.acked.size + b.failed.size === 15, 30_000, 'every message settled');
      assert.deepEqual([...b.failed.keys()].sort(), ['0:1', '1:1', '2:1', '3:1', '4:1'], 'only the huge sentences failed');
      assert.equal(b.acked.size, 10);
      assert.match(errorsOf(rt, 'split'), /a tuple of about \d+ bytes cannot be sent .*larger than squall.grpc.max.message.bytes \(100000 bytes\)/);
      assert.equal(instances, 1, 'no reconnect: one stream, one component instance');
    } finally {
      await rt.close();
    }
  });

  test('a spout served with serveComponent: emits with message ids, acks come back', { timeout: 60_000 }, async () => {
    const key = 'grpc-spout';
    const repeat = 100;
    const ledger: Ledger = { emitted: 0, acked: new Map(), failed: new Map() };
    await using served = await serveComponent(() => new LedgerSpout(ledger, SENTENCES, repeat), { shutdownGraceMs: 500 });
    const spec = makeSpec(key, [{ id: 'sentences', outputs: ['sentence'] }], [
      { id: 'split', export: 'SplitBolt', outputs: ['word'], parallelism: 2, inputs: [{ from: 'sentences' }] },
      { id: 'count', export: 'CountBolt', args: [key], parallelism: 2, outputs: ['word', 'count'], inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
    ], { 'topology.max.spout.pending': 50 });
    spec.spouts[0]!.impl = { kind: 'grpc', address: served.address };
    const rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory() });
    try {
      rt.start();
      await waitFor(() => ledger.acked.size === SENTENCES.length * repeat, 30_000, 'every message acked');
      assert.ok([...ledger.acked.values()].every((n) => n === 1), 'acked exactly once');
      assert.equal(ledger.failed.size, 0);
      assert.deepEqual(new Map([...board(key).counts].sort()), new Map([...expectedCounts(repeat)].sort()));
      assert.equal(errorsOf(rt, 'sentences'), '');
    } finally {
      await rt.close();
    }
  });
});
