/**
 * The Python SDK's gRPC server (multilang/python/squall/grpc.py): its unittest suite under the
 * venv that has the `grpc` extra installed, so nothing is skipped (a Python test client plays
 * the host over real streams; component processes run with the installed package), then
 * python-examples/grpc-bolt under Squall's own gRPC host.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { loadTopologyFile } from '../../src/local/load-topology.js';
import { runLocal } from '../../src/local/local-mode.js';
import { ROOT } from '../helpers/cli.js';
import { runProgram } from '../helpers/processes.js';
import { ensurePythonSdk, VENV_BIN, VENV_PYTHON } from '../helpers/python-grpc.js';

/** Runs the venv's python from the repository root without PYTHONPATH; stdout and stderr as one output. */
async function runUnittest(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.PYTHONPATH;
  const r = await runProgram(VENV_PYTHON, args, { env, timeoutMs });
  return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

before(ensurePythonSdk, { timeout: 900_000 });

test('the Python gRPC SDK\'s unittest suite passes with nothing skipped', { timeout: 300_000 }, async () => {
  const args = ['-m', 'unittest', 'discover', '-s', 'multilang/python/tests', '-t', 'multilang/python', '-p', 'test_grpc_*.py'];
  const r = await runUnittest(args, 240_000);
  assert.equal(r.code, 0, `${VENV_PYTHON} ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  assert.match(r.output, /\nRan \d+ tests/, r.output);
  assert.match(r.output, /\nOK\s*$/, r.output);
  assert.doesNotMatch(r.output, /skipped/, 'grpc must be importable in the venv: no test may skip');
});

test('python-examples/grpc-bolt: a Python gRPC bolt launched per task between stdio components', { timeout: 60_000 }, async () => {
  const loaded = await loadTopologyFile(join(ROOT, 'python-examples', 'grpc-bolt', 'topology.yaml'));
  const logger = new MemoryLogger();
  // `python3` in the topology must be the interpreter that has squall[grpc] installed.
  const env = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH ?? ''}` };
  const result = await runLocal({ plan: loaded.plan, durationMs: 3000, drainTimeoutMs: 10_000, env, logger });
  const msgs = logger.records.map((r) => r.msg);
  const dump = logger.records.map((r) => `${r.level}: ${r.msg}`).join('\n');
  assert.deepEqual(msgs.filter((m) => m.startsWith('line ')).sort(), [
    'line 0: HELLO FROM A PYTHON SPOUT',
    'line 1: THROUGH A GRPC BOLT',
    'line 2: AND BACK TO A PYTHON BOLT',
    'line 3: CAF\u00c9 CR\u00c8ME BR\u00dbL\u00c9E SURVIVES THE TRIP',
    'line 4: TABS\tAND "QUOTES" TOO',
  ], dump);
  assert.deepEqual(msgs.filter((m) => m.startsWith('all ')), ['all 5 lines acked'], dump);
  // cleanup() ran in both gRPC tasks when Squall closed their streams; together they saw every line.
  const counts = msgs.map((m) => /^upper task \d+ upper-cased (\d+) lines$/.exec(m)).filter((m) => m !== null).map((m) => Number(m[1]));
  assert.equal(counts.length, 2, dump);
  assert.equal(counts[0]! + counts[1]!, 5, dump);
  const upper = result.stats.find((s) => s.componentId === 'upper')!;
  assert.equal(upper.acked, 5);
  assert.equal(upper.failed, 0);
  assert.ok(logger.records.every((r) => r.level !== 'error'), dump);
});
