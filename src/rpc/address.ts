/**
 * `host:port` strings, the one way addresses are written in the cluster API (metadata, leader
 * redirects, options). IPv6 hosts are bracketed: `[::1]:6627`.
 */
import { UsageError } from '../common/errors.js';
import { DEFAULT_NIMBUS_PORT } from './options.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Formats an address, bracketing an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port`; a missing port is `defaultPort`.
 * @throws {UsageError} for an empty host or a port outside 1–65535.
 */
export function parseAddress(text: string, defaultPort = DEFAULT_NIMBUS_PORT): HostPort {
  const trimmed = text.trim();
  const match = /^\[([^\]]+)\](?::(\d+))?$/u.exec(trimmed) ?? /^([^:[\]]+)(?::(\d+))?$/u.exec(trimmed);
  if (!match) throw badAddress(text, 'expected host:port');
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badAddress(text, 'the port must be 1 to 65535');
  return { host: match[1]!, port };
}

/** Parses and re-formats, so equal addresses compare equal as strings. */
export function normalizeAddress(text: string, defaultPort = DEFAULT_NIMBUS_PORT): string {
  const { host, port } = parseAddress(text, defaultPort);
  return formatAddress(host, port);
}

function badAddress(text: string, why: string): UsageError {
  return new UsageError(`invalid nimbus address ${JSON.stringify(text)}: ${why}`, { hint: 'write it as host:port, e.g. 127.0.0.1:6627' });
}
