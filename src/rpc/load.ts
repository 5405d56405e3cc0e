/**
 * Loads `proto/squall/v1/cluster.proto` at run time with @grpc/proto-loader (no generated code:
 * the .proto is the one definition, shipped in the package's `proto/` directory).
 *
 * Loader conventions, chosen once for every Squall service and relied on by the mappers:
 *  - `keepCase: false`: fields are lowerCamelCase in JS (`package_id` → `packageId`), as TS
 *    code spells them; the .proto keeps protobuf's snake_case.
 *  - `longs: String`: 64-bit integers arrive as decimal strings, so decoding never rounds.
 *    The mappers (long.ts) turn them into numbers only when they are at most 2^53 − 1 and
 *    refuse larger ones loudly; `longs: Number` would round silently.
 *  - `enums: String`: enum values arrive by name (`TOPOLOGY_STATUS_ACTIVE`).
 *  - `defaults: true`: absent scalar fields arrive as their zero value, repeated as `[]`;
 *    fields declared `optional` in the .proto stay `undefined` when absent (presence kept).
 *  - `oneofs: true`: a oneof's set member is named in a virtual field (`part: 'chunk'`).
 */
import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { packageRoot } from '../common/package-root.js';

/** The loader options every Squall .proto is loaded with (see the module comment). */
export const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The cluster API's file, relative to {@link PROTO_DIR}. */
export const CLUSTER_PROTO_FILE = 'squall/v1/cluster.proto';

/** The fully qualified service name, as it appears in gRPC paths (`/squall.v1.Nimbus/...`). */
export const NIMBUS_SERVICE_NAME = 'squall.v1.Nimbus';

/** The loaded cluster API: what servers and clients are built from. */
export interface ClusterProto {
  readonly packageDefinition: PackageDefinition;
  /** The Nimbus service: method name (`UploadPackage`, ...) → path, stream flags, (de)serializers. */
  readonly nimbusService: ServiceDefinition;
  /** The generic client constructor for the Nimbus service. */
  readonly NimbusClient: ServiceClientConstructor;
}

let cached: ClusterProto | undefined;

/** The `proto/` directory of the installed Squall package (found from this file, not the cwd). */
export function protoDir(): string {
  return join(packageRoot(), 'proto');
}

/**
 * Loads (once per process) and returns the cluster API. Loading is synchronous and takes a few
 * milliseconds; later calls return the same object.
 * @throws {Error} when the .proto is missing or does not parse (a broken installation).
 */
export function loadClusterProto(): ClusterProto {
  cached ??= load();
  return cached;
}

function load(): ClusterProto {
  const packageDefinition = loadSync(CLUSTER_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
  const grpcObject = loadPackageDefinition(packageDefinition);
  const NimbusClient = lookup(grpcObject, NIMBUS_SERVICE_NAME);
  return { packageDefinition, nimbusService: NimbusClient.service, NimbusClient };
}

function lookup(root: GrpcObject, qualifiedName: string): ServiceClientConstructor {
  let node: unknown = root;
  for (const part of qualifiedName.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`${qualifiedName} is not a service in ${CLUSTER_PROTO_FILE}`);
  return node as ServiceClientConstructor;
}
