/**
 * A stable hash of tuple values for fields grouping: the same values give the same hash in
 * every process and every release, so keys keep their task across workers and rebalances.
 * Strings hash by UTF-16 code units (FNV-1a); integers by value; other values by a canonical
 * JSON form with sorted keys.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function hashString(s: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

export function hashValue(v: unknown, seed = FNV_OFFSET): number {
  switch (typeof v) {
    case 'string':
      return hashString(v, seed);
    case 'number':
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return mix32((v | 0) ^ seed);
      return hashString(`n:${String(v)}`, seed);
    case 'boolean':
      return hashString(v ? 'b:true' : 'b:false', seed);
    case 'bigint':
      return hashString(`n:${v.toString()}`, seed);
    case 'undefined':
      return mix32(3 ^ seed);
    default:
      return v === null ? mix32(4 ^ seed) : hashString(canonicalJson(v), seed);
  }
}

/** Hash of the values at `indexes`, combined in order. */
export function hashFields(values: readonly unknown[], indexes: readonly number[], seed = FNV_OFFSET): number {
  if (indexes.length === 1) return hashValue(values[indexes[0]!], seed);
  let h = 17;
  for (const i of indexes) h = (Math.imul(h, 31) + hashValue(values[i], seed)) | 0;
  return mix32(h);
}

/** Murmur3's finaliser: spreads low-entropy integers over all 32 bits. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function canonicalJson(v: unknown): string {
  if (v instanceof Uint8Array) return `b:${Array.from(v).join(',')}`;
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
