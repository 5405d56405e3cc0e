/**
 * The Nimbus gRPC server: binds, serves the typed handlers it is given (server-calls.ts adapts
 * them), and shuts down gracefully. Nimbus itself lives elsewhere; this is only the plumbing,
 * so a test or a future role can serve any subset of the API.
 */
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ConfigError, SquallError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { formatAddress } from './address.js';
import { nameActionCodec, killCodec, rebalanceCodec, submitCodec } from './codec-actions.js';
import { heartbeatCodec } from './codec-heartbeat.js';
import { clusterSummaryCodec, describeCodec, listCodec } from './codec-reads.js';
import { loadClusterProto } from './load.js';
import { channelOptions, compileTransportOptions, DEFAULT_NIMBUS_PORT, positiveInt, type TransportOptions } from './options.js';
import { downloadAdapter, unaryAdapter, unimplementedAdapter, uploadAdapter, type AdapterDeps } from './server-calls.js';
import { handlerKey, RPC_NAMES, type NimbusHandlers, type RpcName } from './types.js';

/** @default 1 GiB: the largest package an upload may announce (packages are tar.gz, usually MBs). */
export const DEFAULT_MAX_PACKAGE_BYTES = 1024 * 1024 * 1024;
/** @default 5 s for in-flight calls to finish on close() before they are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

export interface RpcServerOptions extends TransportOptions {
  /** Interface to listen on. @default '127.0.0.1' (loopback: nothing else can connect) */
  host?: string;
  /** Port to listen on; 0 picks a free one (see {@link RpcServer.port}). @default {@link DEFAULT_NIMBUS_PORT} */
  port?: number;
  /** The RPCs served; the others answer UNIMPLEMENTED. */
  handlers: Partial<NimbusHandlers>;
  /** Largest package size an upload may announce; larger ones get RESOURCE_EXHAUSTED. @default {@link DEFAULT_MAX_PACKAGE_BYTES} */
  maxPackageBytes?: number;
  /** @default {@link DEFAULT_SHUTDOWN_GRACE_MS} */
  shutdownGraceMs?: number;
  /** @default insecure: TEST-PLANS B3 allows it on loopback only, so another host logs a warning */
  credentials?: ServerCredentials;
  logger?: Logger;
}

export type RpcServerState = 'serving' | 'draining' | 'closed';

/** A running server. `await using server = await startRpcServer(...)` closes it at scope end. */
export interface RpcServer extends AsyncDisposable {
  /** `host:port` with the real port (also when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  readonly state: RpcServerState;
  /** Stops accepting calls and waits, without a bound, for the calls in flight to finish. */
  drain(): Promise<void>;
  /** Drains for at most `shutdownGraceMs`, then cancels what is left. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the server is closed. */
  readonly closed: Promise<void>;
}

/**
 * Starts serving the Nimbus API.
 * @throws {ConfigError} for invalid options.
 * @throws {SquallError} `E_RPC_LISTEN` when the address cannot be bound (in use, not local).
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const transport = compileTransportOptions(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_NIMBUS_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `port must be 0 to 65535, got ${String(port)}`);
  const logger = options.logger ?? silentLogger;
  const deps: AdapterDeps = {
    logger,
    chunkBytes: transport.chunkBytes,
    maxPackageBytes: positiveInt('maxPackageBytes', options.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES),
  };
  const server = new Server(channelOptions(transport));
  server.addService(loadClusterProto().nimbusService, implementation(options.handlers, deps));
  const credentials = options.credentials ?? ServerCredentials.createInsecure();
  if (!options.credentials && !isLoopback(host)) logger.warn('serving the cluster API without TLS on a non-loopback address', { host });
  const bound = await bind(server, formatAddress(host, port), credentials);
  const address = formatAddress(host, bound);
  logger.info('cluster API listening', { address });
  return new GrpcRpcServer(server, address, bound, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, logger);
}

/** One grpc-js handler per RPC: the adapted handler, or UNIMPLEMENTED when none was given. */
function implementation(handlers: Partial<NimbusHandlers>, deps: AdapterDeps): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const rpc of RPC_NAMES) {
    const handler = handlers[handlerKey(rpc)];
    impl[rpc] = handler === undefined ? unimplementedAdapter(rpc, SHAPES[rpc]) : adapt(rpc, handlers as NimbusHandlers, deps);
  }
  return impl;
}

