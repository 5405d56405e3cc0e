/**
 * SquallClient against a real nimbus over gRPC on 127.0.0.1:0 (coordination in memory, two
 * supervisors registered the way real ones register, no workers started): submit a topology
 * directory, list, describe, deactivate/activate, rebalance, kill waiting for removal, and
 * waitFor; a Python DSL topology only when allowed. Refusals: an invalid definition
 * (file:line:column, nothing uploaded), a bad config value, a taken name, an unknown
 * topology, an unreachable nimbus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SquallError, TopologyValidationError, UsageError } from '../../src/common/errors.js';
import { RpcError } from '../../src/rpc/errors.js';
import { DEFAULT_NIMBUS_ADDRESS, SquallClient, spoutAcked } from '../../src/sdk/client.js';
import { startMemoryNimbus } from '../helpers/memory-nimbus.js';

const scratch = mkdtempSync(join(tmpdir(), 'squall-sdk-client-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const WORDCOUNT = new URL('../../examples/wordcount-js/', import.meta.url).pathname;
const PY_WORDCOUNT = new URL('../../python-examples/wordcount/', import.meta.url).pathname;
const INVALID = new URL('../fixtures/invalid.yaml', import.meta.url).pathname;

/** A nimbus on an in-memory tree with two registered supervisors, and a SquallClient on it. */
async function cluster() {
  const memory = await startMemoryNimbus(scratch);
  for (const [id, host] of [['sup-a', 'host-a'], ['sup-b', 'host-b']] as const) await memory.addSupervisor(id, host, [6700, 6701]);
  const client = await SquallClient.connect({ nimbus: memory.nimbus.address });
  return {
    nimbus: memory.nimbus, client, localDir: memory.localDir,
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
      await memory[Symbol.asyncDispose]();
    },
  };
}

async function rejection<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
  return err;
}

