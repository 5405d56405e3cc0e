/**
 * A standalone single-node ZooKeeper from the system installation, for development (`squall
 * dev-zookeeper`) and tests — Storm's `storm dev-zookeeper` without a bundled ZooKeeper. Java
 * is run directly (never through a shell) with QuorumPeerMain and a generated zoo.cfg.
 *
 * Found in this order: $ZOOKEEPER_HOME (an unpacked release: lib/*.jar), then Debian's
 * `zookeeper` package (/usr/share/java/zookeeper.jar). Java: $JAVA_HOME/bin/java, $PATH,
 * /usr/bin/java. When either is missing, ZooKeeperUnavailableError says how to install it.
 *
 * @example
 * ```ts
 * await using zk = await LocalZooKeeper.start({ port: 0, env: process.env });
 * await using store = await ZooKeeperStateStore.connect({ servers: [zk.connectString] });
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError, SquallError, UsageError } from '../common/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The one-line cure printed with every "not installed" error. */
export const ZOOKEEPER_INSTALL_HINT = 'install it with `sudo apt-get install zookeeper` (Debian/Ubuntu; it pulls in Java), '
  + 'or set ZOOKEEPER_HOME to an unpacked ZooKeeper release (and JAVA_HOME to a Java runtime)';

/** Thrown when Java or ZooKeeper is not installed; the CLI exits 2 with the install hint. */
export class ZooKeeperUnavailableError extends UsageError {
  constructor(message: string) {
    super(message, { hint: ZOOKEEPER_INSTALL_HINT });
  }
}

