/**
 * Faults on a real cluster: ZooKeeper, two `squall nimbus` and two `squall supervisor` daemons
 * as processes, running a ledger topology (test/fixtures/ledger): a spout that writes every
 * emit/ack/fail of its numbered messages to a ledger file and replays failed ids, and a sink
 * bolt that writes every id it receives. The test kills things with SIGKILL and then reads the
 * ledgers: processing resumes, every emitted id is acked at the spout exactly once and reached
 * the sink at least once.
 *
 * The scenarios share one cluster and run in order: a worker killed, the leader nimbus killed
 * (failover), ZooKeeper down for less than the session timeout, a supervisor killed and
 * restarted (adoption). No timing is asserted; every
 * wait is for a condition.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ClusterState, ZooKeeperStateStore } from '../../src/coordination/index.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { alive, freePort, waitUntil } from '../fixtures/supervisor-cluster.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

const COMPONENTS = fileURLToPath(new URL('../fixtures/ledger/components.mjs', import.meta.url));
const ZK_ROOT = '/faults';
const SESSION_MS = 6000;

let zk: ZkServer;
let dir: string;
let ledger: string;
let config: string;
let topologyId: string;
let store: ZooKeeperStateStore | undefined;
let cluster: ClusterState;
let nimbusPorts: number[] = [];
const daemons = new Map<string, ChildProcess>();
const logs = new Map<string, string>();

interface Sup { id: string; host: string; port: number; localDir: string }
let sups: Sup[] = [];

function daemon(name: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  logs.set(name, '');
  const add = (d: Buffer): void => { logs.set(name, logs.get(name)! + d.toString()); };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  child.on('exit', () => writeFileSync(join(dir, `${name}.${child.pid}.log`), logs.get(name)!));
  daemons.set(name, child);
  return child;
}

function startNimbus(i: number): ChildProcess {
  return daemon(`nimbus${i}`, ['nimbus', '--config', config, '--port', String(nimbusPorts[i]), '--id', `nimbus-${i}`, '--local-dir', join(dir, `nimbus${i}`)]);
}

function startSupervisor(s: Sup): ChildProcess {
  return daemon(s.id, ['supervisor', '--config', config, '--local-dir', s.localDir, '--host', s.host, '--ports', String(s.port), '--id', s.id]);
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  child.kill('SIGKILL');
  await exited;
}

/** Every process whose command line names `path` or whose working directory is under it. */
function processesUnder(path: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmdline.includes(path) || readlinkSync(`/proc/${p}/cwd`).startsWith(path)) pids.push(Number(p));
    } catch {
      // gone, or not ours
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** Worker pids from the supervisor's worker.json files. */
function workerPids(s: Sup): number[] {
  const root = join(s.localDir, 'supervisor', 'workers');
  if (!existsSync(root)) return [];
  const pids: number[] = [];
  for (const w of readdirSync(root)) {
    try {
      pids.push((JSON.parse(readFileSync(join(root, w, 'worker.json'), 'utf8')) as { pid: number }).pid);
    } catch {
      // being written
    }
  }
  return pids;
}

interface Ledger {
  emitted: Set<number>;
  acks: Map<number, number>;
  failed: number;
  opens: number[];
  sink: Set<number>;
}

function readLedger(): Ledger {
  const l: Ledger = { emitted: new Set(), acks: new Map(), failed: 0, opens: [], sink: new Set() };
  const spout = join(ledger, 'spout.log');
  if (existsSync(spout)) {
    for (const line of readFileSync(spout, 'utf8').split('\n')) {
      const [kind, v] = line.split(' ');
      if (kind === 'E') l.emitted.add(Number(v));
      else if (kind === 'A') l.acks.set(Number(v), (l.acks.get(Number(v)) ?? 0) + 1);
      else if (kind === 'F') l.failed++;
      else if (kind === 'O') l.opens.push(Number(v));
    }
  }
  for (const f of readdirSync(ledger).filter((n) => n.startsWith('sink-'))) {
    for (const line of readFileSync(join(ledger, f), 'utf8').split('\n')) if (line) l.sink.add(Number(line));
  }
  return l;
}

const ackedCount = (): number => readLedger().acks.size;

/** Waits until `n` more distinct ids have been acked than now. */
async function acksIncrease(n: number, what: string, timeoutMs = 40_000): Promise<void> {
  const start = ackedCount();
  await waitUntil(() => ackedCount() >= start + n, `${what}: ${n} more acks than ${start}`, timeoutMs);
}

/**
 * Every id the spout emitted up to now: waits until each is acked, then checks each was acked
 * exactly once and reached the sink.
 */
async function nothingLostSoFar(timeoutMs = 40_000): Promise<void> {
  const upTo = Math.max(...readLedger().emitted);
  await waitUntil(() => {
    const l = readLedger();
    for (let id = 0; id <= upTo; id++) if (!l.acks.has(id)) return false;
    return true;
  }, `every id up to ${upTo} acked`, timeoutMs);
  const l = readLedger();
  for (let id = 0; id <= upTo; id++) {
    assert.ok(l.emitted.has(id), `id ${id} emitted (ids are dense)`);
    assert.equal(l.acks.get(id), 1, `id ${id} acked exactly once at the spout`);
    assert.ok(l.sink.has(id), `id ${id} reached the sink`);
  }
  for (const [id, n] of l.acks) assert.equal(n, 1, `id ${id} acked ${n} times`);
}

async function assignmentVersion(): Promise<number> {
  const a = await cluster.assignment(topologyId);
  assert.ok(a, 'the topology is assigned');
  return a.version;
}

before(async () => {
  zk = await startZooKeeper();
  dir = mkdtempSync(join(tmpdir(), 'squall-faults-'));
  ledger = join(dir, 'ledger');
  mkdirSync(ledger);
  config = join(dir, 'squall.yaml');
  nimbusPorts = [await freePort(), await freePort()];
  sups = [
    { id: 'sup-a', host: '127.0.0.2', port: await freePort('127.0.0.2'), localDir: join(dir, 's1') },
    { id: 'sup-b', host: '127.0.0.3', port: await freePort('127.0.0.3'), localDir: join(dir, 's2') },
  ];
  writeFileSync(config, [
    `storm.zookeeper.servers: [127.0.0.1]`, `storm.zookeeper.port: ${zk.port}`, `storm.zookeeper.root: ${ZK_ROOT}`,
    `storm.zookeeper.session.timeout: ${SESSION_MS}`, `storm.zookeeper.connection.timeout: 5000`,
    `nimbus.seeds: [127.0.0.1:${nimbusPorts[0]}, 127.0.0.1:${nimbusPorts[1]}]`, `nimbus.monitor.freq.secs: 1`,
    `nimbus.task.timeout.secs: 30`, `supervisor.monitor.frequency.secs: 1`, `supervisor.heartbeat.frequency.secs: 1`,
    `supervisor.worker.timeout.secs: 10`, '',
  ].join('\n'));
  const topo = join(dir, 'topology');
  mkdirSync(topo);
  copyFileSync(COMPONENTS, join(topo, 'components.mjs'));
  writeFileSync(join(topo, 'topology.yaml'), [
    'name: ledger',
    'config: {topology.workers: 2, topology.max.spout.pending: 50, topology.message.timeout.secs: 5}',
    'spouts:',
    `  - {id: numbers, js: {module: ./components.mjs, export: LedgerSpout, args: [${JSON.stringify(ledger)}]}, outputs: [id]}`,
    'bolts:',
    `  - {id: sink, js: {module: ./components.mjs, export: LedgerSink, args: [${JSON.stringify(ledger)}]}, parallelism: 2, outputs: [id], inputs: [{from: numbers, grouping: shuffle}]}`,
    '',
  ].join('\n'));
  startNimbus(0);
  startNimbus(1);
  for (const s of sups) startSupervisor(s);
  store = await ZooKeeperStateStore.connect({ servers: [zk.connectString], chroot: ZK_ROOT, sessionTimeoutMs: SESSION_MS, spinDelayMs: 100, shutdownGraceMs: 2000 });
  cluster = await ClusterState.create(store);
  await waitUntil(async () => (await cluster.supervisors()).length === 2, 'both supervisors registered', 30_000);
  let submitted;
  for (let i = 0; i < 40; i++) {
    submitted = await runCli(['submit', topo, '--config', config]);
    if (submitted.code === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(submitted!.code, 0, submitted!.stderr);
  topologyId = /as (ledger-1-\d+)/.exec(submitted!.stdout)![1]!;
  await waitUntil(() => sups.every((s) => workerPids(s).length === 1), 'one worker per supervisor', 30_000);
  await acksIncrease(200, 'the topology runs');
}, { timeout: 90_000 });

let cleanedUp = false;
function killEverything(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const d of daemons.values()) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  if (dir) for (const p of processesUnder(dir)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
}
process.on('exit', killEverything);

after(async () => {
  const running = [...daemons.values()].filter((d) => d.exitCode === null && d.signalCode === null);
  killEverything();
  await Promise.all(running.map((d) => new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r(null) : d.once('exit', r)))));
  await waitUntil(() => processesUnder(dir).length === 0, 'no process of the cluster left', 10_000).catch(() => {
    for (const p of processesUnder(dir)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  });
  await store?.close().catch(() => {});
  await zk?.[Symbol.asyncDispose]();
});

test('kill -9 of a worker under load: restarted, processing resumes, nothing lost', { timeout: 90_000 }, async () => {
  const before = sups.map(workerPids).flat();
  // The spout's worker first: its pending ids die with it and the new spout replays them.
  const spoutPid = readLedger().opens.at(-1)!;
  assert.ok(before.includes(spoutPid), 'the spout runs in one of the workers');
  const other = before.find((p) => p !== spoutPid)!;
  for (const victim of [spoutPid, other]) {
    const owner = sups.find((s) => workerPids(s).includes(victim))!;
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => !alive(victim), `worker ${victim} dead`);
    await waitUntil(() => workerPids(owner).some((p) => p !== victim && alive(p)), `${owner.id} restarted its worker`, 40_000);
    await acksIncrease(200, `processing resumed after kill -9 of worker ${victim}`);
  }
  assert.ok(readLedger().opens.length >= 2, 'the spout was reopened in the restarted worker');
  await nothingLostSoFar();
});

test('two nimbuses, kill -9 of the leader: the other leads, one leader at every poll, the topology keeps running', { timeout: 90_000 }, async () => {
  const client = await NimbusClient.connect(nimbusPorts.map((p) => `127.0.0.1:${p}`));
  try {
    const first = await client.clusterSummary();
    const leaders = first.nimbuses.filter((n) => n.isLeader);
    assert.equal(leaders.length, 1, 'one leader');
    const leaderIndex = nimbusPorts.indexOf(leaders[0]!.port);
    assert.ok(leaderIndex >= 0);
    const survivorPort = nimbusPorts[1 - leaderIndex]!;
    const polls: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const s = await client.clusterSummary({ deadlineMs: 2000 });
          polls.push(s.nimbuses.filter((n) => n.isLeader).length);
        } catch {
          // no answer during the handover
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await kill9(daemons.get(`nimbus${leaderIndex}`)!);
    await acksIncrease(200, 'processing right after the leader died');
    await waitUntil(async () => {
      try {
        const s = await client.clusterSummary();
        return s.nimbuses.some((n) => n.isLeader && n.port === survivorPort);
      } catch {
        return false;
      }
    }, 'the surviving nimbus leads', 40_000);
    const listed = await runCli(['list', '--config', config]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ledger\s+ledger-1-\d+\s+ACTIVE/);
    await acksIncrease(200, 'processing under the new leader');
    polling = false;
    await poller;
    assert.ok(polls.length > 0, 'the client got answers');
    assert.deepEqual(polls.filter((n) => n !== 1), [], `exactly one leader in every answer: ${JSON.stringify(polls)}`);
    await nothingLostSoFar();
  } finally {
    await client.close();
  }
});

test('ZooKeeper down for less than the session timeout: no reassignment, processing continues', { timeout: 90_000 }, async () => {
  const version = await assignmentVersion();
  const pids = sups.map(workerPids).flat();
  await zk.stop();
  const stoppedAt = Date.now();
  await acksIncrease(100, 'processing while ZooKeeper is down');
  // The outage lasts 2 s of the 6 s session timeout.
  await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - stoppedAt))));
  await zk.start();
  await acksIncrease(200, 'processing after ZooKeeper is back');
  await waitUntil(async () => (await cluster.supervisors()).length === 2, 'both supervisors still registered', 20_000);
  assert.equal(await assignmentVersion(), version, 'assignment znode version unchanged');
  assert.deepEqual(sups.map(workerPids).flat(), pids, 'same workers');
  assert.ok(pids.every(alive));
});

