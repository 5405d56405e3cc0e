/**
 * Nimbus's local package store: `<localDir>/nimbus/packages/<sha256>.tar.gz`, content-addressed
 * so an upload is idempotent and any nimbus holding the bytes can serve them.
 *
 * A package arrives through a temp file in `<localDir>/nimbus/tmp/` (hashed while written),
 * is checked whole with `inspectPackage` (the listing pass of safe extraction: nothing of a
 * bad package is kept), and only then renamed into place, so a stored package is always one
 * supervisors can extract.
 *
 * Deleting (package-cleanup.ts decides what) and storing go through one lock, and the store
 * remembers when each package was last stored: a removal decided on a view older than a
 * concurrent upload or copy of the same package never deletes the fresh bytes.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SquallError } from '../common/errors.js';
import { inspectPackage } from '../packages/safe-extract.js';
import type { PackageLimitsOptions } from '../packages/limits.js';
import { PACKAGE_ID_PATTERN, writeHashed } from '../packages/package-file.js';
import { Serial } from './serial.js';

/** A stored package's bytes, ready to stream. */
export interface StoredPackage {
  packageId: string;
  size: number;
  chunks: AsyncIterable<Uint8Array>;
}

/** A package file found in the store. */
export interface StoredPackageFile {
  packageId: string;
  /** The file's modification time (epoch ms, the file system's clock): when it was stored. */
  mtimeMs: number;
}

/** Options of {@link PackageStore.receive}. */
export interface ReceiveOptions {
  signal?: AbortSignal | undefined;
  /** When given, bytes hashing to anything else are refused (a download from a replica). */
  expectedId?: string | undefined;
  /**
   * Called under the store's lock just before the package is renamed into place, so that what
   * it records (an inbox entry) is visible to any removal that could see the new file.
   */
  beforeStore?: ((packageId: string) => void) | undefined;
}

/** Thrown for a package id this nimbus does not hold (or that is not a package id). Code `E_PACKAGE_NOT_FOUND`. */
export class PackageNotFoundError extends SquallError {
  constructor(packageId: string) {
    super('E_PACKAGE_NOT_FOUND', `no package ${JSON.stringify(packageId.slice(0, 80))} on this nimbus`, {
      hint: 'upload the package first (its id is the sha256 UploadPackage returned); nimbus deletes a package once no topology uses it, so upload again before each submit',
    });
  }
}

/** The packages one nimbus holds. Create with {@link PackageStore.open}. */
export class PackageStore {
  readonly packagesDir: string;
  readonly tmpDir: string;
  private readonly lock = new Serial();
  /** Package id → the store sequence number of its latest store (see {@link mark}). */
  private readonly storedSeq = new Map<string, number>();
  private seq = 0;

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
   * @returns the package id (sha256) and size
   * @throws {PackageRejectedError} for a package safe extraction would refuse; the source's own errors (E_PACKAGE_MISMATCH, cancellation)
   */
  async receive(chunks: AsyncIterable<Uint8Array>, opts: ReceiveOptions = {}): Promise<{ packageId: string; size: number }> {
    const { signal, expectedId } = opts;
    const tmp = join(this.tmpDir, `upload-${randomUUID()}.tar.gz`);
    try {
      const { sha256: packageId, size } = await writeHashed(chunks, tmp, { flags: 'wx', mode: 0o644, ...(signal ? { signal } : {}) });
      if (expectedId !== undefined && packageId !== expectedId) {
        throw new SquallError('E_PACKAGE_MISMATCH', `package ${expectedId} arrived with sha256 ${packageId}`);
      }
      await inspectPackage(tmp, this.limits);
      await this.lock.run(async () => {
        opts.beforeStore?.(packageId);
        this.storedSeq.set(packageId, ++this.seq);
        // Same id, same bytes: replacing an existing copy (a concurrent upload) is harmless.
        await rename(tmp, this.path(packageId));
      });
      return { packageId, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Every package file in the store (other files are ignored). */
  async list(): Promise<StoredPackageFile[]> {
    const out: StoredPackageFile[] = [];
    for (const name of await readdir(this.packagesDir).catch(() => [] as string[])) {
      const packageId = name.endsWith('.tar.gz') ? name.slice(0, -'.tar.gz'.length) : '';
      if (!PACKAGE_ID_PATTERN.test(packageId)) continue;
      const st = await stat(join(this.packagesDir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ packageId, mtimeMs: st.mtimeMs });
    }
    return out;
  }

  /**
   * A point in the store's history: a package stored after it is never removed by a
   * {@link removeUnless} given this mark (the caller's view predates those bytes).
   */
  mark(): number {
    return this.seq;
  }

  /**
   * Deletes a package unless it was stored after `since` or `keep()` says otherwise; `keep` is
   * asked under the store's lock, so no store of the same package runs between it and the delete.
   * A reader with the file open (a download in progress) still reads it to the end.
   * @returns whether the package was deleted
   */
  removeUnless(packageId: string, since: number, keep: () => boolean): Promise<boolean> {
    const file = this.path(packageId);
    return this.lock.run(async () => {
      if ((this.storedSeq.get(packageId) ?? 0) > since || keep()) return false;
      await rm(file, { force: true });
      this.storedSeq.delete(packageId);
      return true;
    });
  }

  /** Opens a stored package for streaming. @throws {PackageNotFoundError} */
  async open(packageId: string): Promise<StoredPackage> {
    const file = this.path(packageId);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new PackageNotFoundError(packageId);
    return { packageId, size: st.size, chunks: createReadStream(file) };
  }
}
