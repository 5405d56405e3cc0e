/**
 * Streams a gzip package through one decompressor we control into a node-tar sink, metering
 * every inflated byte. We inflate ourselves rather than let node-tar sniff and inflate so the
 * meter sees exactly what the tar parser sees, and so a second layer of compression inside the
 * gzip (which node-tar would silently inflate again) is refused instead of escaping the meter.
 */
import { once, type EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { PackageLimits } from './limits.js';
import { PackageRejectedError } from './package-errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** Bytes needed to recognise a nested compression header. */
const SNIFF_BYTES = 4;

/** The part of node-tar's Parser/Unpack this module drives. */
export interface TarSink extends EventEmitter {
  write(chunk: Buffer): boolean;
  end(): unknown;
  abort(error: Error): void;
}

/**
 * Holds the first failure of a pass. Callbacks deep inside node-tar cannot throw usefully, so
 * they record here, and the pump checks between writes.
 */
export class Guard {
  error: Error | undefined;
  readonly #waiters = new Set<(e: Error) => void>();

  fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    for (const reject of this.#waiters) reject(error);
    this.#waiters.clear();
  }

  check(): void {
    if (this.error) throw this.error;
  }

  /** Resolves on `event`, rejects as soon as the guard fails (so a stalled sink never hangs us). */
  async wait(emitter: EventEmitter, event: string): Promise<void> {
    this.check();
    let rejectWaiter: ((e: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => { rejectWaiter = reject; this.#waiters.add(reject); });
    try {
      await Promise.race([once(emitter, event), failed]);
    } finally {
      if (rejectWaiter) this.#waiters.delete(rejectWaiter);
    }
  }
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(head: Uint8Array): boolean {
  return head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** Counts inflated bytes against the size limit and the compression-ratio limit. */
export class InflateMeter {
  #inflated = 0;
  readonly #ratioCeiling: number;
  readonly #streamCeiling: number;

  constructor(private readonly limits: PackageLimits, compressedBytes: number) {
    this.#ratioCeiling = Math.max(limits.ratioGraceBytes, limits.maxRatio * compressedBytes);
    // The tar stream also holds headers and padding (and pax headers that are not entries), so
    // the stream may exceed the content limit by a bounded overhead, never by more than 2x.
    const overhead = Math.min(limits.maxTotalBytes, 1024 * 1024 + 4096 * limits.maxEntries);
    this.#streamCeiling = limits.maxTotalBytes + overhead;
  }

  get inflated(): number { return this.#inflated; }

  /** @throws {PackageRejectedError} `compression-ratio` or `too-large`. */
  add(bytes: number): void {
    this.#inflated += bytes;
    if (this.#inflated > this.#ratioCeiling) {
      throw new PackageRejectedError(
        'compression-ratio', `inflates beyond ${this.limits.maxRatio}:1 (possible compression bomb)`,
      );
    }
    if (this.#inflated > this.#streamCeiling) {
      throw new PackageRejectedError('too-large', `tar stream larger than ${this.#streamCeiling} bytes`);
    }
  }
}

/**
 * Inflates `source` into `sink` and waits until the sink has finished (its 'close').
 * @throws {PackageRejectedError} on any rule broken, by the meter, the sink's callbacks or a
 *   gzip/tar error (reason `corrupt`).
 */
export async function pumpPackage(
  source: Readable, compressedBytes: number, limits: PackageLimits, sink: TarSink, guard: Guard,
): Promise<void> {
  const meter = new InflateMeter(limits, compressedBytes);
  sink.on('error', (e: Error) => guard.fail(asRejection(e)));
  const closed = guard.wait(sink, 'close');
  closed.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
  let head: Buffer | undefined = Buffer.alloc(0);
  const forward = async (chunk: Buffer): Promise<void> => {
    meter.add(chunk.length);
    guard.check();
    if (!sink.write(chunk)) await guard.wait(sink, 'drain');
    guard.check();
  };
  try {
    await pipeline(source, createGunzip(), async (inflated: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of inflated) {
          if (head === undefined) { await forward(chunk); continue; }
          head = Buffer.concat([head, chunk]);
          if (head.length < SNIFF_BYTES) continue;
          refuseNested(head);
          const first = head;
          head = undefined;
          await forward(first);
        }
        if (head !== undefined && head.length > 0) await forward(head);
      } catch (err) {
        // pipeline() may report its own AbortError instead of ours: record ours first.
        guard.fail(asRejection(err));
        throw err;
      }
    });
    sink.end();
    await closed;
    guard.check();
  } catch (err) {
    const rejection = guard.error ?? asRejection(err);
    guard.fail(rejection);
    sink.abort(rejection);
    throw rejection;
  }
}

function refuseNested(head: Buffer): void {
  const starts = (magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC) || starts(ZSTD_MAGIC)) {
    throw new PackageRejectedError('nested-compression', 'the tar stream is itself compressed');
  }
}

/**
 * Our rejections pass through, and so do I/O errors (they carry `syscall`: a full disk is not
 * the package's fault); anything else (zlib, a tar header) means a corrupt package.
 */
function asRejection(err: unknown): Error {
  if (err instanceof PackageRejectedError) return err;
  if (err instanceof Error && 'syscall' in err) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PackageRejectedError('corrupt', message, undefined, { cause: err });
}
