/**
 * One entry point for the host: pick a serializer by `topology.multilang.serializer` and get a
 * fresh decoder plus the matching encoder.
 */
import { makeBatch } from './batch.js';
import { encodeJsonFrame, JsonFrameDecoder } from './json-codec.js';
import type { DecoderOptions, MultilangDecoder } from './limits.js';
import { encodeMsgpack, MsgpackDecoder } from './msgpack-codec.js';
import { encodeNdjson, NdjsonDecoder } from './ndjson-codec.js';

/** The serializers Squall speaks (same names as the config schema's `MULTILANG_SERIALIZERS`). */
export type SerializerKind = 'json' | 'msgpack' | 'ndjson';

export type CodecOptions = DecoderOptions;

/** A decoder for one child's stdout plus the encoder for its stdin. */
export interface MultilangCodec {
  readonly name: SerializerKind;
  /** Stateful: one per child process. */
  readonly decoder: MultilangDecoder;
  /** One message as bytes/text ready to write (JSON/NDJSON give strings, msgpack bytes). */
  encode(msg: unknown): string | Uint8Array;
  /** Several messages as one batch frame (only after the child accepted the batch extension). */
  encodeBatch(msgs: readonly unknown[]): string | Uint8Array;
}

/**
 * Creates a codec for one child.
 * @example
 * const codec = createCodec('json', { maxFrameBytes: 16 << 20 });
 * child.stdin.write(codec.encode(handshake));
 * child.stdout.on('data', (chunk) => codec.decoder.push(chunk).forEach(handle));
 */
export function createCodec(kind: SerializerKind, opts: CodecOptions = {}): MultilangCodec {
  switch (kind) {
    case 'json':
      return codecOf(kind, new JsonFrameDecoder(opts), encodeJsonFrame);
    case 'ndjson':
      return codecOf(kind, new NdjsonDecoder(opts), encodeNdjson);
    case 'msgpack':
      return codecOf(kind, new MsgpackDecoder(opts), encodeMsgpack);
    default:
      throw new RangeError(`unknown multilang serializer "${String(kind satisfies never)}"`);
  }
}

function codecOf(name: SerializerKind, decoder: MultilangDecoder, encode: (msg: unknown) => string | Uint8Array): MultilangCodec {
  return {
    name,
    decoder,
    encode,
    encodeBatch: (msgs) => encode(makeBatch(msgs)),
  };
}
