/**
 * Cluster mode as a user runs it, for the test/cluster/cli-cluster-*.test.ts files: a real
 * ZooKeeper, `squall nimbus` and `squall supervisor` daemons of the built CLI sharing one
 * squall.yaml in a temporary directory (nimbus in <dir>/nimbus, supervisor i in <dir>/s<i>, the
 * daemons' output in <dir>/nimbus.log and <dir>/s<i>.log), and the client commands run against it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, runCli, type CliResult } from './cli.js';
import { killProcessesUnder, processesUnder } from './processes.js';
import { waitFor } from './spec.js';
import { startZooKeeper, type ZkServer } from './zookeeper.js';

export interface CliSupervisor {
  /** --id */
  id: string;
  /** --host: the address it advertises */
  host: string;
}

/** Two supervisors on different loopback addresses, so each worker's host says where it runs. */
export const TWO_SUPERVISORS: readonly CliSupervisor[] = [{ id: 'sup-a', host: '127.0.0.2' }, { id: 'sup-b', host: '127.0.0.3' }];

/** What `squall describe --json` prints, as far as the tests read it. */
export interface DescribedTopology {
  status: string;
  workers: Array<{ host: string }>;
  components: Array<{ id: string; emitted: number; acked: number; executed: number; failed: number }>;
}

export interface CliClusterOptions {
  /** Prefix of the temporary directory's name. */
  prefix: string;
  /** @default TWO_SUPERVISORS */
  supervisors?: readonly CliSupervisor[];
  /** The environment of the daemons and of the client commands. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface CliCluster extends AsyncDisposable {
  readonly zk: ZkServer;
  /** The temporary directory holding the configuration, the daemons' directories and logs. */
  readonly dir: string;
  /** <dir>/squall.yaml */
  readonly config: string;
  /** Runs `squall <args> --config <config>` with the cluster's environment. */
  cli(args: string[]): Promise<CliResult>;
  /** `squall submit <args>`, retried (40 × 500 ms) until nimbus answers; the last result. */
  submit(args: string[]): Promise<CliResult>;
  /** `squall describe <topology> --json`, asserting exit 0. */
  describe(topology: string): Promise<DescribedTopology>;
  /** describe() every 500 ms until `done` holds or `tries` more attempts have been made; the last answer. */
  describeUntil(topology: string, done: (d: DescribedTopology) => boolean, tries: number): Promise<DescribedTopology>;
  /** Workers and components started by the supervisors (not the supervisors themselves). */
  clusterProcesses(): number[];
  /** `squall kill <topology> -w 1`, asserting exit 0, then waits (20 s) until clusterProcesses() is empty. */
  killAndWait(topology: string): Promise<CliResult>;
}

/**
 * Starts ZooKeeper, writes squall.yaml (nimbus on a random port, supervisor slots on the next
 * two), starts nimbus and the supervisors, and waits (30 s) until every supervisor is
 * registered; nimbus is not waited for, submit() retries until it answers. Disposing stops the
 * daemons (SIGTERM, waiting for their exit), SIGKILLs whatever is left under the directory and
 * stops ZooKeeper; the directory stays, for its logs.
 */
