/**
 * `squall nimbus`: the nimbus daemon in the foreground (Storm's `storm nimbus`) until Ctrl-C or
 * SIGTERM. Reads the cluster config (defaults < squall.yaml < SQUALL_* < -c), connects to
 * ZooKeeper, and runs a Nimbus; start several for failover (one leads).
 */
import type { Command } from 'commander';
import { SquallError, UsageError } from '../common/errors.js';
import { isHost } from '../config/check-value.js';
import { loadClusterConfig, type ClusterConfig } from '../config/cluster-config.js';
import { Nimbus } from '../nimbus/nimbus.js';
import type { CliContext } from './context.js';
import { aborted, connectZooKeeper, nimbusSettings } from './daemon-support.js';
import { createCliLogger, parseLogLevel } from './logging.js';
import { collect, parsePort } from './options.js';
import { Terminal } from './terminal.js';

interface NimbusFlags {
  host?: string;
  port?: string;
  advertisedHost?: string;
  id?: string;
  localDir?: string;
  config?: string;
  conf: string[];
  logLevel?: string;
}

const EXAMPLES = `
Examples:
  squall nimbus                                  # nimbus.host:nimbus.grpc.port, ZooKeeper from squall.yaml
  squall nimbus --port 0 --local-dir ./nimbus-b  # a second nimbus on this machine (standby)
  squall nimbus -c storm.zookeeper.servers=[zk1,zk2] -c nimbus.task.timeout.secs=60
`;

/** Adds the command to the program. */
export function registerNimbus(program: Command, ctx: CliContext): void {
  program
    .command('nimbus')
    .description('run a nimbus (the cluster master) in the foreground; several can run, one leads')
    .option('--host <address>', 'address to bind (default: nimbus.host, 127.0.0.1)')
    .option('--port <port>', 'gRPC port; 0 picks a free one (default: nimbus.grpc.port, 6627)')
    .option('--advertised-host <host>', 'host clients and other nimbuses use to reach this one (default: --host)')
    .option('--id <id>', 'nimbus id in ZooKeeper (default: <advertised host>-<port>)')
    .option('--local-dir <path>', 'local state directory (default: storm.local.dir)')
    .option('--config <file>', 'cluster config file (default: ./squall.yaml if present)')
    .option('-c, --conf <key=value>', 'override a cluster config value (repeatable)', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn or error (env SQUALL_LOG_LEVEL)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: NimbusFlags) => runNimbus(flags, ctx));
}

async function runNimbus(flags: NimbusFlags, ctx: CliContext): Promise<void> {
  const config = await loadClusterConfig({ file: flags.config, env: ctx.env, overrides: flags.conf });
  const logger = createCliLogger(new Terminal(), parseLogLevel(flags.logLevel ?? ctx.env.SQUALL_LOG_LEVEL));
  for (const w of config.warnings) logger.warn(`${w.where}: ${w.message}`);
  const bind = bindOf(flags, config);
  const store = await connectZooKeeper(config, logger, ctx.signal);
  if (!store) return; // Ctrl-C while connecting
  try {
    const nimbus = await Nimbus.start({
      store, logger, ...bind,
      localDir: flags.localDir ?? config.localDir,
      ...(flags.id === undefined ? {} : { id: flags.id }),
      ...nimbusSettings(config),
      env: ctx.env,
    });
    process.stderr.write(`nimbus ${nimbus.id} listening on ${nimbus.address} (ZooKeeper ${config.zookeeper.connectString}${config.zookeeper.root}); press Ctrl-C to stop\n`);
    await untilStopped(nimbus, ctx.signal);
    await nimbus.close();
    process.stderr.write('nimbus stopped\n');
  } finally {
    await store.close();
  }
}

/** Host, port and advertised host: flags over the config. */
function bindOf(flags: NimbusFlags, config: ClusterConfig): { host: string; port: number; advertisedHost?: string } {
  const host = flags.host ?? config.nimbus.host;
  if (!isHost(host)) throw new UsageError(`invalid --host "${host}"`, { hint: 'use an IP address or host name of this machine, e.g. 127.0.0.1 or 0.0.0.0' });
  if (flags.advertisedHost !== undefined && !isHost(flags.advertisedHost)) throw new UsageError(`invalid --advertised-host "${flags.advertisedHost}"`);
  const port = flags.port === undefined ? config.nimbus.grpcPort : parsePort(flags.port);
  return { host, port, ...(flags.advertisedHost === undefined ? {} : { advertisedHost: flags.advertisedHost }) };
}

/** Waits for Ctrl-C/SIGTERM; a nimbus that closes by itself is an error. */
async function untilStopped(nimbus: Nimbus, signal: AbortSignal): Promise<void> {
  const outcome = await Promise.race([aborted(signal).then(() => 'signal' as const), nimbus.closed.then(() => 'closed' as const)]);
  if (outcome === 'closed' && !signal.aborted) throw new SquallError('E_NIMBUS_STOPPED', 'nimbus stopped unexpectedly', { hint: 'see the log above' });
}
