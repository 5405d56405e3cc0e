/**
 * SquallClient: the cluster as a program sees it — submit a topology directory, list,
 * describe, activate, deactivate, rebalance, kill, and wait for a topology to reach a state.
 * The `squall` client commands are thin wrappers over it; NimbusClient (src/rpc) below it does
 * the wire work (deadlines, leader redirects, failover, typed RpcErrors).
 *
 * @example
 * ```ts
 * await using squall = await SquallClient.connect({ nimbus: '127.0.0.1:6627' });
 * const { name } = await squall.submit('python-examples/wordcount');
 * await squall.waitFor(name, (t) => spoutAcked(t) >= 1000, { timeoutMs: 60_000 });
 * await squall.kill(name, { waitSecs: 0 });
 * ```
 */
import { join } from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { SquallError, UsageError } from '../common/errors.js';
import type { PythonTopologyOptions } from '../local/load-python-topology.js';
import { loadTopologyFile } from '../local/load-topology.js';
import { createPackage } from '../packages/create-package.js';
import { validateName } from '../packages/names.js';
import { NimbusClient, type CallOptions, type NimbusClientOptions } from '../rpc/client.js';
import { DEFAULT_NIMBUS_PORT } from '../rpc/options.js';
import type {
  ClusterSummary, KillTopologyResult, TopologyActionResult, TopologyDetails, TopologySummary,
} from '../rpc/types.js';
import { validateConfig } from '../topology/config-schema.js';
import { locateTopology } from './locate-topology.js';

/** nimbus.seeds' default host on nimbus.grpc.port's default: where the CLI goes without a config. */
export const DEFAULT_NIMBUS_ADDRESS = `localhost:${DEFAULT_NIMBUS_PORT}`;
/** @default 60 s for {@link SquallClient.waitFor}. */
export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
/** @default 500 ms between two describes in {@link SquallClient.waitFor}. */
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** Storm's topology.message.timeout.secs: the kill wait when neither the call nor the topology says. */
const DEFAULT_MESSAGE_TIMEOUT_SECS = 30;
/** Time a kill that waits for removal gets beyond its wait: stopping workers is not instant. */
const REMOVAL_SLACK_MS = 60_000;

export interface SquallClientOptions extends NimbusClientOptions {
  /** One nimbus or several (`host:port`; port 6627 when omitted). @default {@link DEFAULT_NIMBUS_ADDRESS} */
  nimbus?: string | readonly string[];
  /** Time source for {@link SquallClient.waitFor}. @default systemClock */
  clock?: Clock;
}

export interface SubmitOptions {
  /** The topology name. @default the `name` in the topology file */
  name?: string;
  /** Config keys over the definition's config, e.g. `{ 'topology.workers': 2 }`. */
  config?: Record<string, unknown>;
  /** Submit with the spouts deactivated (Storm's initial status INACTIVE). @default false */
  inactive?: boolean;
  /** Fills Flux `${ENV-NAME}` placeholders while validating locally; a Python topology runs with it. @default {} */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Allows a `.py` topology (the Python DSL), which means running the file here; the package
   * then carries the generated spec, so the cluster never runs it. @default undefined (refused)
   */
  python?: PythonTopologyOptions;
  signal?: AbortSignal;
}

/** What {@link SquallClient.submit} did. */
export interface SubmittedTopology {
  name: string;
  /** The id nimbus gave the topology (name plus a unique suffix). */
  topologyId: string;
  /** The directory that was packed, absolute. */
  dir: string;
  /** The definition's path inside the package. */
  topologyFile: string;
  packageBytes: number;
}

export interface KillOptions extends CallOptions {
  /** Seconds between stopping the spouts and removing the workers. @default the topology's topology.message.timeout.secs */
  waitSecs?: number;
  /** Resolve once the topology is removed, not as soon as it is KILLED. @default true */
  waitForRemoval?: boolean;
}

export interface RebalanceOptions extends CallOptions {
  /** The new worker count. @default unchanged */
  workers?: number;
  /** Component id → new executor count; components not listed keep theirs. */
  executors?: Record<string, number>;
  /** Seconds the spouts stay stopped first. @default the topology's topology.message.timeout.secs */
  waitSecs?: number;
}

export interface WaitForOptions {
  /** @default {@link DEFAULT_WAIT_TIMEOUT_MS} */
  timeoutMs?: number;
  /** @default {@link DEFAULT_POLL_INTERVAL_MS} */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Client of a Squall cluster. Create with {@link SquallClient.connect}; `await using` closes it. */
export class SquallClient implements AsyncDisposable {
  private constructor(
    /** The wire-level client, for what this class does not cover (package download, heartbeats). */
    readonly nimbus: NimbusClient,
    private readonly clock: Clock,
  ) {}

  /**
   * A client for the cluster's nimbus(es). No connection is made until the first call, so an
   * unreachable nimbus shows up there as an RpcError with code E_NIMBUS_UNREACHABLE.
   * @throws {UsageError} for an invalid address.
   * @throws {ConfigError} for invalid options.
   */
  static async connect(options: SquallClientOptions = {}): Promise<SquallClient> {
    const { nimbus, clock, ...rest } = options;
    return new SquallClient(await NimbusClient.connect(nimbus ?? DEFAULT_NIMBUS_ADDRESS, rest), clock ?? systemClock);
  }

