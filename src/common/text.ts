/**
 * Values of unknown type as text, for messages, labels and ids: what `String(value)` gives
 * wherever that is meaningful, and never "[object Object]".
 */
import { inspect } from 'node:util';

/**
 * `value` as text: a string as it is; a number, boolean, bigint, symbol, function or undefined
 * as `String` writes it; null as "null"; an object or list as compact JSON, or, when JSON
 * cannot encode it (a cycle, a bigint inside), on one line as `util.inspect` shows it.
 */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string': return value;
    case 'object': return value === null ? 'null' : objectText(value);
    case 'function': return value.toString();
    // number, boolean, bigint, symbol, undefined
    default: return String(value);
  }
}

function objectText(value: object): string {
  try {
    const json = JSON.stringify(value) as string | undefined;
    if (json !== undefined) return json;
  } catch {
    // A cycle or a bigint: inspect shows both.
  }
  return inspect(value, { breakLength: Infinity, depth: 4 });
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
