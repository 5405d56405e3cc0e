/**
 * A Python gRPC bolt in cluster mode, as a user runs it: a real ZooKeeper, `squall nimbus` and
 * two `squall supervisor`s (started with the SDK venv first on PATH, which their workers and
 * components inherit), then `squall submit` of test/fixtures/grpc-python across 2 workers:
 * the split bolt is launched by the workers, one Python gRPC process per task. `describe
 * --json` shows the exact figures, the count bolt's ledger the exact words, and `kill` leaves
 * no worker and no Python gRPC process behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startCliCluster, type CliCluster, type DescribedTopology } from '../helpers/cli-cluster.js';
import {
  GRPC_PYTHON_FIXTURES, alive, ensureCliBuilt, ensurePythonSdk, environOf, expectedCounts,
  readCounts, readSpoutLedger, unevenAcks, venvEnv,
} from '../helpers/python-grpc.js';
import { waitFor } from '../helpers/spec.js';

const SENTENCES = 300;
const WORDS = [...expectedCounts(SENTENCES).values()].reduce((a, b) => a + b, 0);

let cluster: CliCluster | undefined;
let state: string;

/** The launched Python gRPC components: told where to listen, running split_bolt.py. */
function grpcProcesses(): number[] {
  return cluster!.clusterProcesses().filter((p) => {
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

before(async () => {
  ensurePythonSdk();
  ensureCliBuilt();
  // The daemons run with the venv first on PATH; their workers and components inherit it.
  cluster = await startCliCluster({ prefix: 'squall-e2e-grpc-', env: venvEnv() });
  state = join(cluster.dir, 'state');
  mkdirSync(state);
}, { timeout: 900_000 });

after(() => cluster?.[Symbol.asyncDispose]());

test('a Python gRPC bolt launched per task across 2 workers: exact counts in describe, kill leaves no worker or gRPC process', { timeout: 120_000 }, async () => {
  const conf = ['topology.workers=2', `fixture.state.dir=${state}`, `fixture.sentences=${SENTENCES}`].flatMap((c) => ['-c', c]);
  const c = cluster!;
  const submitted = await c.submit([GRPC_PYTHON_FIXTURES, ...conf]);
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stdout, /submitted topology "grpc-python" as grpc-python-\d+-\d+/);

  await waitFor(() => readSpoutLedger(state).acked.size === SENTENCES, 60_000, `every sentence acked (ledger in ${state}; logs in ${c.dir})`);
  const target = (d: DescribedTopology): boolean => {
    const by = Object.fromEntries(d.components.map((x) => [x.id, x]));
    return by.sentences?.acked === SENTENCES && by.count?.executed === WORDS;
  };
  const d = await c.describeUntil('grpc-python', target, 60);
  const by = Object.fromEntries(d.components.map((x) => [x.id, x]));
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
  assert.equal(grpc.length, 2, `one Python gRPC process per split task (cluster processes: ${c.clusterProcesses().join(', ')})`);
  const workers = new Set(c.clusterProcesses().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker')));
  for (const p of grpc) assert.ok(workers.has(parentOf(p)), `gRPC process ${p} was launched by a worker`);
  // The scheduler spreads the two split executors over the two workers (round-robin).
  assert.equal(new Set(grpc.map(parentOf)).size, 2, 'each worker launched one of them');

  const kill = await c.killAndWait('grpc-python');
  assert.match(kill.stdout, /removed/);
  assert.ok(grpc.every((p) => !alive(p)), 'the Python gRPC processes are gone');
  assert.match((await c.cli(['list'])).stdout, /no topologies running/);
});
