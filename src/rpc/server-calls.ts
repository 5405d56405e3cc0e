/**
 * Adapters from grpc-js's callback-and-stream handler signatures to Squall's async handlers:
 * decode the request, call the handler with a CallContext, encode the answer, and turn any
 * throw into a gRPC status (errors.ts). One adapter per call shape.
 */
import { Metadata, status as Status, type ServerReadableStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedHandleCall } from '@grpc/grpc-js';
import { SquallError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { decodePackageMetadata, encodePackageMetadata, type WirePackageMetadata } from './codec-common.js';
import type { UnaryCodec } from './codec-types.js';
import { toStatus } from './errors.js';
import { WireValueError } from './long.js';
import { rechunk, verifyChunks } from './package-stream.js';
import type { CallContext, DownloadPackageRequest, PackageDownload, PackageUpload, RpcName, UploadPackageResult } from './types.js';

/** What every adapter needs from the server. */
export interface AdapterDeps {
  logger: Logger;
  chunkBytes: number;
  maxPackageBytes: number;
}

/** What every kind of server call offers (grpc-js does not export its own name for it). */
interface ServerSurfaceCall extends Pick<ServerUnaryCall<unknown, unknown>, 'getPeer' | 'getDeadline' | 'sendMetadata' | 'cancelled'> {
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/** One message of an upload or a download, as the loader gives it. */
interface WirePackagePart {
  part?: 'metadata' | 'chunk';
  metadata?: WirePackageMetadata;
  chunk?: Uint8Array;
}

/** Adapts a unary handler. `invoke` receives the decoded request. */
export function unaryAdapter<Req, Res>(rpc: RpcName, codec: UnaryCodec<Req, unknown, unknown, Res>, invoke: (req: Req, ctx: CallContext) => Promise<Res>, deps: AdapterDeps): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    const ctx = callContext(rpc, call);
    const run = async (): Promise<object> => {
      const res = await invoke(codec.decodeRequest(call.request), ctx.context);
      return encodeAnswer(rpc, () => codec.encodeResponse(res));
    };
    run().then(
      (res) => callback(null, res),
      (err: unknown) => callback(failure(rpc, err, deps.logger, ctx.context.signal)),
    ).finally(ctx.done);
  };
}

/** Adapts UploadPackage: the first message is the metadata, the rest are verified chunks. */
export function uploadAdapter(invoke: (upload: PackageUpload, ctx: CallContext) => Promise<UploadPackageResult>, deps: AdapterDeps): UntypedHandleCall {
  return (call: ServerReadableStream<WirePackagePart, unknown>, callback: sendUnaryData<unknown>) => {
    const ctx = callContext('UploadPackage', call);
    const run = async (): Promise<object> => {
      const parts = call[Symbol.asyncIterator]() as AsyncIterator<WirePackagePart>;
      const first = await parts.next();
      if (first.done === true || first.value.part !== 'metadata') throw new WireValueError('UploadPackage', 'the first message must be the package metadata');
      const metadata = decodePackageMetadata(first.value.metadata, 'metadata');
      if (metadata.size > deps.maxPackageBytes) {
        throw new SquallError('E_PACKAGE_TOO_LARGE', `package "${metadata.name}" is ${metadata.size} bytes; this nimbus accepts at most ${deps.maxPackageBytes}`);
      }
      const chunks = verifyChunks(chunksAfterMetadata(parts, call, ctx.context.signal), metadata);
      const result = await invoke({ metadata, chunks }, ctx.context);
      return encodeAnswer('UploadPackage', () => ({ packageId: result.packageId }));
    };
    run().then(
      (res) => callback(null, res),
      (err: unknown) => callback(failure('UploadPackage', err, deps.logger, ctx.context.signal)),
    ).finally(ctx.done);
  };
}

/**
 * The chunk messages of an upload. Response headers go out when the handler first asks for a
 * chunk: the client streams only after seeing them, so an upload refused up front (not the
 * leader, too large) costs the client no bytes and leaves its source unread for a retry.
 */
