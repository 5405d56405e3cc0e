/**
 * Packing a topology directory into a tar.gz, deterministically: the same files give the same
 * bytes on every run and every machine (sorted entries, fixed mtime, no owner, portable modes,
 * portable gzip header), so a package can be compared or cached by digest.
 *
 * The packer applies the extraction rules (entry-rules.ts) to what it packs, so a package we
 * create is always one `safeExtract` accepts, and the user hears about a problem at submit time
 * on their own machine, naming their own file, not as a rejection from the cluster.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Header, Pack, ReadEntry } from 'tar';
import { UsageError } from '../common/errors.js';
import { normalizeEntryPath } from './entry-rules.js';
import { compilePackageLimits, type PackageLimits, type PackageLimitsOptions } from './limits.js';
import { PackageRejectedError } from './package-errors.js';

/** Directory names never packed, at any depth: dependencies, VCS data and caches. */
export const DEFAULT_SKIP: readonly string[] = ['node_modules', '.git', '__pycache__', '.cache'];

/** The mtime written for every entry (2000-01-01T00:00:00Z): fixed, so packing is reproducible. */
export const PACKAGE_MTIME = new Date(Date.UTC(2000, 0, 1));

export interface CreatePackageOptions extends PackageLimitsOptions {
  /** Names (files or directories) to leave out wherever they appear. @default {@link DEFAULT_SKIP} */
  skip?: readonly string[];
  /**
   * Files packed from memory after the directory's own (e.g. a spec generated from
   * topology.py). Each path is relative, in a directory that is packed (or at the top), and
   * must not name a file of the directory. @default []
   */
  extraFiles?: readonly ExtraFile[];
}

/** A file of a package that is not on disk. */
export interface ExtraFile {
  /** Relative path inside the package, '/'-separated. */
  path: string;
  content: string | Uint8Array;
}

/** How many offending paths an error lists before "and N more". */
const MAX_LISTED = 10;

/**
 * The relative paths `createPackage` would pack, in archive order (a directory before its
 * contents, names in code-unit order). Directories end with '/'.
 * @throws {UsageError} when the directory holds symlinks, special files or unacceptable names,
 *   or exceeds the package limits.
 */
export async function listPackageFiles(dir: string, options: CreatePackageOptions = {}): Promise<string[]> {
  const { onDisk, extras } = await walkPackage(dir, options);
  return [...onDisk, ...extras.map((e) => e.path)];
}

/** What to pack: the directory's paths in archive order, then the in-memory files. */
async function walkPackage(dir: string, options: CreatePackageOptions): Promise<{ onDisk: string[]; extras: readonly ExtraFile[] }> {
  const root = resolve(dir);
  const walk = new Walk(root, new Set(options.skip ?? DEFAULT_SKIP), compilePackageLimits(options));
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory()) throw new UsageError(`${root} is not a directory`, { context: { file: root } });
  await walk.directory('');
  const onDisk = [...walk.paths];
  const extras = options.extraFiles ?? [];
  for (const extra of extras) walk.extra(extra.path, Buffer.byteLength(extra.content));
  walk.raise();
  return { onDisk, extras };
}

/**
 * A stream of the tar.gz of `dir`'s contents (entries are relative to `dir`).
 * @throws {UsageError} see {@link listPackageFiles}.
 */
export async function createPackageStream(dir: string, options: CreatePackageOptions = {}): Promise<Readable> {
  const { onDisk, extras } = await walkPackage(dir, options);
  const pack = new Pack({
    cwd: resolve(dir),
    gzip: true,
    portable: true,         // no uid/gid/uname/atime/ctime; modes normalised to 0644/0755 style
    mtime: PACKAGE_MTIME,
    noDirRecurse: true,     // we give the full, sorted list ourselves
    follow: false,
    linkCache: new ForgetfulLinkCache(),
  });
  for (const p of onDisk) pack.add(p);
  for (const extra of extras) pack.add(memoryEntry(extra));
  pack.end();
  return Readable.from(pack);
}

