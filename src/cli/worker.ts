/**
 * `squall worker` (hidden): one worker process, started by a supervisor with the flags of
 * docs/CLUSTER.md ("Starting a worker"). It connects to ZooKeeper with the cluster settings
 * given as JSON, runs the slot's tasks until the slot is unassigned or SIGTERM arrives (then
 * drains and exits 0), and logs to stderr, which the supervisor appends to worker.log.
 */
import type { Command } from 'commander';
import { UsageError } from '../common/errors.js';
import { compileClusterConfig, type ClusterConfig } from '../config/cluster-config.js';
import { Worker } from '../worker/worker.js';
import type { CliContext } from './context.js';
import { aborted, connectZooKeeper } from './daemon-support.js';
import { createCliLogger, parseLogLevel } from './logging.js';
import { Terminal } from './terminal.js';

interface WorkerFlags {
  topologyId: string;
  supervisorId: string;
  port: string;
  host: string;
  workerDir: string;
  packageDir: string;
  clusterConfig: string;
  logLevel?: string;
}

/** Adds the hidden `worker` command to the program. */
export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker', { hidden: true })
    .description('run one worker process (started by a supervisor, not by hand)')
    .requiredOption('--topology-id <id>', 'the topology the worker belongs to')
    .requiredOption('--supervisor-id <id>', 'the supervisor that started it')
    .requiredOption('--port <port>', 'the slot: the port the worker listens on')
    .requiredOption('--host <address>', 'the supervisor\'s advertised host; the worker listens there')
    .requiredOption('--worker-dir <dir>', 'the worker\'s directory (heartbeat.json)')
    .requiredOption('--package-dir <dir>', 'the extracted topology package')
    .requiredOption('--cluster-config <json>', 'cluster settings as JSON with Storm keys (storm.zookeeper.*, worker.heartbeat.frequency.secs)')
    .option('--log-level <level>', 'trace, debug, info, warn or error (env SQUALL_LOG_LEVEL)')
    .action(async (flags: WorkerFlags) => runWorker(flags, ctx));
}

async function runWorker(flags: WorkerFlags, ctx: CliContext): Promise<void> {
  const port = parsePort(flags.port);
  const config = workerClusterConfig(flags.clusterConfig, ctx.env);
  const logger = createCliLogger(new Terminal(), parseLogLevel(flags.logLevel ?? ctx.env.SQUALL_LOG_LEVEL))
    .child({ role: 'worker', port });
  const store = await connectZooKeeper(config, logger, ctx.signal);
  if (!store) return; // SIGTERM while connecting
  try {
    const worker = await Worker.start({
      topologyId: flags.topologyId, supervisorId: flags.supervisorId, port, host: flags.host,
      workerDir: flags.workerDir, packageDir: flags.packageDir, store, env: ctx.env, logger,
      heartbeatIntervalMs: config.worker.heartbeatFrequencyMs,
      ...(config.authToken === undefined ? {} : { authToken: config.authToken.reveal() }),
    });
    const outcome = await Promise.race([worker.closed.then(() => 'closed' as const), aborted(ctx.signal).then(() => 'signal' as const)]);
    if (outcome === 'signal') await worker.close();
    const result = await worker.closed;
    if (result instanceof Error) throw result;
  } finally {
    await store.close();
  }
}

/** The --cluster-config JSON, checked like any cluster config (SQUALL_* variables apply below it). */
function workerClusterConfig(json: string, env: CliContext['env']): ClusterConfig {
  let values: unknown;
  try {
    values = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--cluster-config is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new UsageError('--cluster-config must be a JSON object of cluster config keys');
  }
  return compileClusterConfig({ env, overrides: values as Record<string, unknown> });
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`invalid --port "${text}": use 1 to 65535`);
  return port;
}
