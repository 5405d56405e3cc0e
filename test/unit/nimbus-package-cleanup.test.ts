/**
 * Nimbus's package cleanup shell (package-cleanup.ts) over a real package store in a temp dir,
 * in-memory coordination and a fake clock: uploads wait in the inbox until their submit or the
 * expiration, topologies keep their packages whatever their status, shared packages outlive one
 * of their topologies, packages found at start are treated as uploads only when nothing uses
 * them, replicas are withdrawn in ZooKeeper, and the races a pass can meet (a submit completing,
 * a copy landing) never cost a needed package.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState, InMemoryStateStore, type Leadership } from '../../src/coordination/index.js';
import { PackageCleanup } from '../../src/nimbus/package-cleanup.js';
import { PackageStore } from '../../src/nimbus/package-store.js';
import { becomeLeader, packDir, recordFor, writeWordCount } from '../fixtures/supervisor-cluster.js';

const HOUR = 3_600_000;
let tmp: string;
const pkgs: Array<{ data: Buffer; packageId: string }> = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'squall-pkg-cleanup-'));
  for (const name of ['alpha', 'beta', 'gamma']) {
    const dir = join(tmp, 'src', name);
    await writeWordCount(dir, { repeat: 1, name });
    pkgs.push(await packDir(dir));
  }
});
after(async () => { await rm(tmp, { recursive: true, force: true }); });

async function* bytes(data: Buffer): AsyncGenerator<Uint8Array> {
  yield data;
}

/** One nimbus's world: store, leader, package store, cleanup on a fake clock. */
async function world(name: string, opts: { cluster?: ClusterState; lead?: Leadership; localDir?: string } = {}) {
  const store = opts.cluster ? undefined : await InMemoryStateStore.create();
  const cluster = opts.cluster ?? await ClusterState.create(store!);
  const lead = opts.lead ?? await becomeLeader(cluster);
  const packages = await PackageStore.open(opts.localDir ?? join(tmp, name));
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const abort = new AbortController();
  const cleanup = new PackageCleanup({ cluster, packages, nimbusId: 'nimbus-a', clock, logger, inboxExpirationMs: HOUR, signal: abort.signal });
  const upload = async (p: { data: Buffer }): Promise<string> =>
    (await packages.receive(bytes(p.data), { beforeStore: (id) => cleanup.uploaded(id) })).packageId;
  const copy = async (p: { data: Buffer; packageId: string }): Promise<void> => {
    await packages.receive(bytes(p.data), { expectedId: p.packageId });
  };
  const submit = async (id: string, packageId: string, status: 'ACTIVE' | 'KILLED' = 'ACTIVE'): Promise<void> => {
    await cluster.createTopology(lead, recordFor(id, packageId, status));
    cleanup.submitted(packageId);
  };
  const has = (packageId: string): boolean => existsSync(packages.path(packageId));
  return { store, cluster, lead, packages, clock, logger, cleanup, upload, copy, submit, has, close: async () => { abort.abort(); await store?.close(); } };
}