export async function startCliCluster(opts: CliClusterOptions): Promise<CliCluster> {
  const zk = await startZooKeeper();
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  const config = join(dir, 'squall.yaml');
  const supervisors = opts.supervisors ?? TWO_SUPERVISORS;
  const env = opts.env;
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(config, [
    `storm.zookeeper.servers: [127.0.0.1]`, `storm.zookeeper.port: ${zk.port}`,
    `storm.zookeeper.session.timeout: 4000`, `storm.zookeeper.connection.timeout: 3000`,
    `nimbus.seeds: [127.0.0.1]`, `nimbus.grpc.port: ${port}`, `nimbus.monitor.freq.secs: 1`, '',
  ].join('\n'));

  const daemons: ChildProcess[] = [];
  /** Starts `squall <args>`; its output goes to <dir>/<log> when it exits. Returns its output so far. */
  const daemon = (args: string[], log: string): (() => string) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', () => writeFileSync(join(dir, log), out));
    daemons.push(child);
    return () => out;
  };
  daemon(['nimbus', '--config', config, '--local-dir', join(dir, 'nimbus')], 'nimbus.log');
  const supervisorOutputs = supervisors.map((s, i) => daemon(
    ['supervisor', '--config', config, '--local-dir', join(dir, `s${i + 1}`), '--host', s.host, '--ports', `${port + 1},${port + 2}`, '--id', s.id], `s${i + 1}.log`,
  ));

  const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--config', config], { env: env as Record<string, string> | undefined });
  const clusterProcesses = (): number[] => supervisors.flatMap((_, i) => processesUnder(join(dir, `s${i + 1}`, 'supervisor')));
  const describe = async (topology: string): Promise<DescribedTopology> => {
    const r = await cli(['describe', topology, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as DescribedTopology;
  };

  const cluster: CliCluster = {
    zk, dir, config, cli, describe, clusterProcesses,
    async submit(args) {
      let submitted = await cli(['submit', ...args]);
      // The daemons need a moment to register; submit retries until nimbus answers.
      for (let i = 1; i < 40 && submitted.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 500));
        submitted = await cli(['submit', ...args]);
      }
      return submitted;
    },
    async describeUntil(topology, done, tries) {
      let d = await describe(topology);
      for (let i = 0; i < tries && !done(d); i++) {
        await new Promise((r) => setTimeout(r, 500));
        d = await describe(topology);
      }
      return d;
    },
    async killAndWait(topology) {
      const kill = await cli(['kill', topology, '-w', '1']);
      assert.equal(kill.code, 0, kill.stderr);
      await waitFor(() => clusterProcesses().length === 0, 20_000, `no worker or component left (still: ${clusterProcesses().join(', ')})`);
      return kill;
    },
    async [Symbol.asyncDispose]() {
      for (const d of daemons) d.kill('SIGTERM');
      await Promise.all(daemons.map((d) => new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r(null) : d.on('exit', r)))));
      killProcessesUnder(dir);
      await zk[Symbol.asyncDispose]();
    },
  };
  // A supervisor says it is running once it is registered: a topology submitted before would
  // be scheduled without it. Nimbus is not waited for; submit() retries until it answers.
  const running = (i: number): boolean => supervisorOutputs[i]!().includes(`supervisor ${supervisors[i]!.id} running`);
  try {
    await waitFor(() => supervisors.every((_, i) => running(i)), 30_000, `supervisors ${supervisors.map((s) => s.id).join(', ')} to register (logs in ${dir})`);
  } catch (err) {
    await cluster[Symbol.asyncDispose]();
    throw err;
  }
  return cluster;
}

/** python-examples/wordcount has run: its 1000 sentences acked and (at least) every word counted. */
export function wordCountDone(d: DescribedTopology): boolean {
  return d.components.find((c) => c.id === 'sentences')?.acked === 1000
    && (d.components.find((c) => c.id === 'count')?.executed ?? 0) >= 6400;
}

/** The figures of python-examples/wordcount on 2 workers once it is done, exactly. */
export function assertWordCountFigures(d: DescribedTopology): void {
  const by = Object.fromEntries(d.components.map((c) => [c.id, c]));
  assert.equal(d.status, 'ACTIVE');
  assert.equal(d.workers.length, 2, 'two workers');
  assert.equal(by.sentences!.acked, 1000);
  assert.equal(by.sentences!.failed, 0);
  assert.equal(by.split!.executed, 1000);
  // Every word once, plus the count bolt's tick tuples.
  assert.ok(by.count!.executed >= 6400 && by.count!.executed < 6500, `count executed ${by.count!.executed}`);
}