async function* chunksAfterMetadata(parts: AsyncIterator<WirePackagePart>, call: ServerSurfaceCall, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  call.sendMetadata(new Metadata());
  for (;;) {
    let next: IteratorResult<WirePackagePart>;
    try {
      next = await parts.next();
    } catch (err) {
      // A cancelled call (client gone, deadline, size limit) ends the stream with a bare
      // "Premature close"; the handler should see why instead.
      throw signal.aborted ? signal.reason : err;
    }
    if (next.done === true) return;
    if (next.value.part !== 'chunk' || next.value.chunk === undefined) throw new WireValueError('UploadPackage', 'only the first message may carry metadata');
    yield next.value.chunk;
  }
}

/** Adapts DownloadPackage: the metadata message, then the bytes in chunks, with backpressure. */
export function downloadAdapter(invoke: (req: DownloadPackageRequest, ctx: CallContext) => Promise<PackageDownload>, deps: AdapterDeps): UntypedHandleCall {
  return (call: ServerWritableStream<{ packageId: string }, WirePackagePart>) => {
    const ctx = callContext('DownloadPackage', call);
    const run = async (): Promise<void> => {
      const download = await invoke({ packageId: call.request.packageId }, ctx.context);
      const metadata = encodeAnswer('DownloadPackage', () => encodePackageMetadata(download.metadata));
      await send(call, { metadata }, ctx.context.signal);
      for await (const chunk of rechunk(download.chunks, deps.chunkBytes)) await send(call, { chunk }, ctx.context.signal);
      call.end();
    };
    run().catch((err: unknown) => {
      const status = failure('DownloadPackage', err, deps.logger, ctx.context.signal);
      if (!call.cancelled) call.emit('error', status);
    }).finally(ctx.done);
  };
}

/** Answers every call of an RPC that has no handler with UNIMPLEMENTED and a clear reason. */
export function unimplementedAdapter(rpc: RpcName, shape: 'unary' | 'clientStream' | 'serverStream'): UntypedHandleCall {
  const status = toStatus(new SquallError('E_RPC_UNIMPLEMENTED', `this nimbus does not serve ${rpc}: no handler is registered for it`));
  if (shape === 'serverStream') return (call: ServerWritableStream<unknown, unknown>) => call.emit('error', status);
  return (_call: ServerSurfaceCall, callback: sendUnaryData<unknown>) => callback(status);
}

/** Writes one message, waiting for 'drain' when the stream's buffer is full. */
function send(call: ServerWritableStream<unknown, WirePackagePart>, message: WirePackagePart, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = (): void => { signal.removeEventListener('abort', onAbort); resolve(); };
    const onAbort = (): void => { call.off('drain', onDrain); reject(signal.reason); };
    call.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A handler's answer encoded; an encoding failure is the server's bug, so INTERNAL. */
function encodeAnswer<T>(rpc: RpcName, encode: () => T): T {
  try {
    return encode();
  } catch (err) {
    throw new SquallError('E_RPC_BAD_RESPONSE', `the ${rpc} handler returned a value that cannot be sent: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The status for a failure, logged: server bugs at error with the stack, the rest (refusals,
 * and anything after the client went away, when nobody hears the answer) at debug.
 */
function failure(rpc: RpcName, err: unknown, logger: Logger, signal: AbortSignal): ReturnType<typeof toStatus> {
  const status = toStatus(err);
  if (status.code === Status.INTERNAL && !signal.aborted) logger.error(`${rpc} failed`, { rpc, err, stack: err instanceof Error ? err.stack : undefined });
  else logger.debug(`${rpc} refused`, { rpc, code: err instanceof SquallError ? err.code : undefined, details: status.details });
  return status;
}

interface OpenContext {
  context: CallContext;
  /** Releases the call's listeners once it has been answered. */
  done: () => void;
}

/** A CallContext whose signal aborts when the client cancels or the deadline passes. */
function callContext(rpc: RpcName, call: ServerSurfaceCall): OpenContext {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort(new SquallError('E_RPC_CANCELLED', `${rpc} was cancelled by the client or its deadline passed`));
  call.on('cancelled', onCancel);
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return {
    context: { rpc, peer: call.getPeer(), deadlineMs, signal: abort.signal },
    done: () => call.off('cancelled', onCancel),
  };
}
