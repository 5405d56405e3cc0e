/** `squall run <topology>`: the topology in this process, no ZooKeeper. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../common/duration.js';
import { UsageError, formatIssue } from '../common/errors.js';
import type { PythonTopologyOptions } from '../local/load-python-topology.js';
import { loadTopologyFile } from '../local/load-topology.js';
import { locateTopology } from '../sdk/locate-topology.js';
import { runLocal } from '../local/local-mode.js';
import { isPythonTopologyFile } from '../topology/load-any.js';
import { parseConfigOverrides } from '../topology/overrides.js';
import { printJson, summaryTable } from './format.js';
import { createCliLogger, parseLogLevel } from './logging.js';
import { collect } from './options.js';
import { StatusLine } from './status.js';
import { Terminal } from './terminal.js';
import type { CliContext } from './context.js';

interface RunFlags {
  duration?: string;
  conf: string[];
  json?: boolean;
  drainTimeout: string;
  logLevel?: string;
  status: boolean;
  class?: string;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run a topology in this process (local mode, no ZooKeeper)')
    .argument('<topology>', 'topology file (Squall YAML/JSON, Storm Flux YAML or Python topology.py), or a directory holding one')
    .option('-d, --duration <time>', 'stop after this long (e.g. 30s, 5m); default: until Ctrl-C')
    .option('-c, --conf <key=value>', 'override a topology config value (repeatable)', collect, [])
    .option('--json', 'print final statistics as JSON on stdout')
    .option('--drain-timeout <time>', 'longest wait for in-flight tuples when stopping', '10s')
    .option('--log-level <level>', 'trace, debug, info, warn or error (env SQUALL_LOG_LEVEL)')
    .option('--no-status', 'do not print the per-second status line')
    .option('--class <name>', 'Python topology: the Topology subclass, when the file defines several')
    .action(async (topology: string, flags: RunFlags) => runCommand(topology, flags, ctx));
}

/** A directory means its topology.yaml (or .yml, .json, .py), as for `squall submit`. */
function definitionFile(target: string): string {
  if (!existsSync(target) || !statSync(target).isDirectory()) return target;
  return join(target, locateTopology(target).file);
}

/** The user's own topology file: a Python one may run; --class only means something there. */
export function pythonOptions(topology: string, className: string | undefined, ctx: CliContext): PythonTopologyOptions {
  if (className !== undefined && !isPythonTopologyFile(topology)) {
    throw new UsageError('--class applies to Python topologies only', { hint: `${topology} is not a .py file` });
  }
  return { signal: ctx.signal, ...(className === undefined ? {} : { className }) };
}

async function runCommand(target: string, flags: RunFlags, ctx: CliContext): Promise<void> {
  const topology = definitionFile(target);
  const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration, '--duration');
  const drainTimeoutMs = parseDuration(flags.drainTimeout, '--drain-timeout');
  const overrides = parseConfigOverrides(flags.conf);
  if (overrides.issues.length > 0) throw new UsageError(overrides.issues.join('\n'), { hint: 'use -c key=value with a Storm config key' });
  const terminal = new Terminal();
  const logger = createCliLogger(terminal, parseLogLevel(flags.logLevel ?? ctx.env.SQUALL_LOG_LEVEL));
  const loaded = await loadTopologyFile(topology, overrides.config, ctx.env, { python: pythonOptions(topology, flags.class, ctx) });
  for (const w of loaded.warnings) logger.warn(formatIssue(w).replace(': error: ', ': warning: '));
  const status = new StatusLine();
  const result = await runLocal({
    plan: loaded.plan,
    ...(durationMs === undefined ? {} : { durationMs }),
    drainTimeoutMs,
    signal: ctx.signal,
    env: ctx.env,
    logger,
    onStats: flags.status ? (stats, elapsed) => terminal.status(status.line(stats, elapsed)) : undefined,
  });
  terminal.clearStatus();
  const summary = summaryTable(result.stats, result.elapsedMs);
  if (flags.json) {
    process.stderr.write(`${summary}\n`);
    printJson(ctx, {
      topology: loaded.plan.name,
      elapsedMs: Math.round(result.elapsedMs),
      stoppedBy: result.stoppedBy,
      drained: result.drain,
      components: result.stats,
    });
  } else {
    ctx.stdout(`topology "${loaded.plan.name}" ran ${(result.elapsedMs / 1000).toFixed(1)}s (stopped by ${result.stoppedBy})\n${summary}`);
  }
}
