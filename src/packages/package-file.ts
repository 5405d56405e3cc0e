/**
 * A package's identity is the sha256 of its bytes (hex). Nimbus (uploads, copies from other
 * nimbuses), supervisors (downloads) and the cluster API all check ids with one pattern, and
 * store incoming bytes with one function that hashes them on the way to the file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A package id: the hex sha256 of the package bytes. */
export const PACKAGE_ID_PATTERN = /^[0-9a-f]{64}$/u;

/** Options of {@link writeHashed}. */
export interface WriteHashedOptions {
  /** File mode of the new file. */
  mode: number;
  /** `fs` open flags. @default 'w' */
  flags?: string;
  signal?: AbortSignal;
}

/** Streams chunks into `file`; returns the sha256 (hex) and the size of what was written. */
export async function writeHashed(chunks: AsyncIterable<Uint8Array>, file: string, opts: WriteHashedOptions): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  const out = createWriteStream(file, { flags: opts.flags ?? 'w', mode: opts.mode });
  await pipeline(Readable.from(counted()), out, opts.signal ? { signal: opts.signal } : {});
  return { sha256: hash.digest('hex'), size };
}
