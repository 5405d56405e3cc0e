/**
 * Cluster-mode benchmark on one machine: ZooKeeper, a nimbus and 2 supervisors in this process
 * (free ports, state in a temporary directory removed at the end), 2 real worker processes.
 *   1. throughput of a 3-stage JS pipeline (spout → 2x bolt shuffle → 2x bolt fields) spread
 *      over both workers, acking off and on, from nimbus `describe` stats;
 *   2. end-to-end latency percentiles at a fixed 10,000 tuples/s (the last bolt writes a
 *      histogram per second into its worker directory);
 *   3. recovery after kill -9 of a worker, first the one without the spout, then the spout's:
 *      time until its slot runs a new worker (heartbeating), for the spout's worker until the
 *      restarted spout's first ack (processing resumed), and until the spout's acked rate is
 *      back to >= 50% of the rate before the kill.
 * Usage: npm run bench -- cluster [seconds per throughput run, default 10] [recovery]
 *   (`recovery` runs only part 3)
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Closer } from '../src/common/closer.js';
import { silentLogger } from '../src/common/logger.js';
import { compileClusterConfig } from '../src/config/cluster-config.js';
import { LocalZooKeeper } from '../src/coordination/local-zookeeper.js';
import { ZooKeeperStateStore } from '../src/coordination/zk-store.js';
import { workerClusterConfig, workerEnv, squallVersion } from '../src/cli/daemon-support.js';
import { Nimbus } from '../src/nimbus/nimbus.js';
import { createPackage } from '../src/packages/create-package.js';
import { NimbusClient } from '../src/rpc/index.js';
import { Supervisor } from '../src/supervisor/supervisor.js';

const COMPONENTS = fileURLToPath(new URL('./components/cluster-pipeline.mjs', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SUPERVISORS = 2;
const SLOTS = 2; // per supervisor: a new topology can start while the last one's workers exit
const LATENCY_RATE = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Cluster {
  base: string;
  client: NimbusClient;
  supervisorDirs: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startCluster(closer: Closer): Promise<Cluster> {
  const base = mkdtempSync(join(tmpdir(), 'squall-bench-cluster-'));
  closer.defer(() => rmSync(base, { recursive: true, force: true }));
  const zk = await LocalZooKeeper.start({ port: 0, host: '127.0.0.1', dir: join(base, 'zookeeper'), env: process.env });
  closer.defer(() => zk.close());
  const config = compileClusterConfig({
    cwd: base, env: {},
    overrides: { 'storm.zookeeper.servers': ['127.0.0.1'], 'storm.zookeeper.port': zk.port, 'storm.local.dir': base, 'nimbus.grpc.port': 0 },
  });
  const connect = (): Promise<ZooKeeperStateStore> => ZooKeeperStateStore.connect({
    servers: [...config.zookeeper.addresses], chroot: config.zookeeper.root,
    sessionTimeoutMs: config.zookeeper.sessionTimeoutMs, connectTimeoutMs: config.zookeeper.connectionTimeoutMs, logger: silentLogger,
  });
  const nimbusStore = await connect();
  closer.defer(() => nimbusStore.close());
  const nimbus = await Nimbus.start({
    store: nimbusStore, logger: silentLogger, host: '127.0.0.1', port: 0, localDir: join(base, 'nimbus'),
    monitorFreqMs: config.nimbus.monitorFreqMs, taskTimeoutMs: config.nimbus.taskTimeoutMs, env: process.env,
  });
  closer.defer(() => nimbus.close());
  const supervisorDirs: string[] = [];
  for (let i = 0; i < SUPERVISORS; i++) {
    const store = await connect();
    closer.defer(() => store.close());
    const ports: number[] = [];
    for (let k = 0; k < SLOTS; k++) ports.push(await freePort());
    const localDir = join(base, `supervisor-${i + 1}`);
    supervisorDirs.push(localDir);
    const supervisor = await Supervisor.start({
      id: `bench-supervisor-${i + 1}`, host: '127.0.0.1', advertisedHost: '127.0.0.1', ports, localDir,
      store, nimbus: [nimbus.address], workerClusterConfig: workerClusterConfig(config), workerEnv: workerEnv(config, process.env),
      version: squallVersion(), logger: silentLogger,
    });
    closer.defer(() => supervisor.close({ killWorkers: true }));
  }
  const client = await NimbusClient.connect(nimbus.address);
  closer.defer(() => client.close());
  return { base, client, supervisorDirs };
}

// ------------------------------------------------------------------ topologies

/** The 3-stage pipeline (spout → pass by shuffle → sink by fields) over 2 workers. */
function pipelineYaml(name: string, spout: string, fields: string, sink: string, extraConfig = ''): string {
  return `name: ${name}
config:
  topology.workers: 2
${extraConfig}  topology.message.timeout.secs: 30
spouts:
  - id: source
    js: {module: ./cluster-pipeline.mjs, export: ${spout}}
    outputs: [${fields}]
bolts:
  - id: pass
    js: {module: ./cluster-pipeline.mjs, export: PassBolt}
    parallelism: 2
    outputs: [${fields}]
    inputs:
      - {from: source, grouping: shuffle}
  - id: sink
    js: {module: ./cluster-pipeline.mjs, export: ${sink}}
    parallelism: 2
    inputs:
      - {from: pass, grouping: {fields: [word]}}
`;
}

