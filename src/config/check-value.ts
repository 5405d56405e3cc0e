/**
 * Checking one cluster config value against its row in CLUSTER_CONFIG_KEYS, and reading a
 * value typed as text (an environment variable, a `-c` flag) by the kind of its key.
 */
import { isIP, isIPv6 } from 'node:net';
import { isCollection, parseDocument } from 'yaml';
import { validatePath } from '../coordination/state-store.js';
import { describe } from '../topology/config-schema.js';
import { NAME_PATTERN } from '../topology/spec.js';
import type { ClusterKeySpec } from './cluster-keys.js';
import { Secret } from './secret.js';

/** A value that passed (normalised: a Secret for secrets), or why it did not. */
export type Checked = { ok: true; value: unknown } | { ok: false; message: string; hint?: string };

/** A "host" or "host:port" entry; IPv6 literals as "::1" or "[::1]:2181". */
export interface HostPort {
  host: string;
  port: number | undefined;
}

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/** A host name or an IP address. */
export function isHost(s: string): boolean {
  return isIP(s) !== 0 || HOSTNAME.test(s);
}

/** Parses "host", "host:port", "::1" or "[::1]:port"; undefined when malformed. */
export function parseHostPort(s: string): HostPort | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) return isIPv6(bracketed[1]!) ? withPort(bracketed[1]!, bracketed[2]) : undefined;
  if (isIPv6(s)) return { host: s, port: undefined };
  const colon = s.lastIndexOf(':');
  if (colon < 0) return isHost(s) ? { host: s, port: undefined } : undefined;
  const host = s.slice(0, colon);
  const port = s.slice(colon + 1);
  return isHost(host) && /^\d{1,5}$/.test(port) ? withPort(host, port) : undefined;
}

function withPort(host: string, port: string | undefined): HostPort | undefined {
  if (port === undefined) return { host, port: undefined };
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}

/** "host:port", bracketing IPv6 literals as ZooKeeper and gRPC expect. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A value for messages; a secret's is never shown, only its type. */
export function describeValue(spec: ClusterKeySpec | undefined, value: unknown): string {
  if (spec?.kind !== 'secret') return describe(value);
  return typeof value === 'string' ? 'a string' : Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
}

/**
 * Checks `value` for `key`. Never echoes a secret.
 * @returns the normalised value, or a message starting with the quoted key
 */
export function checkClusterValue(key: string, spec: ClusterKeySpec, value: unknown): Checked {
  if (value === null || value === undefined) {
    return spec.nullable ? { ok: true, value: null } : fail(`"${key}" must be set (got null)`, spec.doc);
  }
  const problem = problemOf(spec, value);
  if (problem !== undefined) return fail(`"${key}" ${problem} (got ${describeValue(spec, value)})`, hintFor(spec, value));
  if (spec.kind === 'secret') return { ok: true, value: new Secret(value as string) };
  return { ok: true, value: Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value };
}

/** The key's doc, or the fix when a single value was written where a list belongs. */
function hintFor(spec: ClusterKeySpec, value: unknown): string {
  const single = typeof value === 'string' || typeof value === 'number';
  return (spec.kind === 'hosts' || spec.kind === 'ports') && single ? `write a list: [${String(value)}]` : spec.doc;
}

function fail(message: string, hint?: string): Checked {
  return hint === undefined ? { ok: false, message } : { ok: false, message, hint };
}

/** What is wrong with a non-null value, phrased to follow `"key" `; undefined when fine. */
function problemOf(spec: ClusterKeySpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'hosts': return listProblem(value, 'host or host:port strings', (v) => typeof v === 'string' && parseHostPort(v) !== undefined, false);
    case 'host': return typeof value === 'string' && isHost(value) ? undefined : 'must be a host name or an IP address';
    case 'port': return intProblem(value, spec.min ?? 1, 65535, 'a port');
    case 'ports': return portsProblem(value);
    case 'int': case 'ms': case 'bytes': return intProblem(value, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER, 'an integer');
    case 'secs': return typeof value === 'number' && Number.isFinite(value) && value > 0 ? undefined : 'must be a positive number of seconds';
    case 'zk-path': return zkPathProblem(value);
    case 'path': return typeof value === 'string' && value.trim() !== '' ? undefined : 'must be a non-empty path';
    case 'name': return typeof value === 'string' && NAME_PATTERN.test(value) && !value.includes('..') ? undefined : 'must be letters, digits, "_", "-" and "." (no "/" or ".."), starting with a letter or digit, at most 128 long';
    case 'secret': return secretProblem(value, spec.min ?? 1);
  }
}

function intProblem(value: unknown, min: number, max: number, what: string): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  return `must be ${what} from ${min} to ${max}`;
}

function listProblem(value: unknown, what: string, ok: (v: unknown) => boolean, allowEmpty: boolean): string | undefined {
  if (!Array.isArray(value)) return `must be a list of ${what}`;
  if (!allowEmpty && value.length === 0) return `must list at least one entry`;
  return value.every(ok) ? undefined : `must be a list of ${what}`;
}

/** Storm allows an empty list (a supervisor without slots); duplicates would be two slots on one port. */
function portsProblem(value: unknown): string | undefined {
  const problem = listProblem(value, 'ports from 1 to 65535', (v) => intProblem(v, 1, 65535, '') === undefined, true);
  if (problem !== undefined) return problem;
  const ports = value as number[];
  const dup = ports.find((p, i) => ports.indexOf(p) !== i);
  return dup === undefined ? undefined : `lists port ${dup} twice`;
}

function zkPathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a znode path such as /squall';
  try {
    validatePath(value);
  } catch {
    return 'must be a znode path such as /squall (starting with "/", no trailing "/", no empty, "." or ".." segments)';
  }
  return value === '/' ? 'must not be "/": the cluster needs its own znode' : undefined;
}

function secretProblem(value: unknown, minLength: number): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  return value.length >= minLength ? undefined : `must be at least ${minLength} characters long`;
}

/**
 * Reads a value typed as text. Kinds that hold text take it as written (trimmed), so an id
 * "007" stays a string and a secret is never handed to a parser that could quote it in an
 * error; lists also take "a,b" besides the flow list "[a, b]"; everything else is parsed as a
 * YAML scalar or flow collection, as Storm parses `-c` values. For a nullable key, "", "null"
 * and "~" mean unset.
 */
export function parseTextValue(spec: ClusterKeySpec | undefined, text: string): Checked {
  const t = text.trim();
  if (spec?.nullable && (t === '' || t === 'null' || t === '~')) return { ok: true, value: null };
  if (spec && ['host', 'path', 'name', 'zk-path', 'secret'].includes(spec.kind)) return { ok: true, value: t };
  if ((spec?.kind === 'hosts' || spec?.kind === 'ports') && !t.startsWith('[')) {
    const items = t === '' ? [] : t.split(',').map((s) => s.trim());
    return spec.kind === 'hosts' ? { ok: true, value: items } : allOk(items.map(parseYamlValue));
  }
  return parseYamlValue(t);
}

function allOk(items: Checked[]): Checked {
  const bad = items.find((c) => !c.ok);
  return bad ?? { ok: true, value: items.map((c) => (c as { value: unknown }).value) };
}

/** A YAML scalar or flow value; a block collection is kept as the raw text (as overrides.ts does). */
function parseYamlValue(text: string): Checked {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, message: `cannot parse the value: ${doc.errors[0]!.message}` };
  if (isCollection(doc.contents) && !doc.contents.flow) return { ok: true, value: text };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { ok: false, message: `cannot parse the value: ${err instanceof Error ? err.message : String(err)}` };
  }
}
