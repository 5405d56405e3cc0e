/**
 * Package bytes in motion: cutting a source into message-sized chunks, and checking a received
 * stream against its metadata (exact size, sha256) while passing it on. Used on both sides:
 * the server checks uploads, the client checks downloads.
 */
import { createHash } from 'node:crypto';
import { SquallError } from '../common/errors.js';
import type { PackageMetadata } from './types.js';

/** @default 64 KiB: well under any message limit, large enough that framing costs nothing. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * Thrown when package bytes do not match their metadata: more or fewer bytes than announced,
 * or another sha256 (a truncated, padded or corrupted transfer). Code `E_PACKAGE_MISMATCH`.
 */
export class PackageMismatchError extends SquallError {
  constructor(message: string) {
    super('E_PACKAGE_MISMATCH', message, { hint: 'send the package again; if it keeps failing, the file changed while it was read' });
  }
}

/** The metadata a buffer would be announced with. */
export function metadataOf(name: string, bytes: Uint8Array): PackageMetadata {
  return { name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The source as chunks of at most `chunkBytes` bytes (views, not copies). A Uint8Array can be
 * chunked any number of times (so a call can be retried); an iterable only once.
 */
export async function* rechunk(source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const pieces = source instanceof Uint8Array ? [source] : source;
  for await (const piece of pieces) {
    if (!(piece instanceof Uint8Array)) throw new TypeError(`package source yielded ${typeof piece}, expected Uint8Array or Buffer`);
    for (let at = 0; at < piece.byteLength; at += chunkBytes) yield piece.subarray(at, Math.min(at + chunkBytes, piece.byteLength));
  }
}

/**
 * Passes `chunks` through while counting and hashing. Throws {@link PackageMismatchError} as
 * soon as the bytes run past `metadata.size`, and at the end when they fall short or the
 * sha256 differs, so a consumer that commits only after the loop never commits bad bytes.
 */
export async function* verifyChunks(chunks: AsyncIterable<Uint8Array>, metadata: PackageMetadata): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let received = 0;
  for await (const chunk of chunks) {
    received += chunk.byteLength;
    if (received > metadata.size) {
      throw new PackageMismatchError(`package "${metadata.name}" carries more than the ${metadata.size} bytes its metadata announced`);
    }
    hash.update(chunk);
    yield chunk;
  }
  if (received < metadata.size) {
    throw new PackageMismatchError(`package "${metadata.name}" ended after ${received} of ${metadata.size} bytes`);
  }
  const digest = hash.digest('hex');
  if (digest !== metadata.sha256) {
    throw new PackageMismatchError(`package "${metadata.name}" has sha256 ${digest}, but its metadata says ${metadata.sha256}`);
  }
}

/** Reads a whole chunk stream into one Buffer. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