function throughputYaml(name: string): string {
  return pipelineYaml(name, 'CountingSpout', 'word, n', 'CountBolt');
}

function latencyYaml(name: string): string {
  return pipelineYaml(name, `TimedSpout, args: [${LATENCY_RATE}]`, 'word, ts', 'LatencyBolt', '  topology.acker.executors: 2\n');
}

async function submit(c: Cluster, name: string, yaml: string, overrides: Record<string, unknown>): Promise<void> {
  const dir = join(c.base, 'packages', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'topology.yaml'), yaml);
  copyFileSync(COMPONENTS, join(dir, 'cluster-pipeline.mjs'));
  copyFileSync(join(dirname(COMPONENTS), 'pipeline.mjs'), join(dir, 'pipeline.mjs'));
  const bytes = await createPackage(dir);
  const { packageId } = await c.client.uploadPackage(bytes, { name });
  await c.client.submit({ name, packageId, topologyFile: 'topology.yaml', configOverrides: overrides });
  // Running: two workers and the spout emitting.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const d = await c.client.describe(name);
    const spout = d.components.find((x) => x.id === 'source');
    if (d.workers.length === 2 && spout && spout.emitted > 0) return;
    if (Date.now() > deadline) throw new Error(`topology ${name} did not start within 120 s (workers ${d.workers.length}; ${d.scheduleMessage})`);
    await sleep(500);
  }
}

/** Kills the topology and waits until its worker processes are gone. */
async function kill(c: Cluster, name: string): Promise<void> {
  await c.client.kill({ name, waitSecs: 0, waitForRemoval: true }, { deadlineMs: 60_000 }).catch(() => {});
  const deadline = Date.now() + 60_000;
  while (workers(c).some((w) => w.topologyId.startsWith(`${name}-`) && w.pid !== undefined && alive(w.pid)) && Date.now() < deadline) await sleep(250);
}

// ------------------------------------------------------------------ worker files

interface WorkerInfo { dir: string; topologyId: string; pid?: number }
interface Heartbeat { pid: number; timeMs: number; stats: Array<{ componentId: string; acked: number; emitted: number }> }