describe('SquallClient', () => {
  test('submit a directory, list, describe, deactivate, activate, rebalance, kill', { timeout: 60_000 }, async () => {
    await using c = await cluster();
    const squall = c.client;
    const submitted = await squall.submit(WORDCOUNT, { name: 'wc', config: { 'topology.workers': 2 }, inactive: true });
    assert.equal(submitted.name, 'wc');
    assert.match(submitted.topologyId, /^wc-1-\d+$/);
    assert.equal(submitted.topologyFile, 'topology.yaml');
    assert.ok(submitted.packageBytes > 100);

    const list = await squall.list();
    assert.deepEqual(list.map((t) => [t.name, t.id, t.status, t.numWorkers]), [['wc', submitted.topologyId, 'INACTIVE', 2]]);
    const details = await squall.describe('wc');
    assert.equal(details.config['topology.workers'], 2, 'the override reached nimbus');
    assert.deepEqual(details.components.map((x) => x.id).sort(), ['__acker', 'count', 'sentences', 'split']);
    assert.equal(spoutAcked(details), 0);

    assert.deepEqual(await squall.activate('wc'), { topologyId: submitted.topologyId, status: 'ACTIVE' });
    assert.deepEqual(await squall.deactivate('wc'), { topologyId: submitted.topologyId, status: 'INACTIVE' });
    assert.deepEqual(await squall.activate('wc'), { topologyId: submitted.topologyId, status: 'ACTIVE' });

    const rebalanced = await squall.rebalance('wc', { workers: 1, executors: { split: 1 }, waitSecs: 0 });
    assert.deepEqual(rebalanced, { topologyId: submitted.topologyId, status: 'REBALANCING' });
    const after = await squall.waitFor('wc', (t) => t.status === 'ACTIVE', { timeoutMs: 20_000, intervalMs: 50 });
    assert.equal(after.components.find((x) => x.id === 'split')!.numExecutors, 1);
    assert.equal((await squall.list())[0]!.numWorkers, 1);

    const summary = await squall.clusterSummary();
    assert.deepEqual(summary.supervisors.map((s) => s.id), ['sup-a', 'sup-b']);
    assert.deepEqual(summary.nimbuses.map((n) => n.isLeader), [true]);

    const killed = await squall.kill('wc', { waitSecs: 0 });
    assert.deepEqual(killed, { topologyId: submitted.topologyId, status: 'KILLED', removed: true });
    assert.deepEqual(await squall.list(), []);
    const gone = await rejection(squall.describe('wc'), RpcError);
    assert.equal(gone.code, 'E_TOPOLOGY_NOT_FOUND');
  });

  test('kill with waitForRemoval false answers KILLED before the removal', async () => {
    await using c = await cluster();
    const { topologyId } = await c.client.submit(join(WORDCOUNT, 'topology.yaml'), { config: { 'topology.message.timeout.secs': 600 } });
    const r = await c.client.kill('wordcount-js', { waitForRemoval: false });
    assert.deepEqual(r, { topologyId, status: 'KILLED', removed: false });
    assert.equal((await c.client.list())[0]!.status, 'KILLED', 'still there during the 600 s wait');
  });

  test('a Python DSL topology is evaluated here only when allowed; the package carries its generated spec', { timeout: 60_000 }, async () => {
    await using c = await cluster();
    const file = join(PY_WORDCOUNT, 'topology.py');
    await rejection(c.client.submit(file, { name: 'refused' }), SquallError);
    const submitted = await c.client.submit(file, { name: 'wcpy', python: {}, env: process.env });
    assert.equal(submitted.topologyFile, 'topology.py.json');
    const details = await c.client.describe('wcpy');
    assert.deepEqual(details.components.map((x) => x.id).sort(), ['__acker', 'count', 'sentences', 'split']);
  });

  test('refusals: invalid definition (nothing uploaded), bad config, taken name, unknown topology, waitFor timeout', async () => {
    await using c = await cluster();
    const invalid = await rejection(c.client.submit(INVALID), TopologyValidationError);
    assert.ok(invalid.issues.some((i) => i.line === 8 && i.column === 5 && /paralelism/.test(i.message)), JSON.stringify(invalid.issues));
    assert.deepEqual(readdirSync(join(c.localDir, 'nimbus', 'packages')), [], 'nothing uploaded');

    const badConfig = await rejection(c.client.submit(WORDCOUNT, { config: { 'topology.workers': 'many' } }), UsageError);
    assert.match(badConfig.message, /topology\.workers/);
    await rejection(c.client.submit(WORDCOUNT, { name: 'wc;rm -rf' }), SquallError);
    await rejection(c.client.submit(join(scratch, 'no-such-dir')), UsageError);

    await c.client.submit(WORDCOUNT);
    const taken = await rejection(c.client.submit(WORDCOUNT), RpcError);
    assert.equal(taken.code, 'E_TOPOLOGY_EXISTS');
    const unknown = await rejection(c.client.kill('ghost'), RpcError);
    assert.equal(unknown.code, 'E_TOPOLOGY_NOT_FOUND');

    const late = await rejection(c.client.waitFor('wordcount-js', (t) => spoutAcked(t) > 0, { timeoutMs: 200, intervalMs: 50 }), SquallError);
    assert.equal(late.code, 'E_TIMEOUT');
    assert.match(late.message, /topology "wordcount-js" did not reach the awaited state within 200 ms \(status ACTIVE/);
  });

  test('an unreachable nimbus: E_NIMBUS_UNREACHABLE naming the address; close is idempotent and disposes', async () => {
    assert.equal(DEFAULT_NIMBUS_ADDRESS, 'localhost:6627');
    const client = await SquallClient.connect({ nimbus: ['127.0.0.1:1'], deadlineMs: 5_000 });
    const err = await rejection(client.list(), RpcError);
    assert.equal(err.code, 'E_NIMBUS_UNREACHABLE');
    assert.match(err.message, /cannot reach nimbus at 127\.0\.0\.1:1: connection refused/);
    await client.close();
    await client[Symbol.asyncDispose]();
    assert.equal(client.nimbus.state, 'closed');
    await assert.rejects(client.list(), { code: 'E_ILLEGAL_STATE' });
    await assert.rejects(SquallClient.connect({ nimbus: 'host:99999' }), { code: 'E_USAGE' });
  });
});
