/**
 * `squall dev-cluster`: ZooKeeper + nimbus + 2 supervisors in one command; a submitted topology
 * runs on real worker processes; Ctrl-C with the topology still running stops everything.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/spec.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function processesUnder(path: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path) || readlinkSync(`/proc/${p}/cwd`).startsWith(path)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out.filter((p) => p !== process.pid);
}

test('dev-cluster runs a submitted topology on real workers; Ctrl-C stops everything', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'squall-devcluster-'));
  const [zkPort, nimbusPort, slotBase] = [await freePort(), await freePort(), 30_000 + Math.floor(Math.random() * 20_000)];
  const child = spawn(process.execPath, [CLI, 'dev-cluster', '--dir', dir, '--slot-ports-from', String(slotBase),
    '-c', `storm.zookeeper.port=${zkPort}`, '-c', `nimbus.grpc.port=${nimbusPort}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('Ctrl-C stops everything'), 60_000, `dev cluster up:\n${out}`);
    assert.match(out, new RegExp(`ZooKeeper\\s+127\\.0\\.0\\.1:${zkPort}`));
    assert.match(out, new RegExp(`worker slots ${slotBase}, ${slotBase + 1}, ${slotBase + 10}, ${slotBase + 11}`));
    const nimbus = `127.0.0.1:${nimbusPort}`;
    const submit = await runCli(['submit', 'python-examples/wordcount', '--nimbus', nimbus, '-c', 'topology.workers=2']);
    assert.equal(submit.code, 0, submit.stderr);
    let acked = 0;
    for (let i = 0; i < 60 && acked !== 1000; i++) {
      const d = await runCli(['describe', 'wordcount', '--nimbus', nimbus, '--json']);
      acked = (JSON.parse(d.stdout) as { components: Array<{ id: string; acked: number }> }).components.find((c) => c.id === 'sentences')?.acked ?? 0;
      if (acked !== 1000) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(acked, 1000);
    assert.ok(processesUnder(join(dir, 'supervisor-1')).length + processesUnder(join(dir, 'supervisor-2')).length >= 2, 'workers running');
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, out);
  await waitFor(() => processesUnder(dir).length === 0, 15_000, 'no ZooKeeper, worker or component left');
});
