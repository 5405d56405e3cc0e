/**
 * A Python gRPC bolt in cluster mode, as a user runs it: a real ZooKeeper, `squall nimbus` and
 * two `squall supervisor`s (started with the SDK venv first on PATH, which their workers and
 * components inherit), then `squall submit` of test/fixtures/grpc-python across 2 workers:
 * the split bolt is launched by the workers, one Python gRPC process per task. `describe
 * --json` shows the exact figures, the count bolt's ledger the exact words, and `kill` leaves
 * no worker and no Python gRPC process behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import {
  GRPC_PYTHON_FIXTURES, alive, ensureCliBuilt, ensurePythonSdk, environOf, expectedCounts, processesUnder,
  readCounts, readSpoutLedger, unevenAcks, venvEnv,
} from '../helpers/python-grpc.js';
import { waitFor } from '../helpers/spec.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

const SENTENCES = 300;
const WORDS = [...expectedCounts(SENTENCES).values()].reduce((a, b) => a + b, 0);

let zk: ZkServer | undefined;
let dir: string;
let config: string;
let state: string;
const daemons: ChildProcess[] = [];

function daemon(args: string[], log: string): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: venvEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  child.on('exit', () => writeFileSync(join(dir, log), out));
  daemons.push(child);
  return child;
}

/** Workers and components started by the two supervisors (not the supervisors themselves). */
function clusterProcesses(): number[] {
  return [...processesUnder(join(dir, 's1', 'supervisor')), ...processesUnder(join(dir, 's2', 'supervisor'))];
}

/** The launched Python gRPC components: told where to listen, running split_bolt.py. */
function grpcProcesses(): number[] {
  return clusterProcesses().filter((p) => {
    try {
      return environOf(p)['SQUALL_GRPC_ADDRESS'] !== undefined && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('split_bolt.py');
    } catch {
      return false;
    }
  });
}

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

interface Described {
  status: string;
  workers: Array<{ host: string }>;
  components: Array<{ id: string; emitted: number; acked: number; executed: number; failed: number }>;
}

async function describe(): Promise<Described> {
  const r = await runCli(['describe', 'grpc-python', '--config', config, '--json'], { env: venvEnv() as Record<string, string> });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Described;
}

before(async () => {
  ensurePythonSdk();
  ensureCliBuilt();
  zk = await startZooKeeper();
  dir = mkdtempSync(join(tmpdir(), 'squall-e2e-grpc-'));
  state = join(dir, 'state');
  mkdirSync(state);
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
}, { timeout: 900_000 });

after(async () => {
  for (const d of daemons) d.kill('SIGTERM');
  await Promise.all(daemons.map((d) => new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r(null) : d.on('exit', r)))));
  if (dir) {
    for (const p of processesUnder(dir)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await zk?.[Symbol.asyncDispose]();
});

test('a Python gRPC bolt launched per task across 2 workers: exact counts in describe, kill leaves no worker or gRPC process', { timeout: 120_000 }, async () => {
  const conf = ['topology.workers=2', `fixture.state.dir=${state}`, `fixture.sentences=${SENTENCES}`].flatMap((c) => ['-c', c]);
  let submitted;
  // The daemons need a moment to register; submit retries until nimbus answers.
  for (let i = 0; i < 40; i++) {
    submitted = await runCli(['submit', GRPC_PYTHON_FIXTURES, '--config', config, ...conf], { env: venvEnv() as Record<string, string> });
    if (submitted.code === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(submitted!.code, 0, submitted!.stderr);
  assert.match(submitted!.stdout, /submitted topology "grpc-python" as grpc-python-\d+-\d+/);

  await waitFor(() => readSpoutLedger(state).acked.size === SENTENCES, 60_000, `every sentence acked (ledger in ${state}; logs in ${dir})`);
  const target = (d: Described): boolean => {
    const by = Object.fromEntries(d.components.map((c) => [c.id, c]));
    return by.sentences?.acked === SENTENCES && by.count?.executed === WORDS;
  };
  let d = await describe();
  for (let i = 0; i < 60 && !target(d); i++) {
    await new Promise((r) => setTimeout(r, 500));
    d = await describe();
  }
  const by = Object.fromEntries(d.components.map((c) => [c.id, c]));
  assert.equal(d.status, 'ACTIVE');
  assert.equal(d.workers.length, 2, 'two workers');
  assert.deepEqual(d.workers.map((w) => w.host).sort(), ['127.0.0.2', '127.0.0.3'], 'one worker per supervisor');
  assert.equal(by.sentences!.acked, SENTENCES);
  assert.equal(by.sentences!.failed, 0);
  assert.equal(by.split!.executed, SENTENCES);
  assert.equal(by.split!.acked, SENTENCES);
  assert.equal(by.split!.emitted, WORDS);
  assert.equal(by.count!.executed, WORDS);
  assert.equal(by.count!.acked, WORDS);

  assert.deepEqual(unevenAcks(readSpoutLedger(state), SENTENCES), []);
  assert.deepEqual(readCounts(state).counts, expectedCounts(SENTENCES), 'every word counted exactly');

  const grpc = grpcProcesses();
  assert.equal(grpc.length, 2, `one Python gRPC process per split task (cluster processes: ${clusterProcesses().join(', ')})`);
  const workers = new Set(clusterProcesses().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker')));
  for (const p of grpc) assert.ok(workers.has(parentOf(p)), `gRPC process ${p} was launched by a worker`);
  // The scheduler spreads the two split executors over the two workers (round-robin).
  assert.equal(new Set(grpc.map(parentOf)).size, 2, 'each worker launched one of them');

  const kill = await runCli(['kill', 'grpc-python', '-w', '1', '--config', config], { env: venvEnv() as Record<string, string> });
  assert.equal(kill.code, 0, kill.stderr);
  assert.match(kill.stdout, /removed/);
  await waitFor(() => clusterProcesses().length === 0, 20_000, `no worker or component left (still: ${clusterProcesses().join(', ')})`);
  assert.ok(grpc.every((p) => !alive(p)), 'the Python gRPC processes are gone');
  assert.match((await runCli(['list', '--config', config], { env: venvEnv() as Record<string, string> })).stdout, /no topologies running/);
});
