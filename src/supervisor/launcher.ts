/**
 * Starting worker processes (docs/CLUSTER.md "Starting a worker"): `node <squall>/dist/cli/main.js
 * worker --topology-id … --cluster-config <json>`, without a shell, detached into its own
 * process group (so the supervisor can signal the worker and whatever it started at once, and
 * so a supervisor's Ctrl-C or death does not take its workers along), stdout and stderr
 * appended to worker.log. The supervisor never imports the worker role: it only knows this
 * command line.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';

/** Everything a worker process is started with. */
export interface WorkerLaunch {
  workerId: string;
  topologyId: string;
  supervisorId: string;
  port: number;
  /** The advertised host: the worker listens on host:port and peers reach it there. */
  host: string;
  workerDir: string;
  packageDir: string;
  /** Storm-keyed cluster settings the worker needs (ZooKeeper, heartbeat period), as JSON. */
  clusterConfig: Readonly<Record<string, unknown>>;
  /** Where stdout and stderr go (appended). */
  logFile: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** How a worker process ended. */
export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

/** A started worker. `exited` (when the process is our child) settles when it ends. */
export interface LaunchedWorker {
  pid: number;
  exited?: Promise<WorkerExit>;
}

/** Starts one worker process; rejects when it cannot be started at all. */
export type SpawnWorker = (launch: WorkerLaunch) => Promise<LaunchedWorker>;

/** The `worker` subcommand's arguments for a launch (the flags of docs/CLUSTER.md). */
export function workerArgs(l: WorkerLaunch): string[] {
  return [
    'worker', '--topology-id', l.topologyId, '--supervisor-id', l.supervisorId, '--port', String(l.port),
    '--host', l.host, '--worker-dir', l.workerDir, '--package-dir', l.packageDir,
    '--cluster-config', JSON.stringify(l.clusterConfig),
  ];
}

/** Options of processSpawner(). */
export interface ProcessSpawnerOptions {
  /** @default process.execPath (this Node) */
  command?: string;
  /** Arguments before `worker …`: the script to run, with any Node flags. */
  args: readonly string[];
}

/**
 * A SpawnWorker running `<command> <args…> worker …` detached, in the worker directory, with
 * stdio appended to the launch's log file.
 */
export function processSpawner(opts: ProcessSpawnerOptions): SpawnWorker {
  const command = opts.command ?? process.execPath;
  return async (launch) => {
    const fd = openSync(launch.logFile, 'a', 0o600);
    try {
      const child = spawn(command, [...opts.args, ...workerArgs(launch)], {
        cwd: launch.workerDir, detached: true, stdio: ['ignore', fd, fd], env: definedOnly(launch.env), shell: false,
      });
      const exited = new Promise<WorkerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      // The supervisor must be able to exit while its workers keep running.
      child.unref();
      return { pid: child.pid!, exited };
    } finally {
      closeSync(fd);
    }
  };
}

/** The production spawner: `node <squall>/dist/cli/main.js worker …`. */
export function defaultSpawnWorker(): SpawnWorker {
  return processSpawner({ args: [join(packageRoot(), 'dist', 'cli', 'main.js')] });
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
