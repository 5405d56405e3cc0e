/**
 * `squall dev-zookeeper` end to end: the built CLI starts a real ZooKeeper (Debian's package),
 * announces it, serves a real client, stops on SIGINT with exit 0 and leaves no java behind;
 * a taken port and a missing ZooKeeper are exit 2 with a one-line cause and a hint.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ZooKeeperStateStore } from '../../src/coordination/zk-store.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/processes.js';

const children = new Set<ChildProcessWithoutNullStreams>();
/** Data dirs of servers started here: a failed test must not leave their java running. */
const dataDirs = new Set<string>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of dataDirs) for (const pid of zooKeeperPids(dir)) process.kill(pid, 'SIGKILL');
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI and resolves once stdout matches `ready` (or rejects with its output if it exits first). */
async function startCli(args: string[], ready: RegExp, opts: { ownGroup?: boolean } = {}): Promise<Started> {
  // ownGroup: a process group of its own, so the test can signal it as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'pipe', detached: opts.ownGroup ?? false });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => { children.delete(child); resolve({ code, signal }); });
  });
  const deadline = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dev-zookeeper did not come up:\nstdout: ${out}\nstderr: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Pids of ZooKeeper servers whose command line names `dir` (zoo.cfg lives in the data dir). */
function zooKeeperPids(dir: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes('QuorumPeerMain') && cmd.includes(join(dir, 'zoo.cfg')) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('dev-zookeeper: connect string and config lines, a real client works, SIGINT stops it (exit 0, java gone)', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'squall-devzk-test-'));
  dataDirs.add(dir);
  try {
    const cli = await startCli(['dev-zookeeper', '--port', String(port), '--dir', dir], /storm\.zookeeper\.port: \d+/);
    assert.match(cli.stdout(), new RegExp(`^connect string: 127\\.0\\.0\\.1:${port}$`, 'm'));
    assert.match(cli.stdout(), /^ {2}storm\.zookeeper\.servers: \[127\.0\.0\.1\]$/m);
    assert.match(cli.stdout(), new RegExp(`^ {2}storm\\.zookeeper\\.port: ${port}$`, 'm'));
    assert.match(cli.stderr(), /press Ctrl-C/);
    const pids = zooKeeperPids(dir);
    assert.equal(pids.length, 1, 'one ZooKeeper java process for this data dir');

    const store = await ZooKeeperStateStore.connect({ servers: [`127.0.0.1:${port}`], sessionTimeoutMs: 4_000, shutdownGraceMs: 2_000 });
    try {
      await store.create('/dev-zookeeper-test', new TextEncoder().encode('hello'), { mode: 'persistent' });
      assert.equal(new TextDecoder().decode((await store.get('/dev-zookeeper-test'))?.data), 'hello');
    } finally {
      await store.close();
    }

    cli.child.kill('SIGINT');
    const end = await cli.exited;
    assert.equal(end.code, 0, cli.stderr());
    assert.match(cli.stderr(), /ZooKeeper stopped/);
    assert.ok(!isAlive(pids[0]!), `java ${pids[0]} still running`);
    assert.deepEqual(zooKeeperPids(dir), []);
    assert.ok(existsSync(join(dir, 'version-2')), 'a --dir given by the user is kept, with the data');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dev-zookeeper --json: one JSON line; Ctrl-C to the whole process group (java too) exits 0, temp dir removed', async () => {
  const cli = await startCli(['dev-zookeeper', '--port', '0', '--json'], /\n/, { ownGroup: true });
  const info = JSON.parse(cli.stdout()) as { connectString: string; port: number; dataDir: string };
  dataDirs.add(info.dataDir);
  assert.ok(info.port > 0);
  assert.equal(info.connectString, `127.0.0.1:${info.port}`);
  assert.ok(existsSync(info.dataDir));
  process.kill(-cli.child.pid!, 'SIGINT');
  assert.equal((await cli.exited).code, 0, cli.stderr());
  assert.doesNotMatch(cli.stderr(), /exited unexpectedly/);
  assert.equal(cli.stdout().trim().split('\n').length, 1, 'only the JSON line on stdout');
  assert.ok(!existsSync(info.dataDir), 'temporary data dir removed');
  assert.deepEqual(zooKeeperPids(info.dataDir), []);
});

test('dev-zookeeper on a port in use: exit 2, the port named, nothing left running', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  const addr = taken.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  try {
    const r = await runCli(['dev-zookeeper', '--port', String(port)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`error: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.match(r.stderr, /hint: .*--port/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('dev-zookeeper without ZooKeeper: exit 2 with the install command; bad flags and config exit 2', async () => {
  const missing = await runCli(['dev-zookeeper', '--port', '0'], { env: { ZOOKEEPER_HOME: '/nonexistent/zookeeper' } });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^error: ZooKeeper is not installed in ZOOKEEPER_HOME=\/nonexistent\/zookeeper/m);
  assert.match(missing.stderr, /^ {2}hint: install it with `sudo apt-get install zookeeper`.*ZOOKEEPER_HOME/m);

  const badPort = await runCli(['dev-zookeeper', '--port', '99999']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /invalid --port "99999"/);

  const badConf = await runCli(['dev-zookeeper', '-c', 'storm.zookeeper.prot=2181']);
  assert.equal(badConf.code, 2);
  assert.match(badConf.stderr, /-c storm\.zookeeper\.prot=2181: unknown config key .*did you mean "storm\.zookeeper\.port"/);

  const noFile = await runCli(['dev-zookeeper', '--config', 'nope.yaml']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /config file not found: nope\.yaml/);
});
