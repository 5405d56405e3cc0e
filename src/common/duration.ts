import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a human duration ("500ms", "30s", "2m", "1h", "1m30s") into milliseconds. A bare
 * number means seconds, as in Storm's *.secs keys.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new UsageError(`invalid ${what} "${text}"`, { hint: 'use a number of seconds or a value like 500ms, 30s, 2m, 1h' });
  }
  return Math.round(total);
}
