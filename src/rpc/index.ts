/**
 * The cluster API (proto/squall/v1/cluster.proto) for Squall's roles and tools: a server that
 * serves typed async handlers, and a client with leader redirects, failover and typed errors.
 *
 * @example
 * ```ts
 * await using server = await startRpcServer({ port: 0, handlers: { listTopologies: async () => [] } });
 * await using client = await NimbusClient.connect(server.address);
 * console.log(await client.list()); // []
 * ```
 */
export { parseAddress, formatAddress, normalizeAddress } from './address.js';
export { NimbusClient, DEFAULT_DEADLINE_MS, DEFAULT_STREAM_DEADLINE_MS, DEFAULT_MAX_REDIRECTS } from './client.js';
export { CODE_TO_STATUS, STATUS_TO_CODE, METADATA_KEYS, NotLeaderError, RpcError, fromStatus, toStatus } from './errors.js';
export { loadClusterProto, protoDir, LOADER_OPTIONS, NIMBUS_SERVICE_NAME } from './load.js';
export { MAX_U64_NUMBER, WireValueError } from './long.js';
export { DEFAULT_NIMBUS_PORT, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_KEEPALIVE_TIME_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS } from './options.js';
export { DEFAULT_CHUNK_BYTES, PackageMismatchError, metadataOf } from './package-stream.js';
export { startRpcServer, DEFAULT_MAX_PACKAGE_BYTES, DEFAULT_SHUTDOWN_GRACE_MS } from './server.js';
export { RPC_NAMES, handlerKey } from './types.js';

export type { HostPort } from './address.js';
export type { CallOptions, NimbusClientOptions, UploadMetadataInput } from './client.js';
export type { CallInfo } from './errors.js';
export type { ClusterProto } from './load.js';
export type { KeepaliveOptions, TransportOptions } from './options.js';
export type { RpcServer, RpcServerOptions, RpcServerState } from './server.js';
export type * from './types.js';