/** A tar entry whose content comes from memory: node-tar packs it like one read from an archive. */
function memoryEntry(file: ExtraFile): ReadEntry {
  const data = Buffer.from(file.content);
  const entry = new ReadEntry(new Header({ path: file.path, mode: 0o644, size: data.length, mtime: PACKAGE_MTIME, type: 'File' }));
  entry.end(data);
  return entry;
}

/**
 * The tar.gz of `dir`'s contents, in memory.
 * @throws {UsageError} see {@link listPackageFiles}.
 */
export async function createPackage(dir: string, options: CreatePackageOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await createPackageStream(dir, options)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * node-tar stores the second name of a hard-linked file as a Link entry, which our extractor
 * refuses. A cache that never remembers makes it store every name as a plain file.
 */
class ForgetfulLinkCache<K, V> extends Map<K, V> {
  override set(): this { return this; }
}

/** One directory walk: collects paths in order and every problem found, to report them all at once. */
class Walk {
  readonly paths: string[] = [];
  readonly #problems: string[] = [];
  #entries = 0;
  #bytes = 0;

  constructor(private readonly root: string, private readonly skip: ReadonlySet<string>, private readonly limits: PackageLimits) {}

  async directory(rel: string): Promise<void> {
    const dirents = await readdir(join(this.root, rel), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (this.skip.has(d.name)) continue;
      await this.entry(rel === '' ? d.name : `${rel}/${d.name}`, d);
    }
  }

  async entry(rel: string, d: Dirent): Promise<void> {
    if (!this.#acceptableName(rel)) return;
    if (d.isSymbolicLink()) {
      this.#problems.push(`${JSON.stringify(rel)} is a symbolic link (packages may not contain links; copy the file instead)`);
    } else if (d.isDirectory()) {
      this.#count(0);
      this.paths.push(`${rel}/`);
      await this.directory(rel);
    } else if (d.isFile()) {
      const st: Stats = await lstat(join(this.root, rel));
      this.#count(st.size);
      this.paths.push(rel);
    } else {
      this.#problems.push(`${JSON.stringify(rel)} is not a regular file or directory`);
    }
  }

  /** A file packed from memory: checked like the others, and against them. */
  extra(rel: string, size: number): void {
    if (!this.#acceptableName(rel)) return;
    const parent = rel.includes('/') ? `${rel.slice(0, rel.lastIndexOf('/'))}/` : undefined;
    if (this.paths.includes(rel) || this.paths.includes(`${rel}/`)) {
      this.#problems.push(`${JSON.stringify(rel)} would be packed twice: the directory already has it (rename or move that file)`);
    } else if (parent !== undefined && !this.paths.includes(parent)) {
      this.#problems.push(`${JSON.stringify(rel)} is in a directory that is not packed`);
    } else {
      this.#count(size);
      this.paths.push(rel);
    }
  }

  /** Throws one error listing the problems collected (limits throw at once instead: no point walking on). */
  raise(): void {
    if (this.#problems.length === 0) return;
    const listed = this.#problems.slice(0, MAX_LISTED);
    const more = this.#problems.length - listed.length;
    throw new UsageError(
      `cannot package ${this.root}:\n  ${listed.join('\n  ')}${more > 0 ? `\n  and ${more} more` : ''}`,
      { context: { file: this.root }, hint: 'remove or replace these entries, or move them out of the topology directory' },
    );
  }

  #acceptableName(rel: string): boolean {
    try {
      normalizeEntryPath(rel);
      return true;
    } catch (err) {
      const why = err instanceof PackageRejectedError ? err.message.replace(/^package rejected \([a-z-]+\): /u, '') : String(err);
      this.#problems.push(why);
      return false;
    }
  }

  #count(size: number): void {
    this.#entries++;
    this.#bytes += size;
    if (this.#entries > this.limits.maxEntries) {
      throw new UsageError(`cannot package ${this.root}: more than ${this.limits.maxEntries} files and directories`, { context: { file: this.root } });
    }
    if (this.#bytes > this.limits.maxTotalBytes) {
      throw new UsageError(`cannot package ${this.root}: more than ${this.limits.maxTotalBytes} bytes`, { context: { file: this.root } });
    }
  }
}
