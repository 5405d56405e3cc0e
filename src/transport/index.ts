/**
 * Worker-to-worker transport: batched, length-prefixed frames over one TCP connection per peer
 * worker, with bounded send buffers and Storm 2-style remote backpressure.
 *
 * @example
 * ```ts
 * await using server = await TransportServer.start({
 *   topologyId: 'wc-1', workerId: 'w2', port: 6701,
 *   onTuples: (tuples) => { for (const t of tuples) deliverLocally(t); },
 * });
 * await using remote = TcpRemoteTransport.start({
 *   topologyId: 'wc-1', workerId: 'w1',
 *   assignment: new Map([[7, { host: '10.0.0.2', port: 6701 }]]),
 *   onRelief: () => runtime.wake(),
 * });
 * ```
 */
export { PeerClient } from './client.js';
export {
  FrameTooLargeError, HandshakeError, MalformedFrameError, NoRouteError, SerializationError, TransportError,
} from './errors.js';
export {
  BatchEncoder, decodePayload, encodeBackpressure, encodeHello, encodeTuples, FrameDecoder,
} from './frame-codec.js';
export {
  DEFAULT_MAX_FRAME_BYTES, MAX_HELLO_FRAME_BYTES, PROTOCOL_VERSION,
} from './frame-types.js';
export {
  backoffDelayMs, compileClientTuning, DEFAULT_BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_TUPLES, DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_BUFFERED_TUPLES, DEFAULT_RECONNECT_MAX_MS, DEFAULT_RECONNECT_MIN_MS,
} from './options.js';
export { TcpRemoteTransport } from './remote.js';
export { packValues, unpackValues } from './serialize.js';
export { TransportServer } from './server.js';

export type { LinkState, PeerClientOptions, PeerClientState, PeerClientStats, SocketFactory, SocketOptions } from './client.js';
export type { HandshakeFailure } from './errors.js';
export type { FrameDecoderOptions } from './frame-codec.js';
export type { BackpressureFrame, DecodedTuple, Frame, HelloFrame, TupleLike, TuplesFrame } from './frame-types.js';
export type { ClientTuning, CompiledClientTuning } from './options.js';
export type { TcpRemoteTransportOptions, TcpRemoteTransportState, WorkerAddress } from './remote.js';
export type {
  PeerInfo, TransportServerOptions, TransportServerState, TransportServerStats, TuplesHandler, TuplesVerdict,
} from './server.js';
