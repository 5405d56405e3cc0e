/**
 * `squall dev-cluster`: ZooKeeper, a nimbus and N supervisors in one command, to try cluster
 * mode on one machine. Workers are real processes, as on a real cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Closer } from '../common/closer.js';
import { UsageError } from '../common/errors.js';
import { loadClusterConfig } from '../config/cluster-config.js';
import { LocalZooKeeper } from '../coordination/local-zookeeper.js';
import { Nimbus } from '../nimbus/nimbus.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { CliContext } from './context.js';
import { aborted, connectZooKeeper, nimbusSettings, squallVersion, supervisorTimings, workerClusterConfig, workerEnv } from './daemon-support.js';
import { createCliLogger, parseLogLevel } from './logging.js';
import { collect } from './options.js';
import { Terminal } from './terminal.js';

interface DevClusterFlags {
  supervisors: string;
  slots: string;
  slotPortsFrom: string;
  dir?: string;
  config?: string;
  conf: string[];
  logLevel?: string;
}

const FIRST_SLOT_PORT = 6700;

export function registerDevCluster(program: Command, ctx: CliContext): void {
  program
    .command('dev-cluster')
    .description('run ZooKeeper, a nimbus and supervisors in the foreground, to try cluster mode on one machine')
    .option('--supervisors <n>', 'number of supervisors', '2')
    .option('--slots <n>', 'worker slots per supervisor', '2')
    .option('--slot-ports-from <port>', 'first worker slot port; supervisor i uses from + 10·i onwards', String(FIRST_SLOT_PORT))
    .option('--dir <dir>', 'state directory (default: a temporary one, removed on exit)')
    .option('--config <file>', 'cluster config file (default ./squall.yaml when present)')
    .option('-c, --conf <key=value>', 'override a cluster config value (repeatable)', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn or error (env SQUALL_LOG_LEVEL)', 'warn')
    .action(async (flags: DevClusterFlags) => devCluster(flags, ctx));
}

async function devCluster(flags: DevClusterFlags, ctx: CliContext): Promise<void> {
  const supervisors = count(flags.supervisors, '--supervisors', 10);
  const slots = count(flags.slots, '--slots', 10);
  const firstPort = count(flags.slotPortsFrom, '--slot-ports-from', 65_000);
  const config = await loadClusterConfig({ file: flags.config, env: ctx.env, overrides: flags.conf });
  const logger = createCliLogger(new Terminal(), parseLogLevel(flags.logLevel ?? ctx.env.SQUALL_LOG_LEVEL));
  const temp = flags.dir === undefined;
  const base = temp ? mkdtempSync(join(tmpdir(), 'squall-dev-cluster-')) : resolve(flags.dir!);
  await using closer = new Closer();
  if (temp) closer.defer(() => rmSync(base, { recursive: true, force: true }));
  const zk = await LocalZooKeeper.start({ port: config.zookeeper.port, host: '127.0.0.1', dir: join(base, 'zookeeper'), signal: ctx.signal });
  closer.defer(() => zk.close());
  const nimbusStore = await connectZooKeeper(config, logger, ctx.signal);
  if (!nimbusStore) return;
  closer.defer(() => nimbusStore.close());
  const nimbus = await Nimbus.start({
    store: nimbusStore, logger: logger.child({ role: 'nimbus' }), host: config.nimbus.host, port: config.nimbus.grpcPort,
    localDir: join(base, 'nimbus'), ...nimbusSettings(config), env: ctx.env,
  });
  closer.defer(() => nimbus.close());
  const slotPorts: number[] = [];
  for (let i = 0; i < supervisors; i++) {
    const store = await connectZooKeeper(config, logger, ctx.signal);
    if (!store) return;
    closer.defer(() => store.close());
    const ports = Array.from({ length: slots }, (_, k) => firstPort + 10 * i + k);
    slotPorts.push(...ports);
    const supervisor = await Supervisor.start({
      id: `dev-supervisor-${i + 1}`, host: '127.0.0.1', advertisedHost: '127.0.0.1', ports, localDir: join(base, `supervisor-${i + 1}`),
      store, nimbus: [nimbus.address], workerClusterConfig: workerClusterConfig(config), workerEnv: workerEnv(config, ctx.env),
      ...supervisorTimings(config), version: squallVersion(), logger: logger.child({ role: 'supervisor', supervisor: i + 1 }),
    });
    // A dev cluster owns its workers: stopping it stops them.
    closer.defer(() => supervisor.close({ killWorkers: true }));
  }
  ctx.stdout([
    `dev cluster running (state in ${base}${temp ? ', removed on exit' : ''}):`,
    `  ZooKeeper   ${zk.connectString}`,
    `  nimbus      ${nimbus.address}`,
    `  supervisors ${supervisors}, worker slots ${slotPorts.join(', ')}`,
    `try: squall submit python-examples/wordcount -c topology.workers=2 && squall describe wordcount`,
    `Ctrl-C stops everything.`,
  ].join('\n'));
  await aborted(ctx.signal);
  ctx.stdout('stopping the dev cluster...');
}

function count(text: string, flag: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max} (got "${text}")`);
  return n;
}
