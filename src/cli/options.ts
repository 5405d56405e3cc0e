/** Parsers of flag values that several subcommands share. */
import { UsageError } from '../common/errors.js';

/** Commander's accumulator for a repeatable option (`-c a=1 -c b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A --port value; 0 asks for a free port. */
export function parsePort(text: string): number {
  const port = /^\d{1,5}$/u.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`invalid --port "${text}"`, { hint: 'use a port from 1 to 65535, or 0 for a free one' });
  return port;
}

/** A -w/--wait value: whole seconds, 0 or more. */
export function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid number of seconds "${text}"`, { hint: 'use a whole number of seconds, e.g. -w 10' });
  return n;
}
