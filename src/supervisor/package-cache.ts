/**
 * The supervisor's package cache: each topology package is downloaded from the leader nimbus
 * once, checked against its id (the sha256 of its bytes), and extracted with safeExtract into
 * `packages/<packageId>/`, where every worker of that topology on this machine runs from it.
 * safeExtract renames a complete staging directory into place, so a package directory that
 * exists is complete; a supervisor killed mid-download leaves only a temporary file, removed
 * on the next start. The downloaded archive itself is deleted as soon as it is extracted.
 *
 * A package nothing uses any more is deleted by {@link PackageCache.retain} (the rule is in
 * package-retention.ts). A removal and a download of the same package never overlap: the
 * decision is re-checked right before each delete, and a download asked for meanwhile waits for
 * the delete to finish, then fetches the package again.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SquallError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { PACKAGE_ID_PATTERN, writeHashed } from '../packages/package-file.js';
import { safeExtract, type SafeExtractOptions } from '../packages/safe-extract.js';
import type { PackageDownload } from '../rpc/index.js';
import { isRemovablePackage, packagesToRemove } from './package-retention.js';
import type { SupervisorDirs } from './worker-files.js';

/** Where packages come from: NimbusClient fits (it follows the leader). */
export interface PackageSource {
  downloadPackage(packageId: string, options?: { signal?: AbortSignal }): Promise<PackageDownload>;
}

const TEMP_PREFIX = '.download-';

/** Downloads and extracts packages, once per package id. */
export class PackageCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Deletes in progress, by package id. */
  private readonly removing = new Map<string, Promise<void>>();

  constructor(
    private readonly dirs: SupervisorDirs,
    private readonly source: PackageSource,
    private readonly logger: Logger,
    private readonly limits: SafeExtractOptions = {},
  ) {}

  /** Removes downloads a previous run left half done. */
  async removePartialDownloads(): Promise<void> {
    for (const name of await readdir(this.dirs.packages).catch(() => [] as string[])) {
      if (name.startsWith(TEMP_PREFIX) || name.includes('.partial-')) await rm(join(this.dirs.packages, name), { recursive: true, force: true });
    }
  }

  /**
   * The extracted package's directory, downloading it first if needed. Concurrent calls for
   * one id share one download.
   * @throws SquallError E_PACKAGE_ID (not a sha256), E_PACKAGE_DIGEST (bytes do not match the id),
   *   RpcError (download failed), PackageRejectedError (unsafe archive)
   */
  ensure(packageId: string, signal?: AbortSignal): Promise<string> {
    if (!PACKAGE_ID_PATTERN.test(packageId)) {
      return Promise.reject(new SquallError('E_PACKAGE_ID', `invalid package id "${packageId.slice(0, 80)}": expected 64 hex digits (a sha256)`));
    }
    let p = this.inFlight.get(packageId);
    if (!p) {
      const removal = this.removing.get(packageId) ?? Promise.resolve();
      p = removal.then(() => this.fetch(packageId, signal)).finally(() => this.inFlight.delete(packageId));
      this.inFlight.set(packageId, p);
    }
    return p;
  }

  /**
   * Deletes every extracted package not in `inUse()` and not being downloaded. `inUse` is asked
   * again right before each delete (the slots move on while earlier deletes run).
   * @returns the package ids deleted
   */
  async retain(inUse: () => ReadonlySet<string>): Promise<string[]> {
    const entries = await readdir(this.dirs.packages).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of packagesToRemove(entries, inUse(), new Set(this.inFlight.keys()))) {
      // Checked and marked with no await in between: an ensure() from here on waits for us.
      if (!isRemovablePackage(name, inUse(), new Set(this.inFlight.keys()))) continue;
      const done = rm(this.dirs.packageDir(name), { recursive: true, force: true });
      this.removing.set(name, done.catch(() => undefined));
      try {
        await done;
        removed.push(name);
        this.logger.info('removed a package no slot uses any more', { packageId: name });
      } finally {
        this.removing.delete(name);
      }
    }
    return removed;
  }

  private async fetch(packageId: string, signal: AbortSignal | undefined): Promise<string> {
    const dir = this.dirs.packageDir(packageId);
    if (await isDirectory(dir)) return dir;
    const tmp = join(this.dirs.packages, `${TEMP_PREFIX}${packageId}-${randomBytes(4).toString('hex')}.tar.gz`);
    try {
      this.logger.info('downloading package', { packageId });
      const download = await this.source.downloadPackage(packageId, signal ? { signal } : {});
      const { sha256: digest } = await writeHashed(download.chunks, tmp, { mode: 0o600 });
      if (digest !== packageId) {
        throw new SquallError('E_PACKAGE_DIGEST', `package ${packageId} arrived with sha256 ${digest}`, { retriable: true });
      }
      await safeExtract(tmp, dir, this.limits);
      this.logger.info('package ready', { packageId, bytes: download.metadata.size });
      return dir;
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
