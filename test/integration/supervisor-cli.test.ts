/**
 * `squall supervisor` and `squall worker` as commands (run from the sources through
 * test/fixtures/worker-entry.ts, which registers them as main.ts will): bad input exits 2 with
 * the problem named, an unreachable ZooKeeper is a one-line cause and a next step, exit 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const ENTRY = fileURLToPath(new URL('../fixtures/worker-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
let tmp: string;

before(async () => { tmp = await mkdtemp(join(tmpdir(), 'squall-sv-cli-')); });
after(async () => { await rm(tmp, { recursive: true, force: true }); });

/** Runs the entry in an empty directory (no squall.yaml) with no SQUALL_* variables. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SQUALL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('squall supervisor / squall worker commands', () => {
  test('supervisor: an unreachable ZooKeeper is a one-line cause and a next step, exit 1', { timeout: 30_000 }, async () => {
    const r = await run(['supervisor', '--local-dir', join(tmp, 'local'), '-c', 'storm.zookeeper.servers=127.0.0.1:1', '-c', 'storm.zookeeper.connection.timeout=500']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^error: cannot connect to ZooKeeper at 127\.0\.0\.1:1: no session within 500 ms/);
    assert.match(lines[1]!, /^ {2}hint: start ZooKeeper \(for development: squall dev-zookeeper\)/);
  });

  test('supervisor: bad flags are named and exit 2', { timeout: 30_000 }, async () => {
    const r = await run(['supervisor', '--ports', '6700,notaport', '--id', 'a/b']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /supervisor\.slots\.ports/);
    assert.match(r.stderr, /supervisor\.id/);
  });

  test('worker: missing flags and a bad --cluster-config exit 2', { timeout: 30_000 }, async () => {
    const missing = await run(['worker', '--port', '6700']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option/);
    const flags = ['--topology-id', 't-1-1', '--supervisor-id', 's', '--port', '6700', '--host', '127.0.0.1', '--worker-dir', tmp, '--package-dir', tmp];
    const json = await run(['worker', ...flags, '--cluster-config', '{not json']);
    assert.equal(json.code, 2, json.stderr);
    assert.match(json.stderr, /--cluster-config is not valid JSON/);
    const key = await run(['worker', ...flags, '--cluster-config', '{"storm.zookeeper.sever": ["x"]}']);
    assert.equal(key.code, 2, key.stderr);
    assert.match(key.stderr, /unknown config key "storm\.zookeeper\.sever"/);
  });
});
