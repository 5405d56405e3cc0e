/**
 * Cluster mode as a user runs it: a real ZooKeeper, `squall nimbus` and two `squall supervisor`
 * processes advertising different loopback addresses, then `squall submit` of the Python word
 * count across 2 workers, `list`, `describe` (exact figures), and `kill` leaving no worker
 * and no component subprocess behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/spec.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

let zk: ZkServer;
let dir: string;
let config: string;
const daemons: ChildProcess[] = [];

function daemon(args: string[], log: string): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  child.on('exit', () => writeFileSync(join(dir, log), out));
  daemons.push(child);
  return child;
}

/**
 * Processes started under a path: workers name their directory on the command line, component
 * subprocesses run with their working directory in the unpacked package.
 */
function processesUnder(path: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmdline.includes(path) || readlinkSync(`/proc/${p}/cwd`).startsWith(path)) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** Workers and components started by the two supervisors (not the supervisors themselves). */
function clusterProcesses(): number[] {
  return [...processesUnder(join(dir, 's1', 'supervisor')), ...processesUnder(join(dir, 's2', 'supervisor'))];
}

async function describe(): Promise<{ status: string; workers: unknown[]; components: Array<{ id: string; acked: number; executed: number; failed: number }> }> {
  const r = await runCli(['describe', 'wordcount', '--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  zk = await startZooKeeper();
  dir = mkdtempSync(join(tmpdir(), 'squall-e2e-'));
  config = join(dir, 'squall.yaml');
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(config, [
    `storm.zookeeper.servers: [127.0.0.1]`, `storm.zookeeper.port: ${zk.port}`,
    `storm.zookeeper.session.timeout: 4000`, `storm.zookeeper.connection.timeout: 3000`,
    `nimbus.seeds: [127.0.0.1]`, `nimbus.grpc.port: ${port}`, `nimbus.monitor.freq.secs: 1`, '',
  ].join('\n'));
  daemon(['nimbus', '--config', config, '--local-dir', join(dir, 'nimbus')], 'nimbus.log');
  daemon(['supervisor', '--config', config, '--local-dir', join(dir, 's1'), '--host', '127.0.0.2', '--ports', `${port + 1},${port + 2}`, '--id', 'sup-a'], 's1.log');
  daemon(['supervisor', '--config', config, '--local-dir', join(dir, 's2'), '--host', '127.0.0.3', '--ports', `${port + 1},${port + 2}`, '--id', 'sup-b'], 's2.log');
}, { timeout: 60_000 });

after(async () => {
  for (const d of daemons) d.kill('SIGTERM');
  await Promise.all(daemons.map((d) => new Promise((r) => (d.exitCode !== null ? r(null) : d.on('exit', r)))));
  for (const p of processesUnder(dir)) process.kill(p, 'SIGKILL');
  await zk[Symbol.asyncDispose]();
});

test('submit, list, describe and kill the Python word count on 1 nimbus + 2 supervisors', { timeout: 120_000 }, async () => {
  let submitted;
  // The daemons need a moment to register; submit retries until nimbus answers.
  for (let i = 0; i < 40; i++) {
    submitted = await runCli(['submit', 'python-examples/wordcount', '--config', config, '-c', 'topology.workers=2']);
    if (submitted.code === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(submitted!.code, 0, submitted!.stderr);
  assert.match(submitted!.stdout, /submitted topology "wordcount" as wordcount-1-\d+/);

  let d = await describe();
  for (let i = 0; i < 120 && !(d.components.find((c) => c.id === 'sentences')?.acked === 1000 && (d.components.find((c) => c.id === 'count')?.executed ?? 0) >= 6400); i++) {
    await new Promise((r) => setTimeout(r, 500));
    d = await describe();
  }
  const by = Object.fromEntries(d.components.map((c) => [c.id, c]));
  assert.equal(d.status, 'ACTIVE');
  assert.equal(d.workers.length, 2, 'two workers');
  assert.equal(by.sentences!.acked, 1000);
  assert.equal(by.sentences!.failed, 0);
  assert.equal(by.split!.executed, 1000);
  // Every word once, plus the count bolt's tick tuples.
  assert.ok(by.count!.executed >= 6400 && by.count!.executed < 6500, `count executed ${by.count!.executed}`);
  const hosts = (d.workers as Array<{ host: string }>).map((w) => w.host).sort();
  assert.deepEqual(hosts, ['127.0.0.2', '127.0.0.3'], 'one worker per supervisor');
  const list = await runCli(['list', '--config', config]);
  assert.match(list.stdout, /^wordcount\s+wordcount-1-\d+\s+ACTIVE\s+\S+( \S+)?\s+2\s+\d+\s+\d+$/m);
  assert.ok(clusterProcesses().length >= 2 + 5, 'two workers and their Python components are running');

  const kill = await runCli(['kill', 'wordcount', '-w', '1', '--config', config]);
  assert.equal(kill.code, 0, kill.stderr);
  assert.match(kill.stdout, /removed/);
  await waitFor(() => clusterProcesses().length === 0, 20_000, 'no worker or component left');
  assert.match((await runCli(['list', '--config', config])).stdout, /no topologies running/);
});
