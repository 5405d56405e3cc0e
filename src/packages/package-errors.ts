/**
 * Errors for topology packages. An untrusted package is refused as a whole; the reason says
 * which rule it broke and, where there is one, which entry broke it.
 */
import { SquallError, type SquallErrorOptions } from '../common/errors.js';

/** Which rule a refused package broke. Stable strings: clients may branch on them. */
export type PackageRejectReason =
  | 'not-gzip'          // the bytes are not gzip
  | 'nested-compression' // gzip inside gzip (or zstd): would bypass the size meter
  | 'corrupt'           // a tar or gzip error, a bad checksum, an unreadable header
  | 'unsafe-path'       // absolute, `..`, backslash, control character, too long or too deep
  | 'link'              // a symbolic or hard link (any link: see LINKS POLICY in safe-extract.ts)
  | 'entry-type'        // a device, a FIFO, or any type other than file or directory
  | 'duplicate'         // two entries for one path, or twins after Unicode/case folding
  | 'path-conflict'     // an entry below a path that is a file
  | 'too-many-entries'
  | 'too-large'         // total uncompressed bytes over the limit
  | 'compression-ratio' // a compression bomb
  | 'target';           // the extraction target is unusable (exists and is not empty, ...)

/** Thrown when a package is refused; nothing was left behind in the target. Code `E_PACKAGE_REJECTED`. */
export class PackageRejectedError extends SquallError {
  readonly reason: PackageRejectReason;
  /** The offending entry's path as stored in the archive (JSON-quoted in the message). */
  readonly entry: string | undefined;

  constructor(reason: PackageRejectReason, message: string, entry?: string, options: SquallErrorOptions = {}) {
    super('E_PACKAGE_REJECTED', `package rejected (${reason}): ${message}${entry === undefined ? '' : ` — entry ${quote(entry)}`}`, options);
    this.reason = reason;
    this.entry = entry;
  }
}

/** JSON-quotes an archive path so newlines and escapes show instead of acting. */
export function quote(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
}
