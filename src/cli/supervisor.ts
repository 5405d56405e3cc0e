/**
 * `squall supervisor`: the supervisor daemon of this machine, in the foreground (Storm's
 * `storm supervisor`). Reads the cluster config (squall.yaml, SQUALL_*, -c), registers in
 * ZooKeeper, and runs the workers assigned to its slots until Ctrl-C / SIGTERM. By default the
 * workers outlive it, so a restarted supervisor (same id and local dir) adopts them, as in
 * Storm; --kill-workers stops them too.
 */
import type { Command } from 'commander';
import { loadClusterConfig } from '../config/cluster-config.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { CliContext } from './context.js';
import { aborted, connectZooKeeper, squallVersion, supervisorTimings, workerClusterConfig, workerEnv } from './daemon-support.js';
import { createCliLogger, parseLogLevel } from './logging.js';
import { collect } from './options.js';
import { Terminal } from './terminal.js';

interface SupervisorFlags {
  id?: string;
  host?: string;
  ports?: string;
  localDir?: string;
  config?: string;
  conf: string[];
  killWorkers?: boolean;
  logLevel?: string;
}

const EXAMPLES = `
Examples:
  squall supervisor                                  # settings from ./squall.yaml, else Storm's defaults
  squall supervisor --ports 6700,6701 --local-dir /var/lib/squall
  squall supervisor --host 10.0.0.5 -c storm.zookeeper.servers=zk1,zk2 -c nimbus.seeds=10.0.0.2
`;

/** Adds the command to the program. */
export function registerSupervisor(program: Command, ctx: CliContext): void {
  program
    .command('supervisor')
    .description('run this machine\'s supervisor in the foreground: it starts, watches and stops the workers of its slots')
    .option('--id <id>', 'supervisor id (supervisor.id; default: derived from the advertised host and the local dir)')
    .option('--host <address>', 'address of this machine for its workers (supervisor.host)')
    .option('--ports <list>', 'slot ports, comma separated (supervisor.slots.ports), e.g. 6700,6701')
    .option('--local-dir <dir>', 'local state directory (storm.local.dir)')
    .option('--config <file>', 'cluster config file (default: ./squall.yaml if present)')
    .option('-c, --conf <key=value>', 'override a cluster config value (repeatable)', collect, [])
    .option('--kill-workers', 'stop the workers too when the supervisor stops (default: leave them for the next supervisor to adopt)')
    .option('--log-level <level>', 'trace, debug, info, warn or error (env SQUALL_LOG_LEVEL)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: SupervisorFlags) => runSupervisor(flags, ctx));
}

async function runSupervisor(flags: SupervisorFlags, ctx: CliContext): Promise<void> {
  const config = await loadClusterConfig({
    file: flags.config, env: ctx.env, overrides: [...flags.conf, ...flagOverrides(flags)],
  });
  const logger = createCliLogger(new Terminal(), parseLogLevel(flags.logLevel ?? ctx.env.SQUALL_LOG_LEVEL)).child({ role: 'supervisor' });
  for (const w of config.warnings) logger.warn(`${w.where}: ${w.message}`);
  const store = await connectZooKeeper(config, logger, ctx.signal);
  if (!store) return; // Ctrl-C while connecting
  try {
    const s = config.supervisor;
    const supervisor = await Supervisor.start({
      id: s.id, host: s.host, advertisedHost: s.advertisedHost, ports: s.slotPorts, localDir: config.localDir, store,
      nimbus: config.nimbus.addresses, workerClusterConfig: workerClusterConfig(config), workerEnv: workerEnv(config, ctx.env),
      ...supervisorTimings(config), version: squallVersion(), logger,
    });
    ctx.stdout(`supervisor ${s.id} running: slots ${s.slotPorts.join(', ')} on ${s.advertisedHost}, local dir ${config.localDir}; Ctrl-C stops it`);
    await Promise.race([aborted(ctx.signal), supervisor.closed]);
    const left = supervisor.usedPorts.length;
    await supervisor.close({ killWorkers: flags.killWorkers === true });
    if (!flags.killWorkers && left > 0) {
      logger.info(`supervisor stopped; ${left} worker(s) left running: a supervisor started with id ${s.id} and local dir ${config.localDir} adopts them`);
    } else {
      logger.info('supervisor stopped');
    }
  } finally {
    await store.close();
  }
}

/** The command-line flags as config overrides; they win over -c. */
function flagOverrides(flags: SupervisorFlags): string[] {
  const out: string[] = [];
  if (flags.id !== undefined) out.push(`supervisor.id=${flags.id}`);
  if (flags.host !== undefined) out.push(`supervisor.host=${flags.host}`);
  if (flags.ports !== undefined) out.push(`supervisor.slots.ports=${flags.ports}`);
  if (flags.localDir !== undefined) out.push(`storm.local.dir=${flags.localDir}`);
  return out;
}
