/**
 * `squall nimbus` in process (registerNimbus on a fresh Commander program, as main.ts does):
 * against a real ZooKeeper it registers, leads, serves the API and leaves cleanly on the
 * signal; with ZooKeeper unreachable it fails with one line of cause and a next step, no stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { registerNimbus } from '../../src/cli/nimbus.js';
import { describeError, SquallError } from '../../src/common/errors.js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import { ZooKeeperStateStore } from '../../src/coordination/zk-store.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { freePort } from '../helpers/processes.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

let zk: ZkServer;
before(async () => { zk = await startZooKeeper(); });
after(async () => { await zk[Symbol.asyncDispose](); });
const scratch = mkdtempSync(join(tmpdir(), 'squall-nimbus-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[], signal: AbortSignal): Promise<void> {
  const program = new Command('squall').exitOverride();
  registerNimbus(program, { env: {}, signal, stdout: () => undefined });
  // Runs in this directory, where no squall.yaml exists: flags say everything.
  return program.parseAsync(['node', 'squall', 'nimbus', '--log-level', 'error', ...args]).then(() => undefined);
}

describe('squall nimbus', () => {
  test('runs until the signal: registered, leading, serving; unregistered afterwards', async () => {
    const abort = new AbortController();
    const port = zk.connectString.split(':')[1]!;
    const root = `/cli-${process.pid}`;
    const done = run([
      '--port', '0', '--id', 'cli-nimbus', '--local-dir', join(scratch, 'local'),
      '-c', 'storm.zookeeper.servers=[127.0.0.1]', '-c', `storm.zookeeper.port=${port}`, '-c', `storm.zookeeper.root=${root}`,
      '-c', 'storm.zookeeper.session.timeout=2000',
    ], abort.signal);
    const store = await ZooKeeperStateStore.connect({ servers: [zk.connectString], chroot: root, sessionTimeoutMs: 2_000 });
    try {
      const cluster = await ClusterState.create(store);
      let address: string | undefined;
      for (let i = 0; i < 300 && address === undefined; i++) {
        const me = (await cluster.nimbuses()).find((n) => n.id === 'cli-nimbus');
        if (me && (await cluster.leaderInfo()).value.nimbusId === 'cli-nimbus') address = `${me.host}:${me.port}`;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(address, 'the nimbus registered and leads');
      await using client = await NimbusClient.connect(address);
      assert.deepEqual(await client.list(), []);
      abort.abort(new Error('SIGTERM'));
      await done;
      assert.deepEqual(await cluster.nimbuses(), [], 'its registration is gone');
    } finally {
      abort.abort();
      await done.catch(() => undefined);
      await store.close();
    }
  });

  test('ZooKeeper unreachable: one line of cause and a next step, no stack', async () => {
    const port = await freePort(); // nothing listens on it
    const err = await run([
      '--port', '0', '--local-dir', join(scratch, 'unreachable'),
      '-c', 'storm.zookeeper.servers=[127.0.0.1]', '-c', `storm.zookeeper.port=${port}`, '-c', 'storm.zookeeper.connection.timeout=500',
    ], new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SquallError, String(err));
    assert.equal(err.code, 'E_ZOOKEEPER_UNREACHABLE');
    const text = describeError(err);
    assert.match(text, new RegExp(`^error: cannot connect to ZooKeeper at 127\\.0\\.0\\.1:${port}: .+\n  hint: start ZooKeeper`, 'u'));
    assert.equal(text.split('\n').length, 2);
    assert.ok(!text.includes('    at '), 'no stack');
  });
});