const SHAPES: Readonly<Record<RpcName, 'unary' | 'clientStream' | 'serverStream'>> = {
  UploadPackage: 'clientStream', DownloadPackage: 'serverStream', SubmitTopology: 'unary', KillTopology: 'unary',
  ActivateTopology: 'unary', DeactivateTopology: 'unary', RebalanceTopology: 'unary', ListTopologies: 'unary',
  DescribeTopology: 'unary', ClusterSummary: 'unary', SupervisorHeartbeat: 'unary',
};

/** The adapter for one RPC whose handler exists (`h` is called as a method, keeping `this`). */
function adapt(rpc: RpcName, h: NimbusHandlers, deps: AdapterDeps): UntypedServiceImplementation[string] {
  switch (rpc) {
    case 'UploadPackage': return uploadAdapter((u, ctx) => h.uploadPackage(u, ctx), deps);
    case 'DownloadPackage': return downloadAdapter((r, ctx) => h.downloadPackage(r, ctx), deps);
    case 'SubmitTopology': return unaryAdapter(rpc, submitCodec, (r, ctx) => h.submitTopology(r, ctx), deps);
    case 'KillTopology': return unaryAdapter(rpc, killCodec, (r, ctx) => h.killTopology(r, ctx), deps);
    case 'ActivateTopology': return unaryAdapter(rpc, nameActionCodec, (r, ctx) => h.activateTopology(r, ctx), deps);
    case 'DeactivateTopology': return unaryAdapter(rpc, nameActionCodec, (r, ctx) => h.deactivateTopology(r, ctx), deps);
    case 'RebalanceTopology': return unaryAdapter(rpc, rebalanceCodec, (r, ctx) => h.rebalanceTopology(r, ctx), deps);
    case 'ListTopologies': return unaryAdapter(rpc, listCodec, (_r, ctx) => h.listTopologies(ctx), deps);
    case 'DescribeTopology': return unaryAdapter(rpc, describeCodec, (r, ctx) => h.describeTopology(r, ctx), deps);
    case 'ClusterSummary': return unaryAdapter(rpc, clusterSummaryCodec, (_r, ctx) => h.clusterSummary(ctx), deps);
    case 'SupervisorHeartbeat': return unaryAdapter(rpc, heartbeatCodec, (r, ctx) => h.supervisorHeartbeat(r, ctx), deps);
  }
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new SquallError('E_RPC_LISTEN', `cannot listen on ${address}: ${listenProblem(err.message)[0]}`, { cause: err, hint: listenProblem(err.message)[1] }));
      else resolve(port);
    });
  });
}

/** [reason, hint] for a bind failure; grpc-js wraps the errno in a longer sentence. */
function listenProblem(message: string): [string, string | undefined] {
  if (message.includes('EADDRINUSE')) return ['address already in use', 'another process holds the port (is a nimbus already running?); choose another port'];
  if (message.includes('EADDRNOTAVAIL')) return ['no such address on this machine', 'listen on an address of this machine, or 0.0.0.0'];
  if (message.includes('EACCES')) return ['permission denied', 'ports below 1024 need privileges; use a higher port'];
  return [message, undefined];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

class GrpcRpcServer implements RpcServer {
  private current: RpcServerState = 'serving';
  private draining: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  readonly closed: Promise<void>;

  constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
    private readonly graceMs: number,
    private readonly logger: Logger,
  ) {
    this.closed = new Promise((resolve) => { this.markClosed = resolve; });
  }

  get state(): RpcServerState {
    return this.current;
  }

  drain(): Promise<void> {
    if (this.current === 'serving') this.current = 'draining';
    this.draining ??= new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())).then(() => this.finish());
    return this.draining;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutDown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.graceMs); });
    const outcome = await Promise.race([this.drain().then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn('cluster API calls still running after the grace period; cancelling them', { graceMs: this.graceMs });
      this.server.forceShutdown();
      this.finish();
    }
  }

  private finish(): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.logger.info('cluster API closed', { address: this.address });
    this.markClosed();
  }
}
