/**
 * The rules every archive entry must pass, as pure code: no I/O, no node-tar. Both passes of
 * `safeExtract` (the listing and the extraction filter) and `createPackage` use these, so what
 * we create is exactly what we accept.
 */
import { MAX_DEPTH, MAX_PATH_BYTES, MAX_SEGMENT_BYTES, type PackageLimits } from './limits.js';
import { PackageRejectedError } from './package-errors.js';

/** What a rule needs to know about an entry (a subset of node-tar's ReadEntry). */
export interface EntryFacts {
  path: string;
  /** node-tar's type name: 'File', 'Directory', 'SymbolicLink', 'Link', 'FIFO', ... */
  type: string;
  size: number;
}

export type EntryKind = 'file' | 'directory' | 'root';

export interface AdmittedEntry {
  /** Relative, '/'-separated, no '.', '..', empty segments or trailing slash; '' for the root. */
  path: string;
  kind: EntryKind;
  size: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const LINK_TYPES = new Set(['SymbolicLink', 'Link']);
const SPECIAL_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);
/** C0 and C1 controls and DEL: a newline in a name forges log lines and breaks line-based tools. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Checks one path and returns its canonical form.
 * @throws {PackageRejectedError} reason `unsafe-path`.
 */
export function normalizeEntryPath(raw: string): string {
  const reject = (why: string): never => { throw new PackageRejectedError('unsafe-path', why, raw); };
  if (raw.length === 0) reject('empty path');
  if (CONTROL.test(raw)) reject('path contains a control character');
  // node-tar decodes names as UTF-8; U+FFFD means the bytes were not UTF-8, so twins can hide.
  if (raw.includes('\uFFFD')) reject('path is not valid UTF-8');
  if (raw.includes('\\')) reject('path contains a backslash (a separator on Windows)');
  if (raw.startsWith('/')) reject('absolute path');
  if (/^[A-Za-z]:/u.test(raw)) reject('path starts with a drive letter');
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) reject(`path longer than ${MAX_PATH_BYTES} bytes`);

  const segments = raw.endsWith('/') ? raw.slice(0, -1).split('/') : raw.split('/');
  // Leading "./" is what `tar -C dir .` writes; it is the only non-canonical form accepted.
  while (segments[0] === '.') segments.shift();
  for (const s of segments) {
    if (s === '..') reject('path contains a ".." segment');
    if (s === '' || s === '.') reject('path is not canonical (empty or "." segment)');
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) reject(`path segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segments.length > MAX_DEPTH) reject(`path deeper than ${MAX_DEPTH} levels`);
  return segments.join('/');
}

/**
 * Maps a node-tar entry type to what we accept.
 * @throws {PackageRejectedError} reason `link` for any link, `entry-type` for everything else
 *   that is not a regular file or a directory.
 */
export function entryKind(type: string, path: string): 'file' | 'directory' {
  if (FILE_TYPES.has(type)) return 'file';
  if (type === 'Directory') return 'directory';
  if (LINK_TYPES.has(type)) {
    throw new PackageRejectedError('link', `${type === 'Link' ? 'hard' : 'symbolic'} links are not allowed in packages`, path);
  }
  if (SPECIAL_TYPES.has(type)) throw new PackageRejectedError('entry-type', `${type} entries are not allowed in packages`, path);
  throw new PackageRejectedError('entry-type', `unsupported entry type ${JSON.stringify(type)}`, path);
}

/**
 * Admits entries one at a time, enforcing the per-entry rules and the whole-archive ones
 * (count, total size, duplicates, a file used as a directory). One ledger per pass.
 */
export class EntryLedger {
  #entries = 0;
  #bytes = 0;
  /** Folded path → kind of every explicit entry. */
  readonly #seen = new Map<string, 'file' | 'directory'>();
  /** Folded paths that some entry lives below. */
  readonly #parents = new Set<string>();

  constructor(private readonly limits: PackageLimits) {}

  get entries(): number { return this.#entries; }
  /** Sum of the declared sizes of admitted entries. */
  get bytes(): number { return this.#bytes; }

  /**
   * @throws {PackageRejectedError} when the entry, or the archive so far, breaks a rule.
   */
  admit(facts: EntryFacts): AdmittedEntry {
    const path = normalizeEntryPath(facts.path);
    const kind = entryKind(facts.type, facts.path);
    this.#count(facts);
    if (path === '') {
      if (kind !== 'directory') throw new PackageRejectedError('unsafe-path', 'the archive root must be a directory', facts.path);
      return { path, kind: 'root', size: 0 };
    }
    this.#place(path, kind, facts.path);
    return { path, kind, size: kind === 'file' ? facts.size : 0 };
  }

  #count(facts: EntryFacts): void {
    this.#entries++;
    if (this.#entries > this.limits.maxEntries) {
      throw new PackageRejectedError('too-many-entries', `more than ${this.limits.maxEntries} entries`, facts.path);
    }
    if (!Number.isSafeInteger(facts.size) || facts.size < 0) {
      throw new PackageRejectedError('corrupt', `invalid entry size ${String(facts.size)}`, facts.path);
    }
    this.#bytes += facts.size;
    // Checked on the declared size, before the body is read: a header announcing 10 GB stops here.
    if (this.#bytes > this.limits.maxTotalBytes) {
      throw new PackageRejectedError('too-large', `more than ${this.limits.maxTotalBytes} uncompressed bytes`, facts.path);
    }
  }

  /** Duplicates and conflicts are compared after NFC and case folding: macOS would merge those twins. */
  #place(path: string, kind: 'file' | 'directory', raw: string): void {
    const key = path.normalize('NFC').toLowerCase();
    if (this.#seen.has(key)) throw new PackageRejectedError('duplicate', 'two entries for the same path (after Unicode and case folding)', raw);
    if (kind === 'file' && this.#parents.has(key)) {
      throw new PackageRejectedError('path-conflict', 'a file has the path of a directory other entries live in', raw);
    }
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (this.#seen.get(parent) === 'file') throw new PackageRejectedError('path-conflict', 'an entry lies below a file', raw);
      this.#parents.add(parent);
    }
    this.#seen.set(key, kind);
  }
}

/** The mode an extracted entry gets: no setuid/setgid/sticky, no group or world write; exec kept. */
export function safeMode(kind: EntryKind, archiveMode: number | undefined): number {
  if (kind !== 'file') return 0o755;
  return (archiveMode ?? 0) & 0o111 ? 0o755 : 0o644;
}
