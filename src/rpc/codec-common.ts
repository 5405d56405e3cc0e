/**
 * Conversions shared by the message codecs: enums between short names and the .proto's
 * prefixed names, JSON-encoded config values, package metadata. `encode*` functions check what
 * they are given (a bad value throws UsageError naming the field); `decode*` functions check
 * what arrived (a bad value throws WireValueError).
 */
import { UsageError } from '../common/errors.js';
import { PACKAGE_ID_PATTERN } from '../packages/package-file.js';
import { u64FromWire, u64ToWire, WireValueError } from './long.js';
import type { ComponentKindName, PackageMetadata, TopologyStatusName } from './types.js';

/** A uint64 as the loader gives it (a decimal string) or as a JS peer may send it. */
export type WireU64 = string | number;

const STATUS_PREFIX = 'TOPOLOGY_STATUS_';
const STATUSES: readonly TopologyStatusName[] = ['ACTIVE', 'INACTIVE', 'KILLED', 'REBALANCING'];
const KIND_PREFIX = 'COMPONENT_KIND_';
const KINDS: readonly ComponentKindName[] = ['spout', 'bolt'];

export function encodeStatus(status: TopologyStatusName, field: string): string {
  if (!STATUSES.includes(status)) throw new UsageError(`${field} must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  return STATUS_PREFIX + status;
}

/** Refuses UNSPECIFIED and values this build does not know (numbers, from a newer peer). */
export function decodeStatus(wire: string | number, field: string): TopologyStatusName {
  const name = typeof wire === 'string' && wire.startsWith(STATUS_PREFIX) ? wire.slice(STATUS_PREFIX.length) : undefined;
  if (name === undefined || !STATUSES.includes(name as TopologyStatusName)) {
    throw new WireValueError(field, `unknown topology status ${JSON.stringify(wire)}`);
  }
  return name as TopologyStatusName;
}

export function encodeKind(kind: ComponentKindName, field: string): string {
  if (!KINDS.includes(kind)) throw new UsageError(`${field} must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  return KIND_PREFIX + kind.toUpperCase();
}

export function decodeKind(wire: string | number, field: string): ComponentKindName {
  const name = typeof wire === 'string' && wire.startsWith(KIND_PREFIX) ? wire.slice(KIND_PREFIX.length).toLowerCase() : undefined;
  if (name === undefined || !KINDS.includes(name as ComponentKindName)) {
    throw new WireValueError(field, `unknown component kind ${JSON.stringify(wire)}`);
  }
  return name as ComponentKindName;
}

/** Each value as JSON text, so `2`, `"2"`, `true` and `[1]` stay distinct across the wire. */
export function encodeJsonValues(values: Readonly<Record<string, unknown>>, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) out[key] = toJson(value, `${field}[${JSON.stringify(key)}]`);
  return out;
}

export function decodeJsonValues(wire: Readonly<Record<string, string>> | undefined, field: string): Record<string, unknown> {
  // defineProperty, not assignment: a key named "__proto__" (any string is a valid map key)
  // must stay an own data property instead of replacing the object's prototype.
  const out: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(wire ?? {})) {
    Object.defineProperty(out, key, { value: fromJson(text, `${field}[${JSON.stringify(key)}]`), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A JSON object (the topology config) as text. */
export function encodeJsonObject(value: Readonly<Record<string, unknown>> | undefined, field: string): string {
  return toJson(value ?? {}, field);
}

/** JSON text that must hold an object; empty text is `{}`. */
export function decodeJsonObject(text: string, field: string): Record<string, unknown> {
  if (text === '') return {};
  const value = fromJson(text, field);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WireValueError(field, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function toJson(value: unknown, field: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new UsageError(`${field} cannot be encoded as JSON: ${(err as Error).message}`);
  }
  if (text === undefined) throw new UsageError(`${field} has no JSON form (${typeof value})`);
  return text;
}

function fromJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WireValueError(field, `not valid JSON: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`);
  }
}

export interface WirePackageMetadata {
  name: string;
  size: WireU64;
  sha256: string;
}

export function encodePackageMetadata(meta: PackageMetadata): WirePackageMetadata {
  if (!PACKAGE_ID_PATTERN.test(meta.sha256)) throw new UsageError(`package sha256 must be 64 lowercase hex digits, got ${JSON.stringify(meta.sha256)}`);
  return { name: meta.name, size: u64ToWire(meta.size, 'package size'), sha256: meta.sha256 };
}

export function decodePackageMetadata(wire: WirePackageMetadata | undefined, field: string): PackageMetadata {
  if (wire === undefined) throw new WireValueError(field, 'missing');
  if (!PACKAGE_ID_PATTERN.test(wire.sha256)) throw new WireValueError(`${field}.sha256`, `expected 64 lowercase hex digits, got ${JSON.stringify(wire.sha256.slice(0, 80))}`);
  return { name: wire.name, size: u64FromWire(wire.size, `${field}.size`), sha256: wire.sha256 };
}