/** Thrown when the client port cannot be bound because something already listens there. */
export class PortInUseError extends UsageError {
  readonly port: number;
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use`, { hint: 'is another ZooKeeper running? stop it, or choose another port (--port)' });
    this.port = port;
  }
}

/** Options of LocalZooKeeper.start(); all optional. */
export interface LocalZooKeeperOptions {
  /** Client port; 0 picks a free one. @default 2181 */
  port?: number;
  /** Address to bind; loopback so a development server is not reachable from the network. @default "127.0.0.1" */
  host?: string;
  /** Data directory (also holds zoo.cfg and zookeeper.log), kept afterwards. @default a new temporary directory, removed by close() */
  dir?: string;
  /** ZooKeeper's tick; sessions may last 2 to 20 ticks by default. @default 2000 */
  tickTimeMs?: number;
  /** @default 2 × tickTimeMs */
  minSessionTimeoutMs?: number;
  /** @default 20 × tickTimeMs */
  maxSessionTimeoutMs?: number;
  /** Longest wait for the server to answer. @default 30000 */
  startTimeoutMs?: number;
  /** How long close() waits after SIGTERM before SIGKILL. @default 5000 */
  shutdownGraceMs?: number;
  /** Java heap. @default 128 */
  heapMb?: number;
  /** JAVA_HOME, ZOOKEEPER_HOME and PATH are read from here. @default {} */
  env?: Env;
  /** Aborts the start. */
  signal?: AbortSignal;
}

/** How a ZooKeeper process ended. */
export interface ZooKeeperExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Java command line that runs ZooKeeper. */
export interface ZooKeeperInstallation {
  java: string;
  classpath: string;
  /** Where the jars were found, for messages. */
  from: string;
}

type Compiled = Required<Omit<LocalZooKeeperOptions, 'dir' | 'signal' | 'env'>> & { dir: string; ownsDir: boolean };

/** A running (or stopped) local ZooKeeper; close() it, or `await using` it. */
export class LocalZooKeeper implements AsyncDisposable {
  #child: ChildProcess | undefined;
  #exited: Promise<ZooKeeperExit> = Promise.resolve({ code: null, signal: null });
  #closed = false;
  #spawnError: Error | undefined;

  private constructor(private readonly install: ZooKeeperInstallation, private readonly o: Compiled) {}

  /**
   * Starts ZooKeeper and waits until it answers.
   * @throws ZooKeeperUnavailableError when Java or ZooKeeper is not installed
   * @throws PortInUseError when the port is taken
   */
  static async start(options: LocalZooKeeperOptions = {}): Promise<LocalZooKeeper> {
    checkOptions(options);
    const install = findZooKeeperInstallation(options.env ?? {});
    const host = options.host ?? '127.0.0.1';
    const port = await reservePort(host, options.port ?? 2181);
    const tick = options.tickTimeMs ?? 2000;
    const dir = options.dir === undefined ? mkdtempSync(join(tmpdir(), 'squall-zk-')) : resolve(options.dir);
    mkdirSync(dir, { recursive: true });
    const zk = new LocalZooKeeper(install, {
      port, host, dir, ownsDir: options.dir === undefined, tickTimeMs: tick,
      minSessionTimeoutMs: options.minSessionTimeoutMs ?? 2 * tick, maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 20 * tick,
      startTimeoutMs: options.startTimeoutMs ?? 30_000, shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
      heapMb: options.heapMb ?? 128,
    });
    writeConfig(zk.o);
    try {
      await zk.restart(options.signal);
    } catch (err) {
      await zk.close();
      throw err;
    }
    return zk;
  }

  get port(): number { return this.o.port; }
  get host(): string { return this.o.host; }
  /** The data directory. */
  get dir(): string { return this.o.dir; }
  get logFile(): string { return join(this.o.dir, 'zookeeper.log'); }
  /** "host:port" to connect to (loopback when bound to every address). */
  get connectString(): string {
    const h = this.o.host === '0.0.0.0' ? '127.0.0.1' : this.o.host === '::' ? '::1' : this.o.host;
    return isIPv6(h) ? `[${h}]:${this.o.port}` : `${h}:${this.o.port}`;
  }
  get running(): boolean { return this.#child !== undefined; }
  /** The Java process id while running. */
  get pid(): number | undefined { return this.#child?.pid; }

  /** The last lines of zookeeper.log, for error messages. */
  logTail(lines = 30): string {
    return logTail(this.logFile, lines);
  }

  /** Resolves when the current process exits (at once when none runs). */
  waitForExit(): Promise<ZooKeeperExit> {
    return this.#exited;
  }

  /** Starts the server again on the same port and data (after crash()). */
  async restart(signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new SquallError('E_ILLEGAL_STATE', 'this LocalZooKeeper is closed');
    if (this.#child) return;
    const child = launch(this.install, this.o);
    this.#child = child;
    this.#spawnError = undefined;
    this.#exited = new Promise((resolve) => {
      const done = (exit: ZooKeeperExit): void => {
        if (this.#child === child) this.#child = undefined;
        resolve(exit);
      };
      child.once('exit', (code, sig) => done({ code, signal: sig }));
      // Java could not be run at all: no 'exit' follows.
      child.once('error', (err) => {
        this.#spawnError = err;
        if (child.pid === undefined) done({ code: null, signal: null });
      });
    });
    await this.waitUntilServing(child, signal);
  }

  /** Kills the server at once (SIGKILL, like a crash); its data stays. */
  async crash(): Promise<void> {
    const exited = this.#exited;
    this.killNow();
    await exited;
  }

  /** SIGKILL without waiting: for process exit hooks, where nothing asynchronous runs. */
  killNow(): void {
    this.#child?.kill('SIGKILL');
  }

  /** Stops the server (SIGTERM, then SIGKILL after shutdownGraceMs) and removes a temporary directory. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    if (child) {
      const exited = this.#exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.o.shutdownGraceMs);
      await exited;
      clearTimeout(timer);
    }
    if (this.o.ownsDir) rmSync(this.o.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Polls "ruok" until the server says "imok"; fails fast, with the log, if Java exits. */
  private async waitUntilServing(child: ChildProcess, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + this.o.startTimeoutMs;
    const probeHost = this.connectString.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    while (Date.now() < deadline) {
      if (signal?.aborted) throw signal.reason;
      if (child.exitCode !== null || child.signalCode !== null || this.#spawnError) throw this.startFailure(child);
      if ((await fourLetter(probeHost, this.o.port, 'ruok').catch(() => '')) === 'imok') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new SquallError('E_ZOOKEEPER_START', `ZooKeeper did not answer on ${this.connectString} within ${this.o.startTimeoutMs} ms`, {
      hint: `see ${this.logFile}:\n${logTail(this.logFile)}`,
    });
  }

  private startFailure(child: ChildProcess): SquallError {
    if (this.#spawnError) {
      return new SquallError('E_ZOOKEEPER_START', `cannot run ${this.install.java}: ${this.#spawnError.message}`, { hint: ZOOKEEPER_INSTALL_HINT });
    }
    const tail = logTail(this.logFile);
    if (/Address already in use/i.test(tail)) return new PortInUseError(this.o.host, this.o.port);
    return new SquallError('E_ZOOKEEPER_START', `ZooKeeper exited during startup (${child.exitCode ?? child.signalCode})`, {
      context: { exitCode: child.exitCode, signal: child.signalCode }, hint: `see ${this.logFile}:\n${tail}`,
    });
  }
}

/** @throws ConfigError naming the bad option */
function checkOptions(o: LocalZooKeeperOptions): void {
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) {
    throw new ConfigError('port', `port must be an integer from 0 to 65535, got ${o.port}`);
  }
  for (const key of ['tickTimeMs', 'minSessionTimeoutMs', 'maxSessionTimeoutMs', 'startTimeoutMs', 'shutdownGraceMs', 'heapMb'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new ConfigError(key, `${key} must be a positive integer, got ${v}`);
  }
  if ((o.minSessionTimeoutMs ?? 0) > (o.maxSessionTimeoutMs ?? Infinity)) {
    throw new ConfigError('minSessionTimeoutMs', 'minSessionTimeoutMs must not exceed maxSessionTimeoutMs');
  }
}

