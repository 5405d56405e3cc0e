/**
 * `squall dev-zookeeper`: a throwaway single-node ZooKeeper in the foreground, for development
 * (Storm's `storm dev-zookeeper`). Loopback only by default; Ctrl-C stops it and exits 0.
 */
import type { Command } from 'commander';
import { SquallError, UsageError } from '../common/errors.js';
import { loadClusterConfig } from '../config/cluster-config.js';
import { isHost } from '../config/check-value.js';
import { LocalZooKeeper, type ZooKeeperExit } from '../coordination/local-zookeeper.js';
import type { CliContext } from './context.js';
import { aborted } from './daemon-support.js';
import { collect, parsePort } from './options.js';

interface DevZooKeeperFlags {
  port?: string;
  host: string;
  dir?: string;
  config?: string;
  conf: string[];
  json?: boolean;
}

const EXAMPLES = `
Examples:
  squall dev-zookeeper                      # 127.0.0.1:2181, data in a temporary directory
  squall dev-zookeeper --port 2182 --dir ./zk-data
  squall dev-zookeeper --port 0 --json      # a free port; {"connectString", "port", "dataDir"} on stdout
`;

/** Adds the command to the program. */
export function registerDevZooKeeper(program: Command, ctx: CliContext): void {
  program
    .command('dev-zookeeper')
    .description('run a throwaway single-node ZooKeeper in the foreground, for development (like storm dev-zookeeper)')
    .option('--port <port>', 'client port; 0 picks a free one (default: storm.zookeeper.port, 2181)')
    .option('--host <address>', 'address to bind; loopback keeps it off the network', '127.0.0.1')
    .option('--dir <path>', 'data directory, kept afterwards (default: a temporary one, removed on exit)')
    .option('--config <file>', 'cluster config file (default: ./squall.yaml if present)')
    .option('-c, --conf <key=value>', 'override a cluster config value (repeatable)', collect, [])
    .option('--json', 'print {connectString, port, dataDir} as JSON on stdout once it is up')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: DevZooKeeperFlags) => devZooKeeper(flags, ctx));
}

async function devZooKeeper(flags: DevZooKeeperFlags, ctx: CliContext): Promise<void> {
  // Read even with --port: a broken squall.yaml should surface now, not when a daemon starts.
  const config = await loadClusterConfig({ file: flags.config, env: ctx.env, overrides: flags.conf });
  for (const w of config.warnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
  const port = flags.port === undefined ? config.zookeeper.port : parsePort(flags.port);
  if (!isHost(flags.host)) throw new UsageError(`invalid --host "${flags.host}"`, { hint: 'use an IP address or host name of this machine, e.g. 127.0.0.1' });
  process.stderr.write(`starting ZooKeeper on ${flags.host}:${port === 0 ? '(a free port)' : port}...\n`);
  let zk: LocalZooKeeper;
  try {
    zk = await LocalZooKeeper.start({ port, host: flags.host, ...(flags.dir === undefined ? {} : { dir: flags.dir }), env: ctx.env, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) return; // Ctrl-C during startup: start() has cleaned up.
    throw err;
  }
  // A second Ctrl-C makes the entry point call process.exit(): kill java on the way out.
  const killOnExit = (): void => zk.killNow();
  process.once('exit', killOnExit);
  try {
    announce(zk, flags, ctx);
    await runUntilStopped(zk, ctx.signal, flags.dir === undefined);
  } finally {
    await zk.close();
    process.off('exit', killOnExit);
  }
  process.stderr.write('ZooKeeper stopped\n');
}

/** The connect string and the config lines that point Squall at this server. */
function announce(zk: LocalZooKeeper, flags: DevZooKeeperFlags, ctx: CliContext): void {
  const host = zk.connectString.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (flags.json) {
    ctx.stdout(JSON.stringify({ connectString: zk.connectString, port: zk.port, dataDir: zk.dir }));
  } else {
    ctx.stdout([
      `connect string: ${zk.connectString}`,
      `data directory: ${zk.dir}${flags.dir === undefined ? ' (removed on exit)' : ''}`,
      'cluster config (squall.yaml):',
      `  storm.zookeeper.servers: [${host.includes(':') ? `"${host}"` : host}]`,
      `  storm.zookeeper.port: ${zk.port}`,
    ].join('\n'));
  }
  process.stderr.write('ZooKeeper is running; press Ctrl-C to stop it\n');
}

/**
 * Waits for Ctrl-C. A terminal's Ctrl-C also reaches java (same process group), which may
 * exit before our handler runs: an exit by SIGINT/SIGTERM counts as a stop, not a crash.
 */
async function runUntilStopped(zk: LocalZooKeeper, signal: AbortSignal, logGoesAway: boolean): Promise<void> {
  const outcome = await Promise.race([aborted(signal).then(() => 'signal' as const), zk.waitForExit()]);
  if (outcome === 'signal' || signal.aborted || isInterrupt(outcome)) return;
  throw new SquallError('E_ZOOKEEPER_EXITED', `ZooKeeper exited unexpectedly (${outcome.code === null ? `signal ${outcome.signal}` : `exit code ${outcome.code}`})`, {
    hint: logGoesAway ? `its log ended with:\n${zk.logTail(15)}` : `see ${zk.logFile}`,
  });
}

function isInterrupt(exit: ZooKeeperExit): boolean {
  return exit.code === 130 || exit.code === 143 || exit.signal === 'SIGINT' || exit.signal === 'SIGTERM';
}