  /**
   * Validates the topology locally (so problems name file:line:column before anything is
   * sent), packs its directory, uploads the package and submits it.
   * @param target a topology directory (holding topology.yaml/.yml/.json/.py) or a topology
   *   file, whose directory is then packed.
   * @throws {TopologyValidationError} listing every problem of the definition.
   * @throws {UsageError} for a bad name, a bad config value or an unpackable directory.
   * @throws {RpcError} when nimbus refuses (E_TOPOLOGY_EXISTS, ...) or cannot be reached.
   */
  async submit(target: string, options: SubmitOptions = {}): Promise<SubmittedTopology> {
    const { dir, file } = locateTopology(target);
    const config = options.config ?? {};
    checkConfig(config);
    const loaded = await loadTopologyFile(join(dir, file), config, options.env ?? {}, options.python === undefined ? {} : { python: options.python });
    const name = validateName('topology', options.name ?? loaded.plan.name);
    const generated = loaded.generated === undefined ? undefined : { path: generatedSpecName(file), content: loaded.generated };
    const bytes = await createPackage(dir, generated === undefined ? {} : { extraFiles: [generated] });
    const topologyFile = generated?.path ?? file;
    const call = options.signal === undefined ? {} : { signal: options.signal };
    const { packageId } = await this.nimbus.uploadPackage(bytes, { name }, call);
    const { topologyId } = await this.nimbus.submit({ name, packageId, topologyFile, configOverrides: config, startInactive: options.inactive === true }, call);
    return { name, topologyId, dir, topologyFile, packageBytes: bytes.length };
  }

  /** The topologies on the cluster, sorted by name. */
  list(options?: CallOptions): Promise<TopologySummary[]> {
    return this.nimbus.list(options);
  }

  /** @throws {RpcError} code E_TOPOLOGY_NOT_FOUND for an unknown name. */
  describe(name: string, options?: CallOptions): Promise<TopologyDetails> {
    return this.nimbus.describe(name, options);
  }

  activate(name: string, options?: CallOptions): Promise<TopologyActionResult> {
    return this.nimbus.activate(name, options);
  }

  deactivate(name: string, options?: CallOptions): Promise<TopologyActionResult> {
    return this.nimbus.deactivate(name, options);
  }

  rebalance(name: string, options: RebalanceOptions = {}): Promise<TopologyActionResult> {
    const { workers, executors, waitSecs, ...call } = options;
    return this.nimbus.rebalance({
      name, executors: executors ?? {}, ...(waitSecs === undefined ? {} : { waitSecs }), ...(workers === undefined ? {} : { numWorkers: workers }),
    }, call);
  }

  /**
   * Storm's kill: the spouts stop at once, in-flight tuples get `waitSecs`, then the workers
   * go. By default resolves once the topology is removed (`removed: true`).
   */
  async kill(name: string, options: KillOptions = {}): Promise<KillTopologyResult> {
    const { waitSecs, waitForRemoval = true, ...call } = options;
    const request = { name, waitForRemoval, ...(waitSecs === undefined ? {} : { waitSecs }) };
    if (!waitForRemoval || call.deadlineMs !== undefined) return this.nimbus.kill(request, call);
    // Waiting for removal outlasts a unary deadline: give the call the wait plus some slack.
    const wait = waitSecs ?? (await this.messageTimeoutSecs(name, call));
    return this.nimbus.kill(request, { ...call, deadlineMs: wait * 1000 + REMOVAL_SLACK_MS });
  }

  /** The nimbuses and supervisors of the cluster. */
  clusterSummary(options?: CallOptions): Promise<ClusterSummary> {
    return this.nimbus.clusterSummary(options);
  }

  /**
   * Describes the topology until `predicate` holds, and returns that description.
   * @throws {SquallError} code E_TIMEOUT when it does not hold within `timeoutMs`.
   * @throws {RpcError} when a describe fails (E_TOPOLOGY_NOT_FOUND, unreachable, ...).
   */
  async waitFor(name: string, predicate: (topology: TopologyDetails) => boolean, options: WaitForOptions = {}): Promise<TopologyDetails> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const call = options.signal === undefined ? {} : { signal: options.signal };
    const end = this.clock.now() + timeoutMs;
    for (;;) {
      const details = await this.describe(name, call);
      if (predicate(details)) return details;
      if (this.clock.now() + intervalMs > end) {
        throw new SquallError('E_TIMEOUT', `topology "${name}" did not reach the awaited state within ${timeoutMs} ms (status ${details.status}, ${details.workers.length} workers)`, {
          retriable: true, context: { topology: name }, hint: 'wait longer, or run `squall describe` to see what it is doing',
        });
      }
      await this.clock.sleep(intervalMs, options.signal);
    }
  }

  /** Closes the connections; calls in flight reject with E_RPC_CANCELLED. Idempotent. */
  close(): Promise<void> {
    return this.nimbus.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The topology's own kill wait, for sizing a kill's deadline. */
  private async messageTimeoutSecs(name: string, call: CallOptions): Promise<number> {
    const details = await this.describe(name, call);
    const value = details.config['topology.message.timeout.secs'];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : DEFAULT_MESSAGE_TIMEOUT_SECS;
  }
}

/** The package entry holding the spec generated from a Python topology file: beside it, so paths resolve alike. */
export function generatedSpecName(pythonFile: string): string {
  return `${pythonFile}.json`;
}

/** Tuple trees completed so far: the sum of the spouts' acked counts. */
export function spoutAcked(topology: TopologyDetails): number {
  return topology.components.filter((c) => c.kind === 'spout').reduce((sum, c) => sum + c.acked, 0);
}

/** @throws {UsageError} listing every config value a topology would refuse. */
function checkConfig(config: Record<string, unknown>): void {
  const errors = validateConfig(config).filter((i) => i.severity === 'error');
  if (errors.length === 0) return;
  throw new UsageError(errors.map((i) => i.message).join('\n'), { hint: errors[0]!.hint ?? 'use Storm config keys with values of the documented type' });
}
