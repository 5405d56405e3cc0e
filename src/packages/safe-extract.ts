/**
 * Safe extraction of topology packages (tar.gz) received from clients — Storm's CVE-2018-8008
 * (zip-slip) is the failure this module exists to prevent.
 *
 * Two passes over the same bytes:
 *  1. LIST (node-tar `t`): every entry is checked against `EntryLedger` and the inflated stream
 *     against `InflateMeter`. Nothing is written to disk. Any broken rule refuses the whole
 *     package, so for every malicious package this module knows of, not one byte is written.
 *  2. EXTRACT (node-tar `x`) into a fresh staging directory beside the target, with the same
 *     rules run again as node-tar's filter (a second line of defence, and protection against a
 *     file that changed between the passes), node-tar's own path checks on, ownership
 *     dropped and modes normalised. On success the staging directory is renamed onto the
 *     target, so the target appears complete or not at all; on failure it is removed.
 *
 * LINKS POLICY: packages may contain no links at all, symbolic or hard, even ones that stay
 * inside the package. Links that escape are the zip-slip vector (write "through" a symlink,
 * hardlink to /etc/shadow); links that stay inside are not needed by topology packages (scripts
 * and resources) and would make every later reader of the directory (supervisor, log server)
 * reason about link-following. `createPackage` therefore refuses to pack a directory holding
 * symlinks and stores hard-linked files as plain files.
 *
 * Other rules: regular files and directories only (no devices, FIFOs, sparse or GNU special
 * entries); no absolute paths, drive letters, `..`, backslashes, control characters or invalid
 * UTF-8 in names; no duplicates or Unicode/case twins; at most `maxEntries` entries,
 * `maxTotalBytes` uncompressed bytes and a `maxRatio`:1 compression ratio (see limits.ts).
 * Extracted files are 0644, or 0755 when the archive gave any execute bit; directories 0755;
 * never setuid/setgid/sticky; owned by the extracting user; mtime = extraction time.
 */
import type { FileHandle } from 'node:fs/promises';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as nextTick } from 'node:timers/promises';
import { extract, list, type Parser, type ReadEntry, type Unpack } from 'tar';
import { EntryLedger, safeMode, type AdmittedEntry } from './entry-rules.js';
import { Guard, isGzip, pumpPackage } from './inflate.js';
import { compilePackageLimits, MAX_DEPTH, MAX_META_ENTRY_BYTES, type PackageLimits, type PackageLimitsOptions } from './limits.js';
import { PackageRejectedError } from './package-errors.js';

/** A package: a path to a .tar.gz file, or its bytes. */
export type PackageSource = string | Uint8Array;

export type SafeExtractOptions = PackageLimitsOptions;

/** What a package holds, as admitted by the listing pass. */
export interface PackageListing {
  entries: readonly AdmittedEntry[];
  files: number;
  directories: number;
  /** Sum of file sizes. */
  bytes: number;
  compressedBytes: number;
}

/** Read chunk for in-memory sources: small enough that a bomb is stopped early. */
const CHUNK_BYTES = 64 * 1024;
/** Options shared by both passes: strict makes every node-tar warning an error. */
const TAR_COMMON = { strict: true, brotli: false, zstd: false, maxMetaEntrySize: MAX_META_ENTRY_BYTES } as const;

/**
 * Validates a package without writing anything (the listing pass alone). Nimbus can run this
 * at upload time to refuse a bad package before storing it.
 * @throws {PackageRejectedError} when any rule is broken.
 */
export async function inspectPackage(source: PackageSource, options: SafeExtractOptions = {}): Promise<PackageListing> {
  const limits = compilePackageLimits(options);
  const src = await openSource(source);
  try {
    return await listPass(src, limits);
  } finally {
    await src.close();
  }
}

/**
 * Extracts `source` into `targetDir`, which must not exist or be an empty directory (its parent
 * is created if missing). Either the whole package is extracted or nothing is left behind.
 * @returns what was extracted.
 * @throws {PackageRejectedError} when the package breaks any rule or the target is unusable.
 */
