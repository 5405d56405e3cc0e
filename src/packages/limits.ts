/**
 * Limits on what a topology package may contain. One options pattern (STYLE lesson 6): public
 * `PackageLimitsOptions` with every field optional, compiled once into `PackageLimits`.
 */
import { ConfigError } from '../common/errors.js';

/** @default 10_000 entries (files and directories). */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** @default 512 MiB of uncompressed tar stream. */
export const DEFAULT_MAX_TOTAL_BYTES = 512 * 1024 * 1024;
/** @default 100 (uncompressed : compressed). */
export const DEFAULT_MAX_RATIO = 100;
/**
 * @default 1 MiB. Below this many uncompressed bytes the ratio is not enforced: a small archive
 * is mostly tar headers and zero padding and legitimately compresses beyond 100:1.
 */
export const DEFAULT_RATIO_GRACE_BYTES = 1024 * 1024;
/** Longest accepted entry path, in UTF-8 bytes. Linux allows 4096; packages need far less. */
export const MAX_PATH_BYTES = 1024;
/** Longest path segment, in UTF-8 bytes (NAME_MAX on Linux). */
export const MAX_SEGMENT_BYTES = 255;
/** Deepest accepted directory nesting. */
export const MAX_DEPTH = 64;
/** Largest pax/GNU long-name header body node-tar will hold in memory. */
export const MAX_META_ENTRY_BYTES = 64 * 1024;

export interface PackageLimitsOptions {
  /** @default {@link DEFAULT_MAX_ENTRIES} */
  maxEntries?: number;
  /** @default {@link DEFAULT_MAX_TOTAL_BYTES} */
  maxTotalBytes?: number;
  /** @default {@link DEFAULT_MAX_RATIO} */
  maxRatio?: number;
  /** @default {@link DEFAULT_RATIO_GRACE_BYTES} */
  ratioGraceBytes?: number;
}

export type PackageLimits = Readonly<Required<PackageLimitsOptions>>;

/**
 * Fills defaults and checks ranges.
 * @throws {ConfigError} naming the offending field.
 */
export function compilePackageLimits(opts: PackageLimitsOptions = {}): PackageLimits {
  const limits = {
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxTotalBytes: opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    maxRatio: opts.maxRatio ?? DEFAULT_MAX_RATIO,
    ratioGraceBytes: opts.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES,
  };
  for (const [key, value] of Object.entries(limits)) {
    // Infinity is allowed on purpose (a caller that wants no ratio limit says so); NaN and negatives are not.
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new ConfigError(key, `package limit ${key} must be a non-negative number, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}