function workers(c: Cluster): WorkerInfo[] {
  const out: WorkerInfo[] = [];
  for (const sup of c.supervisorDirs) {
    const root = join(sup, 'supervisor', 'workers');
    if (!existsSync(root)) continue;
    for (const id of readdirSync(root)) {
      const rec = readJson<{ topologyId: string; pid?: number }>(join(root, id, 'worker.json'));
      if (rec) out.push({ dir: join(root, id), topologyId: rec.topologyId, ...(rec.pid === undefined ? {} : { pid: rec.pid }) });
    }
  }
  return out;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ 1. throughput

/** Spout tuples/s (acked with acking on, emitted with it off) and the sink's executed tuples/s. */
async function throughput(c: Cluster, acking: boolean, seconds: number): Promise<{ spout: number; sink: number }> {
  const name = `bench-cluster-${acking ? 'acking' : 'noacking'}`;
  await submit(c, name, throughputYaml(name), acking
    ? { 'topology.acker.executors': 2, 'topology.max.spout.pending': 5000 }
    : { 'topology.acker.executors': 0 });
  await sleep(5000); // warm-up (JIT, connections, first heartbeats)
  const count = async (): Promise<{ spout: number; sink: number }> => {
    const d = await c.client.describe(name);
    const spout = d.components.find((x) => x.id === 'source')!;
    return { spout: acking ? spout.acked : spout.emitted, sink: d.components.find((x) => x.id === 'sink')!.executed };
  };
  const before = await count();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const after = await count();
  const secs = (performance.now() - t0) / 1000;
  await kill(c, name);
  return { spout: (after.spout - before.spout) / secs, sink: (after.sink - before.sink) / secs };
}

// ------------------------------------------------------------------ 2. latency

interface Latency { n: number; p50: number; p90: number; p99: number; max: number }

async function latency(c: Cluster, name: string, seconds: number): Promise<Latency> {
  await sleep(5000); // warm-up
  const from = Date.now();
  await sleep(seconds * 1000);
  const to = Date.now();
  await sleep(1500); // let the last second's lines be written
  const buckets = new Map<number, number>();
  let n = 0;
  let max = 0;
  for (const w of workers(c).filter((x) => x.topologyId.startsWith(`${name}-`))) {
    for (const f of readdirSync(w.dir).filter((x) => x.startsWith('latency-task'))) {
      for (const line of readFileSync(join(w.dir, f), 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as { t: number; n: number; max: number; b: Record<string, number> };
        if (r.t <= from || r.t > to) continue;
        n += r.n;
        max = Math.max(max, r.max);
        for (const [k, v] of Object.entries(r.b)) buckets.set(Number(k), (buckets.get(Number(k)) ?? 0) + v);
      }
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const pct = (p: number): number => {
    const want = Math.ceil(n * p);
    let seen = 0;
    for (const [k, v] of sorted) {
      seen += v;
      if (seen >= want) return (k + 1) / 100; // upper edge of the 10 µs bucket, in ms
    }
    return max;
  };
  return { n, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max };
}

// ------------------------------------------------------------------ 3. recovery

/**
 * Spout acked counts from the heartbeat files (fresher than nimbus's view): each worker
 * directory's increments, keyed by heartbeat time, survive a worker restart (new pid, counters
 * from 0).
 */
class AckedRate {
  private readonly last = new Map<string, { pid: number; timeMs: number; acked: number }>();
  private readonly events: Array<{ timeMs: number; n: number }> = [];
  constructor(private readonly c: Cluster, private readonly name: string) {}

  poll(): void {
    for (const w of workers(this.c).filter((x) => x.topologyId.startsWith(`${this.name}-`))) {
      const hb = readJson<Heartbeat>(join(w.dir, 'heartbeat.json'));
      const spout = hb?.stats.find((s) => s.componentId === 'source');
      if (!hb || !spout) continue;
      const prev = this.last.get(w.dir);
      if (prev && prev.pid === hb.pid && prev.timeMs === hb.timeMs) continue;
      const n = prev && prev.pid === hb.pid ? spout.acked - prev.acked : spout.acked;
      if (prev) this.events.push({ timeMs: hb.timeMs, n });
      this.last.set(w.dir, { pid: hb.pid, timeMs: hb.timeMs, acked: spout.acked });
    }
  }

  /** Tuples/s acked over the heartbeats timed in (now − windowMs, now]. */
  rate(windowMs: number): number {
    const now = Date.now();
    const n = this.events.filter((e) => e.timeMs > now - windowMs).reduce((s, e) => s + e.n, 0);
    return n / (windowMs / 1000);
  }
}

interface Recovery {
  killedPid: number; newPid: number; restartedSecs: number; firstAckSecs: number; recoveredSecs: number;
  rateBefore: number; rateAfter: number; spoutKilled: boolean;
}

/** Seconds from `killedAtMs` (wall clock) to the first ack a spout in a process other than `killedPid` recorded after it. */
function firstAckAfter(dir: string, killedPid: number, killedAtMs: number): number {
  const file = join(dir, 'first-ack.jsonl');
  if (!existsSync(file)) return NaN;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { pid: number; t: number };
    if (r.pid !== killedPid && r.t > killedAtMs) return (r.t - killedAtMs) / 1000;
  }
  return NaN;
}

async function recovery(c: Cluster, name: string, killSpoutWorker: boolean): Promise<Recovery> {
  const meter = new AckedRate(c, name);
  for (let i = 0; i < 16; i++) {
    meter.poll();
    await sleep(250);
  }
  const rateBefore = meter.rate(3000);
  const mine = workers(c).filter((x) => x.topologyId.startsWith(`${name}-`) && x.pid !== undefined && alive(x.pid));
  const hasSpout = (w: WorkerInfo): boolean => readJson<Heartbeat>(join(w.dir, 'heartbeat.json'))?.stats.some((s) => s.componentId === 'source') ?? false;
  const victim = mine.find((w) => hasSpout(w) === killSpoutWorker) ?? mine[0]!;
  const killedPid = victim.pid!;
  const spoutKilled = hasSpout(victim);
  const t0 = performance.now();
  const killedAtMs = performance.timeOrigin + t0;
  process.kill(killedPid, 'SIGKILL');
  let restartedSecs = NaN;
  let firstAckSecs = NaN;
  let newPid = 0;
  const deadline = t0 + 180_000;
  while (performance.now() < deadline) {
    await sleep(100);
    meter.poll();
    const hb = readJson<Heartbeat>(join(victim.dir, 'heartbeat.json'));
    if (Number.isNaN(restartedSecs) && hb && hb.pid !== killedPid) {
      restartedSecs = (performance.now() - t0) / 1000;
      newPid = hb.pid;
    }
    if (spoutKilled && Number.isNaN(firstAckSecs)) firstAckSecs = firstAckAfter(victim.dir, killedPid, killedAtMs);
    // Back: new worker heartbeating and >= 50% of the old rate over the last 2 s, counted
    // only from heartbeats written after the kill.
    if (!Number.isNaN(restartedSecs) && (!spoutKilled || !Number.isNaN(firstAckSecs)) && performance.now() - t0 > 2000 && meter.rate(2000) >= 0.5 * rateBefore) {
      return { killedPid, newPid, restartedSecs, firstAckSecs, recoveredSecs: (performance.now() - t0) / 1000, rateBefore, rateAfter: meter.rate(2000), spoutKilled };
    }
  }
  return { killedPid, newPid, restartedSecs, firstAckSecs, recoveredSecs: NaN, rateBefore, rateAfter: meter.rate(2000), spoutKilled };
}

// ------------------------------------------------------------------ run

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 10);
  const onlyRecovery = args[1] === 'recovery';
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (workers run dist/cli/main.js)`);
  console.log(`cluster: ZooKeeper + nimbus + ${SUPERVISORS} supervisors in this process, 2 worker processes (topology.workers 2)`);
  await using closer = new Closer();
  const c = await startCluster(closer);

  if (!onlyRecovery) {
    console.log(`  1. 3-stage JS pipeline (spout -> 2x bolt shuffle -> 2x bolt fields) across 2 workers, ${seconds}s per run after 5s warm-up`);
    const off = await throughput(c, false, seconds);
    console.log(`     acking off:                 ${fmt(off.spout).padStart(10)} spout tuples/s   (sink executed ${fmt(off.sink)}/s)   (target >= 500,000: ${off.spout >= 500_000 ? 'met' : 'MISSED'})`);
    const on = await throughput(c, true, seconds);
    console.log(`     acking on (2 ackers, 5000): ${fmt(on.spout).padStart(10)} spout tuples/s   (sink executed ${fmt(on.sink)}/s)   (target >= 200,000: ${on.spout >= 200_000 ? 'met' : 'MISSED'})`);
  }

  const name = 'bench-cluster-latency';
  await submit(c, name, latencyYaml(name), {});
  if (!onlyRecovery) {
    const lat = await latency(c, name, seconds);
    const ms = (x: number): string => `${x.toFixed(2)} ms`;
    console.log(`  2. end-to-end latency at ${fmt(LATENCY_RATE)} tuples/s (acking on), ${fmt(lat.n)} tuples over ${seconds}s:`);
    console.log(`     p50 ${ms(lat.p50)}   p90 ${ms(lat.p90)}   p99 ${ms(lat.p99)}   max ${ms(lat.max)}   (target p99 < 5 ms: ${lat.p99 < 5 ? 'met' : 'MISSED'})`);
  }

  console.log(`  3. recovery at ${fmt(LATENCY_RATE)} tuples/s after kill -9 of a worker:`);
  for (const spout of [false, true]) {
    const rec = await recovery(c, name, spout);
    const secs = (x: number, what: string): string => (Number.isNaN(x) ? `NOT within 180 s` : `${x.toFixed(1)} s`) + what;
    console.log(`     worker pid ${rec.killedPid} (${rec.spoutKilled ? 'runs the spout' : 'bolts and ackers, not the spout'}): new worker (pid ${rec.newPid}) heartbeating after ${secs(rec.restartedSecs, '')}`
      + `${rec.spoutKilled ? `; first ack of the restarted spout after ${secs(rec.firstAckSecs, '')} (target < 5 s: ${rec.firstAckSecs < 5 ? 'met' : 'MISSED'})` : ''}`);
    console.log(`       acked rate back to >= 50% (${fmt(rec.rateAfter)}/s vs ${fmt(rec.rateBefore)}/s before) after ${secs(rec.recoveredSecs, '')}`);
  }
  await kill(c, name);
  console.log('  stopping the cluster...');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2));