export async function safeExtract(
  source: PackageSource, targetDir: string, options: SafeExtractOptions = {},
): Promise<PackageListing> {
  const limits = compilePackageLimits(options);
  const target = resolve(targetDir);
  await checkTarget(target);
  const src = await openSource(source);
  try {
    const listing = await listPass(src, limits);
    await mkdir(dirname(target), { recursive: true });
    const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`));
    try {
      await extractPass(src, limits, staging);
      await chmod(staging, 0o755);
      await rename(staging, target).catch((err: unknown) => {
        throw new PackageRejectedError('target', `cannot move the package into ${target}: ${(err as Error).message}`, undefined, { cause: err });
      });
    } catch (err) {
      await discard(staging);
      throw err;
    }
    return listing;
  } finally {
    await src.close();
  }
}

async function listPass(src: OpenedSource, limits: PackageLimits): Promise<PackageListing> {
  const guard = new Guard();
  const ledger = new EntryLedger(limits);
  const admitted: AdmittedEntry[] = [];
  const parser: Parser = list({
    ...TAR_COMMON,
    onReadEntry: (entry: ReadEntry) => {
      if (guard.error) return;
      try {
        admitted.push(ledger.admit(entry));
      } catch (err) {
        guard.fail(err as Error);
        parser.abort(err as Error);
      }
    },
  });
  // node-tar skips (rather than fails on) pax headers over maxMetaEntrySize: we refuse them.
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    const err = new PackageRejectedError('corrupt', 'oversized metadata (pax or long-name) header', entry.path);
    guard.fail(err);
    parser.abort(err);
  });
  await pumpPackage(src.stream(), src.size, limits, parser, guard);
  return summarize(admitted, src.size);
}

async function extractPass(src: OpenedSource, limits: PackageLimits, dir: string): Promise<void> {
  const guard = new Guard();
  const ledger = new EntryLedger(limits);
  const admit = (entry: ReadEntry): boolean => {
    if (guard.error) return false;
    try {
      const admitted = ledger.admit(entry);
      if (admitted.kind === 'root') return false; // nothing to create; do not let it chmod the root
      entry.mode = safeMode(admitted.kind, entry.mode);
      return true;
    } catch (err) {
      guard.fail(err as Error);
      unpack.abort(err as Error);
      return false;
    }
  };
  const unpack: Unpack = extract({
    ...TAR_COMMON,
    cwd: dir,
    preservePaths: false,
    preserveOwner: false, // node-tar's default is true when running as root
    unlink: false,
    noMtime: true,
    maxDepth: MAX_DEPTH + 2, // ours is the binding check; node-tar counts a trailing '/' as a level
    dmode: 0o755,
    fmode: 0o644,
    filter: (_path, entry) => admit(entry as ReadEntry),
  });
  await pumpPackage(src.stream(), src.size, limits, unpack, guard);
}

function summarize(entries: AdmittedEntry[], compressedBytes: number): PackageListing {
  let files = 0;
  let directories = 0;
  let bytes = 0;
  for (const e of entries) {
    if (e.kind === 'file') { files++; bytes += e.size; } else if (e.kind === 'directory') directories++;
  }
  return { entries, files, directories, bytes, compressedBytes };
}

/** The target may be absent or an empty real directory (a symlink is refused: rename would not follow it). */
async function checkTarget(target: string): Promise<void> {
  const st = await lstat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) return;
  if (!st.isDirectory()) throw new PackageRejectedError('target', `${target} exists and is not a directory`);
  if ((await readdir(target)).length > 0) throw new PackageRejectedError('target', `${target} exists and is not empty`);
}

/** Removes a staging directory; twice, in case an aborted write was still landing. */
async function discard(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true, maxRetries: 3 });
  await nextTick();
  await rm(staging, { recursive: true, force: true, maxRetries: 3 });
}

interface OpenedSource {
  size: number;
  /** A fresh stream over the whole package, from its first byte. */
  stream(): Readable;
  close(): Promise<void>;
}

/**
 * Opens the package once: a file is read through one handle in both passes, so both passes
 * see the same inode even if the path is replaced in between.
 * @throws {PackageRejectedError} reason `not-gzip`.
 */
async function openSource(source: PackageSource): Promise<OpenedSource> {
  if (typeof source !== 'string') {
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    requireGzip(bytes);
    return { size: bytes.length, stream: () => Readable.from(chunks(bytes)), close: async () => undefined };
  }
  const handle = await open(source, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new PackageRejectedError('not-gzip', `${source} is not a regular file`);
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    requireGzip(head);
    return { size: st.size, stream: () => fileStream(handle), close: () => handle.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function fileStream(handle: FileHandle): Readable {
  return handle.createReadStream({ start: 0, autoClose: false, emitClose: false });
}

function* chunks(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
}

function requireGzip(head: Uint8Array): void {
  if (!isGzip(head)) throw new PackageRejectedError('not-gzip', 'a package must be a gzip-compressed tar (.tar.gz)');
}
