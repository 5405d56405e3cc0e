/**
 * Nimbus's local package store: `<localDir>/nimbus/packages/<sha256>.tar.gz`, content-addressed
 * so an upload is idempotent and any nimbus holding the bytes can serve them.
 *
 * A package arrives through a temp file in `<localDir>/nimbus/tmp/` (hashed while written),
 * is checked whole with `inspectPackage` (the listing pass of safe extraction: nothing of a
 * bad package is kept), and only then renamed into place, so a stored package is always one
 * supervisors can extract.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SquallError } from '../common/errors.js';
import { inspectPackage } from '../packages/safe-extract.js';
import type { PackageLimitsOptions } from '../packages/limits.js';

/** A package id: the hex sha256 of the package bytes. */
export const PACKAGE_ID_PATTERN = /^[0-9a-f]{64}$/u;

/** A stored package's bytes, ready to stream. */
export interface StoredPackage {
  packageId: string;
  size: number;
  chunks: AsyncIterable<Uint8Array>;
}

/** Thrown for a package id this nimbus does not hold (or that is not a package id). Code `E_PACKAGE_NOT_FOUND`. */
export class PackageNotFoundError extends SquallError {
  constructor(packageId: string) {
    super('E_PACKAGE_NOT_FOUND', `no package ${JSON.stringify(packageId.slice(0, 80))} on this nimbus`, {
      hint: 'upload the package first (its id is the sha256 UploadPackage returned)',
    });
  }
}

/** The packages one nimbus holds. Create with {@link PackageStore.open}. */
export class PackageStore {
  readonly packagesDir: string;
  readonly tmpDir: string;

  private constructor(nimbusDir: string, private readonly limits: PackageLimitsOptions) {
    this.packagesDir = join(nimbusDir, 'packages');
    this.tmpDir = join(nimbusDir, 'tmp');
  }

  /** Creates the directories; leftovers of a crashed upload in tmp/ are removed. */
  static async open(localDir: string, limits: PackageLimitsOptions = {}): Promise<PackageStore> {
    const store = new PackageStore(join(localDir, 'nimbus'), limits);
    await rm(store.tmpDir, { recursive: true, force: true });
    await mkdir(store.tmpDir, { recursive: true });
    await mkdir(store.packagesDir, { recursive: true });
    return store;
  }

  /** The file of a package. @throws {PackageNotFoundError} for anything that is not a package id (no path tricks) */
  path(packageId: string): string {
    if (!PACKAGE_ID_PATTERN.test(packageId)) throw new PackageNotFoundError(packageId);
    return join(this.packagesDir, `${packageId}.tar.gz`);
  }

  async has(packageId: string): Promise<boolean> {
    if (!PACKAGE_ID_PATTERN.test(packageId)) return false;
    return (await stat(this.path(packageId)).catch(() => undefined))?.isFile() === true;
  }

  /**
   * Stores a package from its bytes: temp file + sha256, inspection, rename.
   * @param expectedId when given, bytes hashing to anything else are refused (a download from a replica)
   * @returns the package id (sha256) and size
   * @throws {PackageRejectedError} for a package safe extraction would refuse; the source's own errors (E_PACKAGE_MISMATCH, cancellation)
   */
  async receive(chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal, expectedId?: string): Promise<{ packageId: string; size: number }> {
    const tmp = join(this.tmpDir, `upload-${randomUUID()}.tar.gz`);
    try {
      const hash = createHash('sha256');
      let size = 0;
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.byteLength;
          yield chunk;
        }
      }
      await pipeline(Readable.from(counted()), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }), signal ? { signal } : {});
      const packageId = hash.digest('hex');
      if (expectedId !== undefined && packageId !== expectedId) {
        throw new SquallError('E_PACKAGE_MISMATCH', `package ${expectedId} arrived with sha256 ${packageId}`);
      }
      await inspectPackage(tmp, this.limits);
      // Same id, same bytes: replacing an existing copy (a concurrent upload) is harmless.
      await rename(tmp, this.path(packageId));
      return { packageId, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Opens a stored package for streaming. @throws {PackageNotFoundError} */
  async open(packageId: string): Promise<StoredPackage> {
    const file = this.path(packageId);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new PackageNotFoundError(packageId);
    return { packageId, size: st.size, chunks: createReadStream(file) };
  }
}
