/**
 * The Python cluster client (multilang/python/squall/client.py) as installed by
 * scripts/install-python-sdk.sh: its unit tests with the generated stubs present (none
 * skipped), packages it builds that nimbus's safe extraction accepts entry for entry (a Python
 * DSL topology's with the very spec `squall submit` generates), and
 * python-examples/submit-and-watch run against `squall dev-cluster` — it submits the Python
 * word count, lists it, waits for 1000 acked sentences, prints the stats and kills it,
 * leaving no topology and no worker behind.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadTopologyFile } from '../../src/local/load-topology.js';
import { listPackageFiles } from '../../src/packages/create-package.js';
import { inspectPackage, safeExtract } from '../../src/packages/safe-extract.js';
import { ROOT } from '../helpers/cli.js';
import { withDevCluster } from '../helpers/dev-cluster.js';
import { processesUnder, runProgram, type ProgramResult } from '../helpers/processes.js';
import { ensurePythonSdk, VENV_PYTHON as PYTHON } from '../helpers/python-grpc.js';
import { waitFor } from '../helpers/spec.js';

const EXAMPLE = join(ROOT, 'python-examples', 'submit-and-watch', 'submit_and_watch.py');
const scratch = mkdtempSync(join(tmpdir(), 'squall-python-client-'));

/** Runs a program from the repository root without PYTHONPATH, so the installed squall is used. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<ProgramResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  delete env.PYTHONPATH;
  return runProgram(cmd, args, { env, timeoutMs });
}

before(ensurePythonSdk, { timeout: 620_000 });
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the Python client\'s unit tests pass against the installed package, none skipped', { timeout: 120_000 }, async () => {
  // Appended, not prepended, to sys.path: the installed squall (with squall.v1) wins over the source tree.
  const script = "import sys, unittest; sys.path.append('multilang/python'); unittest.main(module=None, argv=['client-tests', 'tests.test_client_package', 'tests.test_client_grpc'])";
  const r = await run(PYTHON, ['-c', script], 110_000);
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.code, 0, output);
  assert.match(output, /\nOK\n/);
  assert.doesNotMatch(output, /skipped/);
});

test('a package packed by Python lists the same entries as createPackage and passes safe extraction', { timeout: 60_000 }, async () => {
  const dir = join(scratch, 'pack');
  for (const d of ['lib/deep', 'node_modules/x', '__pycache__', 'Zeta']) mkdirSync(join(dir, d), { recursive: true });
  const files: Record<string, string> = { 'topology.yaml': 'name: packed\n', 'lib/deep/ünïcode.txt': 'u', 'lib/a.py': 'a', 'B.txt': 'b', 'node_modules/x/i.js': 'x', '__pycache__/c.pyc': 'c', 'Zeta/.hidden': 'h', 'run.sh': '#!/bin/sh\n' };
  for (const [rel, body] of Object.entries(files)) writeFileSync(join(dir, rel), body);
  chmodSync(join(dir, 'run.sh'), 0o755);
  const out = join(scratch, 'packed.tar.gz');
  const script = 'import json, sys; from squall.client import list_package_files, pack_directory\n'
    + 'open(sys.argv[2], "wb").write(pack_directory(sys.argv[1])); print(json.dumps(list_package_files(sys.argv[1])))';
  const r = await run(PYTHON, ['-c', script, dir, out], 30_000);
  assert.equal(r.code, 0, r.stderr);
  const expected = await listPackageFiles(dir);
  assert.deepEqual(JSON.parse(r.stdout), expected);
  const listing = await inspectPackage(readFileSync(out));
  assert.deepEqual(listing.entries.map((e) => (e.kind === 'directory' ? `${e.path}/` : e.path)), expected);

  symlinkSync('topology.yaml', join(dir, 'link.yaml'));
  const refused = await run(PYTHON, ['-c', script, dir, out], 30_000);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /SquallClientError: cannot package .*\n {2}"link\.yaml" is a symbolic link/);
});

test('a Python topology packed by Python carries the spec squall submit generates, byte for byte', { timeout: 60_000 }, async () => {
  const wordcount = join(ROOT, 'python-examples', 'wordcount');
  const out = join(scratch, 'dsl.tar.gz');
  const script = 'import sys; from squall.package import pack_topology\n'
    + 'p = pack_topology(sys.argv[1]); open(sys.argv[2], "wb").write(p.data); print(p.name, p.topology_file)';
  const r = await run(PYTHON, ['-c', script, join(wordcount, 'topology.py'), out], 30_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'wordcount topology.py.json');
  const loaded = await loadTopologyFile(join(wordcount, 'topology.py'), {}, process.env, { python: {} });
  const generated = { path: 'topology.py.json', content: loaded.generated! };
  const root = join(scratch, 'dsl');
  const listing = await safeExtract(readFileSync(out), root);
  assert.deepEqual(listing.entries.map((e) => (e.kind === 'directory' ? `${e.path}/` : e.path)), await listPackageFiles(wordcount, { extraFiles: [generated] }));
  assert.equal(readFileSync(join(root, 'topology.py.json'), 'utf8'), generated.content);
});

test('submit-and-watch on a dev cluster: submits, lists, waits for acks, prints stats, kills; nothing left', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(scratch, 'cluster-'));
  await withDevCluster(dir, 90_000, async ({ nimbus, log }) => {
    const r = await run(PYTHON, [EXAMPLE, '--nimbus', nimbus, '--acked', '1000', '--timeout', '120'], 180_000);
    const out = r.stdout;
    assert.equal(r.code, 0, `${out}${r.stderr}\n--- dev cluster:\n${log()}`);
    assert.match(out, new RegExp(`^cluster: 1 nimbus \\(leader ${nimbus.replace(/\./g, '\\.')}\\), 2 supervisors, 4 worker slots free$`, 'm'));
    assert.match(out, /^submitted wordcount as wordcount-1-\d+ \(package \d+ bytes\)$/m);
    assert.match(out, /^listed: wordcount ACTIVE, 2 workers, 7 executors, 7 tasks$/m);
    assert.match(out, /^acked: 1000 after [\d.]+ s$/m);
    assert.match(out, /^sentences\s+spout\s+1000\s+0\s+1000\s+0\s+0$/m);
    assert.match(out, /^split\s+bolt\s+6400\s+1000\s+1000\s+0\s+0$/m);
    assert.match(out, /^killed wordcount: removed$/m);
    assert.match(out, /^topologies left: none$/m);
    assert.match(out, /^worker slots in use: 0$/m);
    const supervisors = [join(dir, 'supervisor-1'), join(dir, 'supervisor-2')];
    await waitFor(() => supervisors.every((s) => processesUnder(s).length === 0), 30_000, 'the workers and their components to exit');

    const unreachable = await run(PYTHON, [EXAMPLE, '--nimbus', '127.0.0.1:1'], 30_000);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^error: cannot reach nimbus at 127\.0\.0\.1:1: connection refused/m);
  });
});