/**
 * Finds Java and the ZooKeeper jars. A ZOOKEEPER_HOME that holds no ZooKeeper is an error,
 * not a reason to fall back: the user asked for that one.
 * @throws ZooKeeperUnavailableError
 */
export function findZooKeeperInstallation(env: Env): ZooKeeperInstallation {
  const home = env['ZOOKEEPER_HOME'];
  const found = home ? fromZooKeeperHome(home) : fromDebian();
  return { java: findJava(env), ...found };
}

function findJava(env: Env): string {
  const dirs = [env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin') : '', ...(env['PATH'] ?? '').split(delimiter), '/usr/bin'];
  const java = dirs.filter(Boolean).map((d) => join(d, 'java')).find((p) => existsSync(p));
  if (!java) throw new ZooKeeperUnavailableError('Java is not installed: no java in $JAVA_HOME/bin, $PATH or /usr/bin (ZooKeeper needs it)');
  return java;
}

/** An unpacked release: jars in lib/ (3.5+) or next to bin/ (3.4), conf/ for its logging config. */
function fromZooKeeperHome(home: string): { classpath: string; from: string } {
  const jars = [join(home, 'lib'), home].flatMap((d) => jarsIn(d));
  if (!jars.some((j) => /(^|\/)zookeeper-\d[^/]*\.jar$|(^|\/)zookeeper\.jar$/.test(j))) {
    throw new ZooKeeperUnavailableError(`ZooKeeper is not installed in ZOOKEEPER_HOME=${home}: no zookeeper-*.jar in ${join(home, 'lib')} or ${home}`);
  }
  const conf = join(home, 'conf');
  return { classpath: [...(existsSync(conf) ? [conf] : []), ...jars].join(delimiter), from: home };
}

function jarsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.jar')).sort().map((n) => join(dir, n));
  } catch {
    return [];
  }
}

const DEBIAN_JAR_DIRS = ['/usr/share/java', '/usr/share/zookeeper', '/usr/share/zookeeper/lib'];

/** zookeeper.jar's manifest names its dependencies; slf4j-simple (if present) lets it log. */
function fromDebian(): { classpath: string; from: string } {
  const jar = DEBIAN_JAR_DIRS.map((d) => join(d, 'zookeeper.jar')).find((p) => existsSync(p));
  if (!jar) throw new ZooKeeperUnavailableError(`ZooKeeper is not installed: no zookeeper.jar in ${DEBIAN_JAR_DIRS.join(', ')} and ZOOKEEPER_HOME is not set`);
  const extras = ['zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-simple.jar'].map((n) => join('/usr/share/java', n)).filter((p) => existsSync(p));
  return { classpath: [jar, ...extras].join(delimiter), from: jar };
}

/**
 * Checks the port is free by binding it briefly (port 0: picks one), so that a server already
 * there is reported instead of being mistaken for ours when it answers "imok".
 */
function reservePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(host, port));
      else reject(new UsageError(`cannot listen on ${host}:${port}: ${err.message}`, { hint: 'use an address of this machine (--host)' }));
    });
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address();
      const chosen = typeof addr === 'object' && addr ? addr.port : port;
      srv.close(() => resolve(chosen));
    });
  });
}

function writeConfig(o: Compiled): void {
  writeFileSync(join(o.dir, 'zoo.cfg'), [
    `tickTime=${o.tickTimeMs}`,
    // zoo.cfg is a Java properties file: a backslash would start an escape.
    `dataDir=${o.dir.replace(/\\/g, '\\\\')}`,
    `clientPort=${o.port}`,
    `clientPortAddress=${o.host}`,
    'admin.enableServer=false',
    `minSessionTimeout=${o.minSessionTimeoutMs}`,
    `maxSessionTimeout=${o.maxSessionTimeoutMs}`,
    '4lw.commands.whitelist=ruok,srvr,cons,stat',
    'maxClientCnxns=0',
    // A throwaway server: small preallocation and no fsync are fast on slow disks, and the
    // page cache still survives a SIGKILL of the server.
    'preAllocSize=1024',
    'forceSync=no',
    '',
  ].join('\n'));
}

function launch(install: ZooKeeperInstallation, o: Compiled): ChildProcess {
  const log = openSync(join(o.dir, 'zookeeper.log'), 'a');
  try {
    return spawn(install.java, [
      `-Xmx${o.heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dzookeeper.admin.enableServer=false',
      '-cp', install.classpath,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(o.dir, 'zoo.cfg'),
    ], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

/** Sends a four-letter word and returns the whole answer. */
function fourLetter(host: string, port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    let out = '';
    sock.setTimeout(1_000, () => sock.destroy(new Error('timeout')));
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d: Buffer) => { out += d.toString(); });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
