/**
 * Cluster mode with a Python DSL topology: a real ZooKeeper, `squall nimbus` and a `squall
 * supervisor` with two slots, then `squall submit python-examples/wordcount/topology.py` across
 * 2 workers. The package carries the spec generated at submit (topology.py.json), which is what
 * nimbus and the workers read; the counts must be the word count's, and `kill` must leave no
 * worker or component behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

/** Processes whose command line names `path` or whose working directory is under it. */
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

/** Files named `name` anywhere under `root`. */
function findFiles(root: string, name: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name === name)
    .map((d) => join(d.parentPath, d.name));
}

async function describeTopology(): Promise<{ status: string; workers: unknown[]; components: Array<{ id: string; acked: number; executed: number; failed: number }> }> {
  const r = await runCli(['describe', 'wordcount', '--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  zk = await startZooKeeper();
  dir = mkdtempSync(join(tmpdir(), 'squall-dsl-e2e-'));
  config = join(dir, 'squall.yaml');
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(config, [
    `storm.zookeeper.servers: [127.0.0.1]`, `storm.zookeeper.port: ${zk.port}`,
    `storm.zookeeper.session.timeout: 4000`, `storm.zookeeper.connection.timeout: 3000`,
    `nimbus.seeds: [127.0.0.1]`, `nimbus.grpc.port: ${port}`, `nimbus.monitor.freq.secs: 1`, '',
  ].join('\n'));
  daemon(['nimbus', '--config', config, '--local-dir', join(dir, 'nimbus')], 'nimbus.log');
  daemon(['supervisor', '--config', config, '--local-dir', join(dir, 's1'), '--host', '127.0.0.1', '--ports', `${port + 1},${port + 2}`, '--id', 'sup-a'], 's1.log');
}, { timeout: 60_000 });

after(async () => {
  for (const d of daemons) d.kill('SIGTERM');
  await Promise.all(daemons.map((d) => new Promise((r) => (d.exitCode !== null ? r(null) : d.on('exit', r)))));
  for (const p of processesUnder(dir)) process.kill(p, 'SIGKILL');
  await zk[Symbol.asyncDispose]();
  rmSync(dir, { recursive: true, force: true });
});

test('submit the Python DSL word count: the generated spec is shipped, the counts are right, kill cleans up', { timeout: 120_000 }, async () => {
  let submitted;
  // The daemons need a moment to register; submit retries until nimbus answers.
  for (let i = 0; i < 40; i++) {
    submitted = await runCli(['submit', 'python-examples/wordcount/topology.py', '--config', config, '-c', 'topology.workers=2']);
    if (submitted.code === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(submitted!.code, 0, submitted!.stderr);
  assert.match(submitted!.stdout, /submitted topology "wordcount" as wordcount-1-\d+/);

  let d = await describeTopology();
  const done = (): boolean => d.components.find((c) => c.id === 'sentences')?.acked === 1000
    && (d.components.find((c) => c.id === 'count')?.executed ?? 0) >= 6400;
  for (let i = 0; i < 120 && !done(); i++) {
    await new Promise((r) => setTimeout(r, 500));
    d = await describeTopology();
  }
  const by = Object.fromEntries(d.components.map((c) => [c.id, c]));
  assert.equal(d.status, 'ACTIVE');
  assert.equal(d.workers.length, 2, 'two workers');
  assert.equal(by.sentences!.acked, 1000);
  assert.equal(by.sentences!.failed, 0);
  assert.equal(by.split!.executed, 1000);
  // Every word once, plus the count bolt's tick tuples.
  assert.ok(by.count!.executed >= 6400 && by.count!.executed < 6500, `count executed ${by.count!.executed}`);

  // The supervisor's copy of the package holds the spec generated at submit, beside topology.py.
  const specs = findFiles(join(dir, 's1'), 'topology.py.json');
  assert.ok(specs.length >= 1, 'the unpacked package has topology.py.json');
  const spec = JSON.parse(readFileSync(specs[0]!, 'utf8')) as { name: string; bolts: Array<{ id: string }> };
  assert.equal(spec.name, 'wordcount');
  assert.deepEqual(spec.bolts.map((b) => b.id), ['split', 'count']);

  const kill = await runCli(['kill', 'wordcount', '-w', '1', '--config', config]);
  assert.equal(kill.code, 0, kill.stderr);
  await waitFor(() => processesUnder(join(dir, 's1', 'supervisor')).length === 0, 20_000, 'no worker or component left');
});
