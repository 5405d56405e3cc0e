/**
 * The client commands (submit, list, describe, kill, activate, deactivate, rebalance) as a user
 * runs them: the real CLI in a child process against a real gRPC server with recording handlers.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SquallError } from '../../src/common/errors.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/index.js';
import { runCli } from '../helpers/cli.js';

const calls: Array<{ rpc: string; request: unknown }> = [];
let uploaded: { sha256: string; bytes: number } | undefined;
let server: RpcServer;
let nimbus: string;

before(async () => {
  server = await startRpcServer({
    port: 0,
    handlers: {
      uploadPackage: async (upload) => {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of upload.chunks) {
          hash.update(chunk);
          bytes += chunk.length;
        }
        uploaded = { sha256: hash.digest('hex'), bytes };
        return { packageId: uploaded.sha256 };
      },
      submitTopology: async (request) => {
        calls.push({ rpc: 'submit', request });
        return { topologyId: `${request.name}-1-1700000000` };
      },
      listTopologies: async () => [{ id: 'wordcount-js-1-1700000000', name: 'wordcount-js', status: 'ACTIVE', uptimeSecs: 125, numWorkers: 2, numExecutors: 6, numTasks: 6, scheduleMessage: '' }],
      describeTopology: async (request) => {
        if (request.name !== 'wordcount-js') throw new SquallError('E_TOPOLOGY_NOT_FOUND', `no topology named "${request.name}"`);
        return {
          id: 'wordcount-js-1-1700000000', name: 'wordcount-js', status: 'ACTIVE', uptimeSecs: 5,
          workers: [{ host: '127.0.0.2', port: 6700, supervisorId: 'sup-a', uptimeSecs: 5, numExecutors: 3, numTasks: 3 }],
          components: [{ id: 'split', kind: 'bolt', numExecutors: 2, numTasks: 2, emitted: 1000, transferred: 1000, executed: 200, acked: 200, failed: 0, completeLatencyMs: 0, executeLatencyMs: 0.1, errorsCount: 1, lastErrors: [{ timeMs: 1_700_000_000_000, task: 4, host: '127.0.0.2', port: 6700, message: 'boom' }] }],
        };
      },
      killTopology: async (request) => {
        calls.push({ rpc: 'kill', request });
        return { topologyId: 'wordcount-js-1-1700000000', status: 'KILLED', removed: request.waitForRemoval };
      },
      activateTopology: async (request) => ({ topologyId: `${request.name}-1-1700000000`, status: 'ACTIVE' }),
      deactivateTopology: async (request) => ({ topologyId: `${request.name}-1-1700000000`, status: 'INACTIVE' }),
      rebalanceTopology: async (request) => {
        calls.push({ rpc: 'rebalance', request });
        return { topologyId: `${request.name}-1-1700000000`, status: 'REBALANCING' };
      },
    },
  });
  nimbus = `127.0.0.1:${server.port}`;
});
after(() => server.close());

test('submit a directory: validated locally, packaged, uploaded and submitted with overrides', { timeout: 30_000 }, async () => {
  const r = await runCli(['submit', 'examples/wordcount-js', '--nimbus', nimbus, '-c', 'topology.workers=2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { name: string; topologyId: string };
  assert.equal(out.topologyId, 'wordcount-js-1-1700000000');
  const submit = calls.find((c) => c.rpc === 'submit')!.request as Record<string, unknown>;
  assert.deepEqual(submit, { name: 'wordcount-js', packageId: uploaded!.sha256, topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 2 }, startInactive: false });
  assert.ok(uploaded!.bytes > 100);
});

test('submit an invalid topology: the validation errors, exit 2, nothing uploaded', async () => {
  const before = calls.length;
  const r = await runCli(['submit', 'test/fixtures/invalid.yaml', '--nimbus', nimbus]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid\.yaml:8:5: error: component "sentences": unknown spout key "paralelism"/);
  assert.equal(calls.length, before);
});

test('submit with a name that is not safe: exit 2', async () => {
  const r = await runCli(['submit', 'examples/wordcount-js', '--name', 'wc;rm -rf', '--nimbus', nimbus]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error: .*topology name/i);
});

test('list and describe render tables; --json gives the data', async () => {
  const list = await runCli(['list', '--nimbus', nimbus]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^wordcount-js\s+wordcount-js-1-1700000000\s+ACTIVE\s+2m 5s\s+2\s+6\s+6$/m);
  const describe = await runCli(['describe', 'wordcount-js', '--nimbus', nimbus]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /topology "wordcount-js" \(wordcount-js-1-1700000000\): ACTIVE/);
  assert.match(describe.stdout, /^127\.0\.0\.2:6700\s+sup-a\s+5s\s+3\s+3$/m);
  assert.match(describe.stdout, /^split\s+bolt\s+1,000\s+1,000\s+200\s+200\s+0\s+1$/m);
  assert.match(describe.stdout, /split task 4: boom/);
  const json = await runCli(['describe', 'wordcount-js', '--nimbus', nimbus, '--json']);
  assert.equal((JSON.parse(json.stdout) as { components: unknown[] }).components.length, 1);
  const missing = await runCli(['describe', 'nope', '--nimbus', nimbus]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no topology named "nope"/);
});

test('kill, activate, deactivate and rebalance send what the flags say', async () => {
  const kill = await runCli(['kill', 'wordcount-js', '-w', '5', '--nimbus', nimbus]);
  assert.equal(kill.code, 0, kill.stderr);
  assert.match(kill.stdout, /killed topology "wordcount-js" \(wordcount-js-1-1700000000\): removed/);
  assert.deepEqual(calls.filter((c) => c.rpc === 'kill').at(-1)!.request, { name: 'wordcount-js', waitSecs: 5, waitForRemoval: true });
  assert.match((await runCli(['deactivate', 'wordcount-js', '--nimbus', nimbus])).stdout, /: INACTIVE/);
  assert.match((await runCli(['activate', 'wordcount-js', '--nimbus', nimbus])).stdout, /: ACTIVE/);
  const rb = await runCli(['rebalance', 'wordcount-js', '-n', '2', '-e', 'split=3', '-w', '0', '--nimbus', nimbus]);
  assert.equal(rb.code, 0, rb.stderr);
  assert.deepEqual(calls.filter((c) => c.rpc === 'rebalance').at(-1)!.request, { name: 'wordcount-js', waitSecs: 0, numWorkers: 2, executors: { split: 3 } });
  const bad = await runCli(['rebalance', 'wordcount-js', '-e', 'split', '--nimbus', nimbus]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /use -e component=N/);
});

test('nimbus unreachable: one line with the cause and a next step, exit 1, no stack', async () => {
  const r = await runCli(['list', '--nimbus', '127.0.0.1:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach nimbus at 127\.0\.0\.1:1: connection refused — is `squall nimbus` running\?/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
