/**
 * A real standalone ZooKeeper for the cluster tests, started by src/coordination/local-zookeeper.ts
 * from the system installation (Debian's `zookeeper` package, or ZOOKEEPER_HOME) on a free
 * loopback port, with a short tickTime so sessions can time out in about a second.
 * stop() kills the server like a crash; start() brings it back on the same port and data.
 *
 * startZkProxy() puts a TCP proxy in front of it that can black-hole traffic without closing
 * connections: a silent network partition, which a server kill cannot imitate.
 *
 * If ZooKeeper or Java is missing this throws — the cluster suite must never skip silently.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { LocalZooKeeper, ZooKeeperUnavailableError } from '../../src/coordination/local-zookeeper.js';

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

const live = new Set<LocalZooKeeper>();

// A test file that ends without disposing (a failed before(), process.exit) must not leave java behind.
process.on('exit', () => {
  for (const zk of live) zk.killNow();
});

/** Starts a fresh ZooKeeper; dispose it (or call stop) when done. */
export async function startZooKeeper(opts: ZkServerOptions = {}): Promise<ZkServer> {
  const zk = await LocalZooKeeper.start({
    port: 0,
    tickTimeMs: opts.tickTimeMs ?? 200,
    minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 400,
    maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 10_000,
    env: process.env,
  }).catch((err: unknown) => {
    if (!(err instanceof ZooKeeperUnavailableError)) throw err;
    throw new Error(`ZooKeeper is required by the cluster tests and was not found: ${err.message}. To fix: ${err.hint ?? ''}, or run .ci/run which does it.`);
  });
  live.add(zk);
  return {
    port: zk.port,
    connectString: zk.connectString,
    get running() { return zk.running; },
    start: () => zk.restart(),
    stop: () => zk.crash(),
    async [Symbol.asyncDispose]() {
      await zk.crash();
      await zk.close();
      live.delete(zk);
    },
  };
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
