/**
 * NimbusClient: the promise API over the Nimbus gRPC service, used by the CLI, the SDK, the UI
 * and supervisors. Per call it
 *  - applies one deadline across every attempt;
 *  - follows a non-leader's FAILED_PRECONDITION to the leader it names (at most
 *    `maxRedirects` hops), and remembers the leader for later calls;
 *  - tries the next configured address when one cannot be reached (always when the call never
 *    left this machine; otherwise only for calls that are safe to repeat);
 *  - rejects with a typed {@link RpcError} carrying the server's code, a one-line message and
 *    the caller's stack.
 * Connections are made lazily, by the first call to each address.
 */
import { Client, credentials as grpcCredentials, type ChannelCredentials, type MethodDefinition, type StatusObject } from '@grpc/grpc-js';
import { ConfigError, IllegalStateError, SquallError, UsageError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { normalizeAddress } from './address.js';
import { killCodec, nameActionCodec, rebalanceCodec, submitCodec } from './codec-actions.js';
import { decodePackageMetadata, encodePackageMetadata, type WirePackageMetadata } from './codec-common.js';
import { heartbeatCodec } from './codec-heartbeat.js';
import { clusterSummaryCodec, describeCodec, listCodec } from './codec-reads.js';
import type { UnaryCodec } from './codec-types.js';
import { serverStreamAttempt, unaryAttempt, uploadAttempt, type AttemptTarget, type OpenStream } from './client-calls.js';
import { fromStatus, neverSent, RpcError, type CallInfo } from './errors.js';
import { loadClusterProto } from './load.js';
import { WireValueError } from './long.js';
import { channelOptions, compileTransportOptions, positiveInt, type CompiledTransportOptions, type TransportOptions } from './options.js';
import { collect, metadataOf, rechunk, verifyChunks } from './package-stream.js';
import type {
  ClusterSummary, HeartbeatAck, KillTopologyInput, KillTopologyResult, PackageDownload, PackageMetadata,
  RebalanceTopologyInput, RpcName, SubmitTopologyInput, SubmitTopologyResult, SupervisorHeartbeat, TopologyActionResult,
  TopologyDetails, TopologySummary, UploadPackageResult,
} from './types.js';

/** @default 10 s for a unary call. */
export const DEFAULT_DEADLINE_MS = 10_000;
/** @default 10 min for a package upload or download. */
export const DEFAULT_STREAM_DEADLINE_MS = 600_000;
/** @default 2 leader redirects per call: enough for a leader change during the call, not a loop. */
export const DEFAULT_MAX_REDIRECTS = 2;

export interface NimbusClientOptions extends TransportOptions {
  /** Deadline of a unary call, from its start to its answer. @default {@link DEFAULT_DEADLINE_MS} */
  deadlineMs?: number;
  /** Deadline of an upload or a whole download. @default {@link DEFAULT_STREAM_DEADLINE_MS} */
  streamDeadlineMs?: number;
  /** @default {@link DEFAULT_MAX_REDIRECTS} */
  maxRedirects?: number;
  /** @default insecure (loopback and tests only; TEST-PLANS B3) */
  credentials?: ChannelCredentials;
  logger?: Logger;
}

/** Per-call options. */
export interface CallOptions {
  /** Overrides the client's deadline for this call. */
  deadlineMs?: number;
  /** Cancels the call; it then rejects with code E_RPC_CANCELLED. */
  signal?: AbortSignal;
}

/** How an upload's package is described; a Buffer source fills in size and sha256 itself. */
export interface UploadMetadataInput {
  name: string;
  /** Required for a stream source. */
  size?: number;
  /** Required for a stream source: 64 lowercase hex digits. */
  sha256?: string;
}

interface CompiledClientOptions {
  transport: CompiledTransportOptions;
  deadlineMs: number;
  streamDeadlineMs: number;
  maxRedirects: number;
  credentials: ChannelCredentials;
  logger: Logger;
}

/** How the retry loop treats one RPC. */
interface CallPlan {
  rpc: RpcName;
  /** Safe to send again after it may have reached a server (reads, activate, kill). */
  idempotent: boolean;
  stream: boolean;
  callerStack: string | undefined;
  /** False once a one-shot upload source has been read: no attempt can follow. */
  replayable?: () => boolean;
}

type Attempt<T> = (target: AttemptTarget) => Promise<T>;

/** Client of the Nimbus service. Create with {@link NimbusClient.connect}; `await using` closes it. */
export class NimbusClient implements AsyncDisposable {
  private readonly channels = new Map<string, Client>();
  private readonly abort = new AbortController();
  private preferred: string;
  private closedFlag = false;

  private constructor(
    /** The configured addresses, normalized, in order. */
    readonly addresses: readonly string[],
    private readonly opts: CompiledClientOptions,
  ) {
    this.preferred = addresses[0]!;
  }

  /**
   * A client for the nimbus at `addresses` (one or several, `host:port`; port 6627 when
   * omitted). No connection is made until the first call.
   * @throws {UsageError} for no address or an invalid one.
   * @throws {ConfigError} for invalid options.
   */
  static async connect(addresses: string | readonly string[], options: NimbusClientOptions = {}): Promise<NimbusClient> {
    const list = [...new Set((typeof addresses === 'string' ? [addresses] : addresses).map((a) => normalizeAddress(a)))];
    if (list.length === 0) throw new UsageError('no nimbus address given', { hint: 'pass host:port, e.g. 127.0.0.1:6627' });
    return new NimbusClient(list, compileClientOptions(options));
  }

  /** The address calls go to first: the last one that answered (after a redirect, the leader). */
  get currentAddress(): string {
    return this.preferred;
  }

  /** `closed` once close() was called; calls then fail with IllegalStateError. */
  get state(): 'open' | 'closed' {
    return this.closedFlag ? 'closed' : 'open';
  }

  /**
   * Uploads a package (a tar.gz). A Buffer is chunked and can be resent after a redirect; a
   * stream (any AsyncIterable of bytes, e.g. fs.createReadStream) is read once, and only after
   * the leader has accepted the upload.
   * @throws {RpcError} e.g. E_PACKAGE_MISMATCH when the bytes do not match size or sha256.
   */
  async uploadPackage(source: Uint8Array | AsyncIterable<Uint8Array>, meta: UploadMetadataInput, options?: CallOptions): Promise<UploadPackageResult> {
    const callerStack = new Error().stack;
    const metadata = uploadMetadata(source, meta);
    const wire = encodePackageMetadata(metadata);
    let started = false;
    const open = (): AsyncIterable<Uint8Array> => {
      started = true;
      return rechunk(source, this.opts.transport.chunkBytes);
    };
    const replayable = (): boolean => source instanceof Uint8Array || !started;
    const method = this.method('UploadPackage');
    const plan = { rpc: 'UploadPackage' as const, idempotent: false, stream: true, callerStack, replayable };
    const res = (await this.invoke(plan, options, (t) => uploadAttempt(method, wire, open, t))) as { packageId: string };
    return { packageId: res.packageId };
  }

  /**
   * Downloads a package: resolves once its metadata has arrived; the chunks follow, and their
   * iteration throws E_PACKAGE_MISMATCH when size or sha256 differ from the metadata. Stopping
   * the iteration early cancels the call.
   */
  async downloadPackage(packageId: string, options?: CallOptions): Promise<PackageDownload> {
    const callerStack = new Error().stack;
    const method = this.method('DownloadPackage');
    const plan: CallPlan = { rpc: 'DownloadPackage', idempotent: true, stream: true, callerStack };
    let address = this.preferred;
    const open = await this.invoke(plan, options, (t) => {
      address = t.address;
      return serverStreamAttempt(method, { packageId }, t);
    });
    if (open === undefined) throw new WireValueError('DownloadPackage', 'the stream ended before the package metadata');
    const part = open.first as { part?: string; metadata?: WirePackageMetadata };
    if (part.part !== 'metadata') {
      open.release();
      throw new WireValueError('DownloadPackage', 'the first message was not the package metadata');
    }
    const metadata = decodePackageMetadata(part.metadata, 'metadata');
    const info: CallInfo = { rpc: 'DownloadPackage', address, deadlineMs: this.deadlineOf(plan, options), callerStack };
    return { metadata, chunks: verifyChunks(restChunks(open, info), metadata) };
  }

  /** Downloads a whole package into memory, verified. */
  async downloadPackageBuffer(packageId: string, options?: CallOptions): Promise<{ metadata: PackageMetadata; data: Buffer }> {
    const download = await this.downloadPackage(packageId, options);
    return { metadata: download.metadata, data: await collect(download.chunks) };
  }

  /** Submits a topology from an uploaded package. Not repeated after it may have arrived. */
  submit(request: SubmitTopologyInput, options?: CallOptions): Promise<SubmitTopologyResult> {
    return this.unary({ rpc: 'SubmitTopology', idempotent: false }, submitCodec, request, options);
  }

  kill(request: KillTopologyInput, options?: CallOptions): Promise<KillTopologyResult> {
    return this.unary({ rpc: 'KillTopology', idempotent: true }, killCodec, request, options);
  }

  activate(name: string, options?: CallOptions): Promise<TopologyActionResult> {
    return this.unary({ rpc: 'ActivateTopology', idempotent: true }, nameActionCodec, { name }, options);
  }

  deactivate(name: string, options?: CallOptions): Promise<TopologyActionResult> {
    return this.unary({ rpc: 'DeactivateTopology', idempotent: true }, nameActionCodec, { name }, options);
  }

  rebalance(request: RebalanceTopologyInput, options?: CallOptions): Promise<TopologyActionResult> {
    return this.unary({ rpc: 'RebalanceTopology', idempotent: false }, rebalanceCodec, request, options);
  }

  list(options?: CallOptions): Promise<TopologySummary[]> {
    return this.unary({ rpc: 'ListTopologies', idempotent: true }, listCodec, {}, options);
  }

  describe(name: string, options?: CallOptions): Promise<TopologyDetails> {
    return this.unary({ rpc: 'DescribeTopology', idempotent: true }, describeCodec, { name }, options);
  }

  clusterSummary(options?: CallOptions): Promise<ClusterSummary> {
    return this.unary({ rpc: 'ClusterSummary', idempotent: true }, clusterSummaryCodec, {}, options);
  }

  supervisorHeartbeat(heartbeat: SupervisorHeartbeat, options?: CallOptions): Promise<HeartbeatAck> {
    return this.unary({ rpc: 'SupervisorHeartbeat', idempotent: true }, heartbeatCodec, heartbeat, options);
  }

  /** Cancels calls in flight (they reject with E_RPC_CANCELLED) and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.abort.abort(new SquallError('E_RPC_CANCELLED', 'the nimbus client was closed'));
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A unary call: encode (a bad value throws UsageError before any I/O), invoke, decode. */
  private async unary<Req, ReqIn, Res>(
    how: Pick<CallPlan, 'rpc' | 'idempotent'>, codec: UnaryCodec<Req, ReqIn, Res, unknown>, input: ReqIn, options: CallOptions | undefined,
  ): Promise<Res> {
    const callerStack = new Error().stack;
    const wire = codec.encodeRequest(input);
    const method = this.method(how.rpc);
    const raw = await this.invoke({ ...how, stream: false, callerStack }, options, (t) => unaryAttempt(method, wire, t));
    return codec.decodeResponse(raw);
  }

  /** Runs attempts until one succeeds or no redirect or failover applies. */
  private async invoke<T>(plan: CallPlan, options: CallOptions | undefined, attempt: Attempt<T>): Promise<T> {
    const deadlineMs = this.deadlineOf(plan, options);
    const deadline = Date.now() + deadlineMs;
    const signal = options?.signal ? AbortSignal.any([this.abort.signal, options.signal]) : this.abort.signal;
    const tried: string[] = [];
    const unreachable: string[] = [];
    let redirects = 0;
    let address = this.preferred;
    for (;;) {
      // Checked on every attempt: a close() during a redirect must not open a new channel.
      if (this.closedFlag) throw new IllegalStateError(`${plan.rpc} on a closed nimbus client`);
      tried.push(address);
      try {
        const result = await attempt({ client: this.channel(address), address, deadline, signal });
        this.preferred = address;
        return result;
      } catch (raw) {
        if (!isStatus(raw)) throw raw;
        const info: CallInfo = { rpc: plan.rpc, address, deadlineMs, callerStack: plan.callerStack };
        const err = fromStatus(raw, info);
        if (err.code === 'E_NIMBUS_UNREACHABLE') unreachable.push(address);
        const next = plan.replayable?.() === false ? undefined : this.nextAddress(raw, err, plan, tried, redirects);
        if (next === undefined) throw unreachable.length > 1 && err.code === 'E_NIMBUS_UNREACHABLE' ? fromStatus(raw, { ...info, address: unreachable.join(', ') }) : err;
        if (next.redirect) redirects++;
        this.opts.logger.debug(next.redirect ? 'following nimbus to its leader' : 'trying the next nimbus', { rpc: plan.rpc, from: address, to: next.address, code: err.code });
        address = next.address;
      }
    }
  }

  /** Where to send the call next, or undefined to give up with the error. */
  private nextAddress(raw: StatusObject, err: RpcError, plan: CallPlan, tried: readonly string[], redirects: number): { address: string; redirect: boolean } | undefined {
    if (err.code === 'E_NOT_LEADER') {
      const leader = validAddress(err.leaderAddress);
      if (leader !== undefined && redirects < this.opts.maxRedirects && leader !== tried.at(-1)) return { address: leader, redirect: true };
      if (leader !== undefined) return undefined;
    } else if (!(neverSent(raw) || (plan.idempotent && err.code === 'E_NIMBUS_UNREACHABLE'))) {
      return undefined;
    }
    const untried = this.addresses.find((a) => !tried.includes(a));
    return untried === undefined ? undefined : { address: untried, redirect: false };
  }

  private deadlineOf(plan: Pick<CallPlan, 'stream'>, options: CallOptions | undefined): number {
    return positiveInt('deadlineMs', options?.deadlineMs ?? (plan.stream ? this.opts.streamDeadlineMs : this.opts.deadlineMs));
  }

  private channel(address: string): Client {
    let channel = this.channels.get(address);
    if (channel === undefined) {
      channel = new Client(address, this.opts.credentials, channelOptions(this.opts.transport));
      this.channels.set(address, channel);
    }
    return channel;
  }

  private method(rpc: RpcName): MethodDefinition<object, unknown> {
    return loadClusterProto().nimbusService[rpc] as MethodDefinition<object, unknown>;
  }
}

function compileClientOptions(options: NimbusClientOptions): CompiledClientOptions {
  return {
    transport: compileTransportOptions(options),
    deadlineMs: positiveInt('deadlineMs', options.deadlineMs ?? DEFAULT_DEADLINE_MS),
    streamDeadlineMs: positiveInt('streamDeadlineMs', options.streamDeadlineMs ?? DEFAULT_STREAM_DEADLINE_MS),
    maxRedirects: nonNegativeInt('maxRedirects', options.maxRedirects ?? DEFAULT_MAX_REDIRECTS),
    credentials: options.credentials ?? grpcCredentials.createInsecure(),
    logger: options.logger ?? silentLogger,
  };
}

function nonNegativeInt(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(key, `${key} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/** The metadata to announce: computed for a Buffer (and checked against what was given). */
function uploadMetadata(source: Uint8Array | AsyncIterable<Uint8Array>, meta: UploadMetadataInput): PackageMetadata {
  if (source instanceof Uint8Array) {
    const computed = metadataOf(meta.name, source);
    if ((meta.size !== undefined && meta.size !== computed.size) || (meta.sha256 !== undefined && meta.sha256 !== computed.sha256)) {
      throw new UsageError(`the size or sha256 given for package "${meta.name}" do not match its bytes`);
    }
    return computed;
  }
  if (meta.size === undefined || meta.sha256 === undefined) {
    throw new UsageError(`uploading package "${meta.name}" from a stream needs its size and sha256`, { hint: 'pass a Buffer, or give size and sha256' });
  }
  return { name: meta.name, size: meta.size, sha256: meta.sha256 };
}

/** The chunks after the metadata; a failure mid-stream becomes a typed error. */
async function* restChunks(open: OpenStream, info: CallInfo): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await open.rest.next();
      } catch (raw) {
        throw isStatus(raw) ? fromStatus(raw, info) : raw;
      }
      if (next.done === true) return;
      const part = next.value as { part?: string; chunk?: Uint8Array };
      if (part.part !== 'chunk' || part.chunk === undefined) throw new WireValueError('DownloadPackage', 'only the first message may carry metadata');
      yield part.chunk;
    }
  } finally {
    open.release();
  }
}

function validAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  try {
    return normalizeAddress(address);
  } catch {
    return undefined;
  }
}

/** A grpc-js status error (ServiceError): what a failed call rejects with. */
function isStatus(value: unknown): value is StatusObject {
  return typeof value === 'object' && value !== null && typeof (value as StatusObject).code === 'number' && typeof (value as StatusObject).details === 'string';
}