test('kill -9 of a supervisor: its worker keeps processing; restarted, it adopts the worker, also past its old session', { timeout: 90_000 }, async () => {
  const s = sups[1]!;
  const before = workerPids(s);
  assert.equal(before.length, 1);
  await kill9(daemons.get(s.id)!);
  await acksIncrease(100, 'the worker keeps processing without its supervisor');
  startSupervisor(s);
  // The restarted supervisor registers once its old session has expired (its old node gone);
  // nimbus keeps the slots meanwhile (nimbus.supervisor.timeout.secs), so nothing is moved.
  await waitUntil(async () => {
    const regs = await cluster.supervisors();
    return regs.some((x) => x.id === s.id) && logs.get(s.id)!.includes('running');
  }, 'the supervisor re-registered', 40_000);
  await acksIncrease(200, 'processing continues after the re-registration');
  assert.deepEqual(workerPids(s), before, 'the restarted supervisor adopted its worker (same pid)');
  await nothingLostSoFar();
});

test('finally: the spout stops emitting and every id ever emitted is acked exactly once and reached the sink', { timeout: 60_000 }, async () => {
  writeFileSync(join(ledger, 'stop'), '');
  await nothingLostSoFar(50_000);
  await new Promise((r) => setTimeout(r, 500));
  const l = readLedger();
  assert.equal(l.acks.size, l.emitted.size, 'every emitted id acked');
  for (const [id, n] of l.acks) assert.equal(n, 1, `id ${id} acked once`);
  for (const id of l.emitted) assert.ok(l.sink.has(id), `id ${id} in the sink`);
});