describe('nimbus package cleanup', () => {
  test('an upload stays until its submit or the expiration; only the inbox pass expires it; its replica node goes', async () => {
    const w = await world('inbox');
    const [p] = pkgs;
    const id = await w.upload(p!);
    await w.cluster.registerPackageReplica(id, { nimbusId: 'nimbus-a', digest: id });
    await w.cleanup.run();
    assert.ok(w.has(id), 'fresh upload kept');
    w.clock.advance(2 * HOUR);
    await w.cleanup.run();
    assert.ok(w.has(id), 'passes that do not expire the inbox keep it, however old');
    await w.cleanup.run({ expireInbox: true });
    assert.ok(!w.has(id), 'expired upload deleted');
    assert.deepEqual(w.cleanup.inboxIds(), []);
    assert.deepEqual(await w.cluster.packageReplicas(id), []);
    assert.ok(!(await w.store!.exists(w.cluster.paths.packageReplicas(id))), 'the package\'s replica directory is gone too');
    assert.ok(w.logger.records.some((r) => r.msg === 'package deleted' && String(r.meta?.reason).includes('nimbus.inbox.jar.expiration.secs')));
    await w.close();
  });

  test('recorded topologies keep their packages in any status; removal deletes unless another topology shares it', async () => {
    const w = await world('removal');
    const [a, b] = pkgs;
    const pa = await w.upload(a!);
    await w.submit('alpha-1-1', pa, 'KILLED');
    const pb = await w.upload(b!);
    await w.submit('beta-2-1', pb);
    await w.upload(b!); // the same bytes submitted again under another name
    await w.submit('gamma-3-1', pb);
    assert.deepEqual(w.cleanup.inboxIds(), [], 'each submit consumed its upload');
    w.clock.advance(2 * HOUR);
    await w.cleanup.run({ expireInbox: true });
    assert.ok(w.has(pa), 'KILLED, waiting out its kill wait: kept');
    assert.ok(w.has(pb));

    await w.cluster.removeTopology(w.lead, 'alpha-1-1');
    await w.cleanup.run();
    assert.ok(!w.has(pa), 'removed topology: package deleted at the next pass');
    await w.cluster.removeTopology(w.lead, 'gamma-3-1');
    await w.cleanup.run();
    assert.ok(w.has(pb), 'beta still uses the package gamma shared');
    await w.cluster.removeTopology(w.lead, 'beta-2-1');
    await w.cleanup.run();
    assert.ok(!w.has(pb), 'the last user gone: deleted');
    await w.close();
  });

  test('an upload of bytes a running topology uses survives that topology\'s removal until its own submit', async () => {
    const w = await world('reupload');
    const [a] = pkgs;
    const pa = await w.upload(a!);
    await w.submit('alpha-1-1', pa);
    await w.upload(a!); // for a second submit, not made yet
    await w.cluster.removeTopology(w.lead, 'alpha-1-1');
    await w.cleanup.run();
    assert.ok(w.has(pa), 'the pending upload keeps it');
    await w.submit('alpha-4-1', pa);
    w.clock.advance(2 * HOUR);
    await w.cleanup.run({ expireInbox: true });
    assert.ok(w.has(pa), 'now the new topology keeps it');
    await w.close();
  });

  test('packages found at start: unused ones wait out the expiration, used ones go with their topology', async () => {
    const first = await world('restart');
    const [a, b] = pkgs;
    await first.copy(a!); // an upload whose submit has not come (or a stale copy): nothing uses it
    const pb = b!.packageId;
    await first.copy(b!);
    await first.cluster.createTopology(first.lead, recordFor('beta-2-1', pb));
    // A restarted nimbus on the same dir and cluster: a fresh cleanup with an empty inbox.
    const w = await world('restart', { cluster: first.cluster, lead: first.lead });
    w.cleanup.foundAtStart(await w.packages.list());
    await w.cleanup.run();
    assert.ok(w.has(a!.packageId), 'unused package found at start: kept as an upload');
    assert.deepEqual(w.cleanup.inboxIds(), [a!.packageId], 'only the unused one joined the inbox');
    await w.cluster.removeTopology(w.lead, 'beta-2-1');
    await w.cleanup.run();
    assert.ok(!w.has(pb), 'used at start, its topology removed: deleted at once');
    w.clock.advance(HOUR);
    await w.cleanup.run({ expireInbox: true });
    assert.ok(!w.has(a!.packageId), 'the unused one expired');
    await first.close();
  });

  test('a submit recorded while a pass reads the records does not lose its package', async () => {
    const w = await world('race-submit');
    const [a] = pkgs;
    const pa = await w.upload(a!);
    // The pass lists the topologies, then the submit writes its record and consumes its upload:
    // the pass saw neither the record nor (had it read the inbox after the records) the upload.
    const realIds = w.cluster.topologyIds.bind(w.cluster);
    let once = true;
    w.cluster.topologyIds = async (opts) => {
      const ids = await realIds(opts);
      if (once) {
        once = false;
        await w.submit('alpha-1-1', pa);
      }
      return ids;
    };
    await w.cleanup.run();
    assert.ok(w.has(pa), 'kept: the pass\'s inbox view still had the upload');
    await w.close();
  });

  test('a package this nimbus saw uploaded and submitted is never taken for one found at start', async () => {
    const w = await world('found-then-used');
    const [a] = pkgs;
    await w.copy(a!);
    w.cleanup.foundAtStart(await w.packages.list());
    await w.upload(a!);
    await w.submit('alpha-1-1', a!.packageId);
    await w.cluster.removeTopology(w.lead, 'alpha-1-1');
    await w.cleanup.run(); // the first pass, after the removal
    assert.ok(!w.has(a!.packageId), 'deleted with its topology, not kept as an upload');
    await w.close();
  });

  test('a package stored after a removal was decided is not deleted by it', async () => {
    const w = await world('race-store');
    const [a] = pkgs;
    const since = w.packages.mark();
    await w.copy(a!); // a copy from another nimbus landing mid-pass
    assert.equal(await w.packages.removeUnless(a!.packageId, since, () => false), false);
    assert.ok(w.has(a!.packageId));
    assert.equal(await w.packages.removeUnless(a!.packageId, w.packages.mark(), () => true), false, 'keep() is honoured');
    assert.equal(await w.packages.removeUnless(a!.packageId, w.packages.mark(), () => false), true);
    assert.ok(!w.has(a!.packageId));
    await w.close();
  });

  test('nothing is deleted when the topologies cannot be read', async () => {
    const w = await world('zk-away');
    const [a] = pkgs;
    await w.copy(a!);
    w.cluster.topologyIds = async () => { throw new Error('ZooKeeper away'); };
    await w.cleanup.run();
    assert.ok(w.has(a!.packageId));
    assert.ok(w.logger.records.some((r) => r.level === 'warn' && r.msg.includes('package cleanup failed')));
    await w.close();
  });
});
