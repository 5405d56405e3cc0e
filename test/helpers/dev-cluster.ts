/**
 * `squall dev-cluster` for the tests: the built CLI's ZooKeeper + nimbus + 2 supervisors in one
 * process, on free ports, in a directory of the test's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, ROOT } from './cli.js';
import { freePort, processesUnder } from './processes.js';
import { waitFor } from './spec.js';

export interface DevCluster {
  readonly zkPort: number;
  readonly nimbusPort: number;
  /** The first worker slot port (--slot-ports-from). */
  readonly slotBase: number;
  /** "127.0.0.1:<nimbusPort>" */
  readonly nimbus: string;
  /** Everything the dev cluster has printed so far, stdout and stderr. */
  log: () => string;
}

/**
 * Starts `squall dev-cluster --dir <dir>`, waits up to `readyTimeoutMs` for "Ctrl-C stops
 * everything", and runs `body`. Then, whatever happened, stops it with SIGINT (Ctrl-C); if
 * `body` succeeded, asserts it exited 0 and that no process (ZooKeeper, worker, component) is
 * left under `dir` within 15 s.
 */
export async function withDevCluster(dir: string, readyTimeoutMs: number, body: (cluster: DevCluster) => Promise<void>): Promise<void> {
  const [zkPort, nimbusPort, slotBase] = [await freePort(), await freePort(), 30_000 + Math.floor(Math.random() * 20_000)];
  const child = spawn(process.execPath, [CLI, 'dev-cluster', '--dir', dir, '--slot-ports-from', String(slotBase),
    '-c', `storm.zookeeper.port=${zkPort}`, '-c', `nimbus.grpc.port=${nimbusPort}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => log.includes('Ctrl-C stops everything'), readyTimeoutMs, `dev cluster up:\n${log}`);
    await body({ zkPort, nimbusPort, slotBase, nimbus: `127.0.0.1:${nimbusPort}`, log: () => log });
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, log);
  await waitFor(() => processesUnder(dir).length === 0, 15_000, 'no ZooKeeper, worker or component left');
}
