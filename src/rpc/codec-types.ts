/**
 * The shape of a message codec: typed values ⇄ the loader's wire objects, for one RPC's
 * request and response. Servers use decodeRequest/encodeResponse, clients the other two.
 */

/**
 * Codec of a unary RPC. `ReqIn`/`ResIn` are what callers may give (optional fields allowed);
 * `Req`/`Res` what decoding produces (every default filled). Methods, not function-valued
 * properties, on purpose: method parameters are checked bivariantly, so a codec can declare
 * its concrete wire type where the interface says `unknown`.
 */
export interface UnaryCodec<Req, ReqIn, Res, ResIn> {
  /** @throws {UsageError} naming the field when a value cannot go on the wire. */
  encodeRequest(input: ReqIn): object;
  /** @throws {WireValueError} when a value cannot be represented (long.ts). */
  decodeRequest(wire: unknown): Req;
  /** @throws {UsageError} naming the field when a value cannot go on the wire. */
  encodeResponse(input: ResIn): object;
  /** @throws {WireValueError} when a value cannot be represented (long.ts). */
  decodeResponse(wire: unknown): Res;
}

/** Requests without fields (ListTopologies, ClusterSummary). */
export type Empty = Record<string, never>;
