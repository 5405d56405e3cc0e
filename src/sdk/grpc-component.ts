/**
 * Serves a Squall JavaScript/TypeScript spout or bolt (the interfaces of src/runtime/api.ts)
 * as a gRPC component (proto/squall/v1/component.proto), so a topology can run it as
 * `grpc: {command: [...]}` (Squall launches it per task) or `grpc: {address: "host:port"}`
 * (it already runs somewhere).
 *
 * @example
 * ```ts
 * // split-bolt.ts, declared as  grpc: {command: [node, --import, tsx, split-bolt.ts]}
 * class SplitBolt implements Bolt { ... }
 * const served = await serveComponent(SplitBolt, { address: process.env.SQUALL_GRPC_ADDRESS });
 * ```
 * A launched component must listen where Squall says: it passes
 * `process.env.SQUALL_GRPC_ADDRESS` (the SDK itself never reads the environment).
 *
 * Every Run stream (one per task) gets a fresh instance. Differences from in-process
 * components: emit() returns [] (task ids would cost a round trip per emit), message ids
 * and tuple values travel as JSON (a spout's ack/fail receives an equal copy of its message
 * id, not the same object), and resetTimeout() does nothing.
 */
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { silentLogger, type Logger } from '../common/logger.js';
import { loadComponentProto } from '../hosts/grpc/component-proto.js';
import type { ComponentBatchWire, HostBatchWire } from '../multilang/grpc-wire.js';
import { ComponentSession, type ComponentSource } from './component/session.js';

export type { ComponentInstance, ComponentSource } from './component/session.js';

export interface ServeComponentOptions {
  /**
   * host:port to listen on; port 0 picks a free one. A launched component passes
   * `process.env.SQUALL_GRPC_ADDRESS`.
   * @default '127.0.0.1:0'
   */
  address?: string | undefined;
  /**
   * Largest HostBatch accepted. The host keeps its batches under its own
   * squall.grpc.max.message.bytes, so this only needs to be at least that.
   * @default 64 MiB
   */
  maxReceiveMessageBytes?: number;
  /** Where the SDK logs its own problems (component logs go to the host). @default silent */
  logger?: Logger;
  /** close(): how long open streams get to end before they are cancelled. @default 5000 */
  shutdownGraceMs?: number;
}

export const DEFAULT_COMPONENT_ADDRESS = '127.0.0.1:0';
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A served component. `await using served = await serveComponent(...)` closes it at scope end. */
export interface ServedComponent extends AsyncDisposable {
  /** The bound port (the real one when the address asked for port 0). */
  readonly port: number;
  /** host:port as bound. */
  readonly address: string;
  /** Settles once the server has stopped. */
  readonly closed: Promise<void>;
  /** Refuses new streams and waits until the host has closed every open one. */
  drain(): Promise<void>;
  /** Stops now: streams get `shutdownGraceMs` to end, then they are cancelled. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a gRPC server for one component kind.
 * @throws {Error} when the address cannot be bound (in use, not local).
 */
export async function serveComponent(source: ComponentSource, options: ServeComponentOptions = {}): Promise<ServedComponent> {
  const logger = options.logger ?? silentLogger;
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_send_message_length': -1,
  });
  server.addService(loadComponentProto().service, {
    Run: (call: ServerDuplexStream<HostBatchWire, ComponentBatchWire>) => new ComponentSession(call, source, logger),
  });
  const requested = options.address || DEFAULT_COMPONENT_ADDRESS;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(requested, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  const host = requested.slice(0, requested.lastIndexOf(':'));
  return new GrpcComponentServer(server, `${host}:${port}`, port, options.shutdownGraceMs ?? 5000);
}

class GrpcComponentServer implements ServedComponent {
  readonly closed: Promise<void>;
  private stopped!: () => void;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
    private readonly graceMs: number,
  ) {
    this.closed = new Promise((resolve) => { this.stopped = resolve; });
  }

  drain(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => {
      this.stopped();
      resolve();
    }));
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async stop(): Promise<void> {
    const timer = setTimeout(() => this.server.forceShutdown(), this.graceMs);
    await this.drain();
    clearTimeout(timer);
  }
}
