/**
 * A real standalone ZooKeeper for the cluster tests, from Debian's `zookeeper` package: java
 * is run directly (never through a shell) with QuorumPeerMain and a generated zoo.cfg, on a
 * free loopback port, with a short tickTime so sessions can time out in about a second.
 * stop() kills the server like a crash; start() brings it back on the same port and data.
 *
 * startZkProxy() puts a TCP proxy in front of it that can black-hole traffic without closing
 * connections: a silent network partition, which a server kill cannot imitate.
 *
 * If ZooKeeper or Java is missing this throws — the cluster suite must never skip silently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ZkServer extends AsyncDisposable {
  readonly port: number;
  /** "127.0.0.1:<port>" */
  readonly connectString: string;
  readonly running: boolean;
  /** Kills the server (SIGKILL, like a crash); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

export interface ZkServerOptions {
  /** @default 200 — sessions may then be as short as 2 ticks */
  tickTimeMs?: number;
  /** @default 400 */
  minSessionTimeoutMs?: number;
  /** @default 10000 */
  maxSessionTimeoutMs?: number;
}

const JAR_DIRS = ['/usr/share/java', '/usr/share/zookeeper', '/usr/share/zookeeper/lib'];
const INSTALL_HINT = 'ZooKeeper is required by the cluster tests and was not found. Install it with '
  + '`sudo apt-get install zookeeper` (Debian/Ubuntu; it pulls in a Java runtime), or run .ci/run which does it.';
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts a fresh ZooKeeper; dispose it (or call stop) when done. */
export async function startZooKeeper(opts: ZkServerOptions = {}): Promise<ZkServer> {
  const java = findJava();
  const classpath = findClasspath();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'squall-zk-'));
  const cfg = writeConfig(dir, port, opts);
  let child: ChildProcess | undefined;

  const server: ZkServer = {
    port,
    connectString: `127.0.0.1:${port}`,
    get running() { return child !== undefined; },
    async start() {
      if (child) return;
      child = launch(java, classpath, cfg, dir);
      await waitUntilServing(port, child, dir);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c) await kill(c);
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  }
  return server;
}

export interface ZkProxy extends AsyncDisposable {
  /** "127.0.0.1:<proxy port>" */
  readonly connectString: string;
  /** While on, bytes in both directions are dropped and connections stay open. */
  blackhole(on: boolean): void;
}

/** A loopback TCP proxy to `targetPort` that can silently drop all traffic. */
export async function startZkProxy(targetPort: number): Promise<ZkProxy> {
  let hole = false;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((downstream) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(downstream);
    track(upstream);
    downstream.on('data', (d: Buffer) => { if (!hole) upstream.write(d); });
    upstream.on('data', (d: Buffer) => { if (!hole) downstream.write(d); });
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    connectString: `127.0.0.1:${port}`,
    blackhole(on) { hole = on; },
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function findJava(): string {
  const candidates = [process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin/java') : '', '/usr/bin/java'];
  const java = candidates.find((p) => p && existsSync(p));
  if (!java) throw new Error(`Java not found (looked for $JAVA_HOME/bin/java and /usr/bin/java). ${INSTALL_HINT}`);
  return java;
}

/** zookeeper.jar's manifest names its dependencies; slf4j-simple (if present) lets it log warnings. */
function findClasspath(): string {
  const jar = JAR_DIRS.map((d) => join(d, 'zookeeper.jar')).find((p) => existsSync(p));
  if (!jar) throw new Error(`zookeeper.jar not found in ${JAR_DIRS.join(', ')}. ${INSTALL_HINT}`);
  const extras = ['zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-simple.jar'].map((n) => join('/usr/share/java', n)).filter((p) => existsSync(p));
  return [jar, ...extras].join(':');
}

function writeConfig(dir: string, port: number, opts: ZkServerOptions): string {
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(cfg, [
    `tickTime=${opts.tickTimeMs ?? 200}`,
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    `minSessionTimeout=${opts.minSessionTimeoutMs ?? 400}`,
    `maxSessionTimeout=${opts.maxSessionTimeoutMs ?? 10_000}`,
    '4lw.commands.whitelist=ruok,srvr,cons',
    'maxClientCnxns=0',
    // Small preallocation and no fsync: fast on slow CI disks; page cache survives a SIGKILL.
    'preAllocSize=1024',
    'forceSync=no',
    '',
  ].join('\n'));
  return cfg;
}

function launch(java: string, classpath: string, cfg: string, dir: string): ChildProcess {
  const log = openSync(join(dir, 'zookeeper.log'), 'a');
  const child = spawn(java, [
    '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dzookeeper.admin.enableServer=false',
    '-cp', classpath,
    'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg,
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Polls "ruok" until the server says "imok"; fails fast with the log if java exits. */
async function waitUntilServing(port: number, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`ZooKeeper exited during startup (${child.exitCode ?? child.signalCode}):\n${logTail(dir)}`);
    }
    if ((await fourLetter(port, 'ruok').catch(() => '')) === 'imok') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`ZooKeeper did not answer on 127.0.0.1:${port} within 30 s:\n${logTail(dir)}`);
}

function fourLetter(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let out = '';
    sock.setTimeout(1_000, () => sock.destroy(new Error('timeout')));
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d: Buffer) => { out += d.toString(); });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'zookeeper.log'), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}
