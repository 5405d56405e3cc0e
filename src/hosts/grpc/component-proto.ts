/**
 * Loads proto/squall/v1/component.proto at run time, with the loader conventions of every
 * Squall service (src/rpc/load.ts): no generated code, fields lowerCamelCase. Shared by the
 * host side (a client per task) and the TypeScript component SDK (the server).
 */
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS, protoDir } from '../../rpc/load.js';

export const COMPONENT_PROTO_FILE = 'squall/v1/component.proto';
export const COMPONENT_SERVICE_NAME = 'squall.v1.Component';

export interface ComponentProto {
  /** Method `Run` → path, stream flags, (de)serializers. */
  readonly service: ServiceDefinition;
  readonly ComponentClient: ServiceClientConstructor;
}

let cached: ComponentProto | undefined;

/**
 * Loads (once per process) the component API.
 * @throws {Error} when the .proto is missing or does not parse (a broken installation).
 */
export function loadComponentProto(): ComponentProto {
  cached ??= load();
  return cached;
}

function load(): ComponentProto {
  const definition = loadSync(COMPONENT_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
  const root = loadPackageDefinition(definition) as unknown as { squall: { v1: { Component?: ServiceClientConstructor } } };
  const ComponentClient = root.squall.v1.Component;
  if (typeof ComponentClient !== 'function') throw new Error(`${COMPONENT_SERVICE_NAME} is not a service in ${COMPONENT_PROTO_FILE}`);
  return { service: ComponentClient.service, ComponentClient };
}
