/**
 * JSON text <-> values with lossless integers.
 *
 * `JSON.parse` rounds integers beyond 2^53, but spout message ids are echoed back to the child
 * verbatim and pystorm looks them up in a dict, so `12345678901234567890123` must come back with
 * every digit. The fast path stays `JSON.parse`; only text that may hold a 16+ digit integer
 * outside a string (cheap regex pre-check) goes through our own parser, which returns integers
 * that do not fit a double exactly as `bigint`. `stringifyJson` writes `bigint`s back as bare
 * digits. The same parser accepts `NaN`/`Infinity`/`-Infinity`, which Python's `json.dumps`
 * emits and Storm ≥ 2.6 accepts.
 */

/** A syntax error with the character offset where parsing stopped. */
export class JsonSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * A 16+ digit run right after a character that can precede a JSON number (or at the start).
 * Tuple ids are 19-digit *strings*, preceded by a quote, so they do not trigger the slow path.
 * False positives (digits after a space inside a string) only cost speed, never correctness.
 */
const MAYBE_BIG_INTEGER = /(?:^|[\s:,[])-?\d{16}/;

/**
 * Parses JSON text. Integers that a double cannot hold exactly become `bigint`; every other value
 * is what `JSON.parse` would return.
 * @throws JsonSyntaxError with a position, also for nesting deeper than `maxDepth`.
 */
export function parseJsonText(text: string, maxDepth: number): unknown {
  if (!MAYBE_BIG_INTEGER.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Either NaN/Infinity (which our parser accepts) or real garbage (for which our parser
      // produces a precise, bounded message instead of V8's).
    }
  }
  return new LosslessParser(text, maxDepth).document();
}

/**
 * Compact JSON text for a value; `bigint`s are written as plain integers. Otherwise identical to
 * `JSON.stringify` (undefined properties dropped, non-finite numbers as null, `toJSON` honoured).
 * @throws TypeError for values with no JSON text (undefined, functions) and for cycles.
 */
export function stringifyJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    // JSON.stringify throws TypeError for bigint (and for cycles, which the slow path reports).
    if (!(err instanceof TypeError)) throw err;
    text = new LosslessWriter().write(value, '');
  }
  if (text === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
  return text;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Comma = 44,
  Minus = 45,
  Colon = 58,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
}

/** Recursive-descent JSON parser; recursion is bounded by `maxDepth`. */
class LosslessParser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  document(): unknown {
    this.skipWs();
    const value = this.value();
    this.skipWs();
    if (this.i < this.s.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private value(): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === Ch.OpenBrace) return this.object();
    if (c === Ch.OpenBracket) return this.array();
    if (c === Ch.Quote) return this.string();
    if (c === Ch.Minus || (c >= 48 && c <= 57)) {
      return this.s.startsWith('-Infinity', this.i) ? this.literal('-Infinity', -Infinity) : this.number();
    }
    switch (this.s[this.i]) {
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      case 'N': return this.literal('NaN', NaN);
      case 'I': return this.literal('Infinity', Infinity);
    }
    return this.fail(this.i >= this.s.length ? 'unexpected end of JSON text' : `unexpected character ${JSON.stringify(this.s[this.i])}`);
  }

  private object(): Record<string, unknown> {
    this.enter();
    const obj: Record<string, unknown> = {};
    this.i++;
    this.skipWs();
    if (this.s.charCodeAt(this.i) === Ch.CloseBrace) return this.leave(obj);
    for (;;) {
      if (this.s.charCodeAt(this.i) !== Ch.Quote) this.fail('expected a string key');
      const key = this.string();
      this.skipWs();
      this.expect(Ch.Colon, "':'");
      this.skipWs();
      setProperty(obj, key, this.value());
      this.skipWs();
      if (this.s.charCodeAt(this.i) === Ch.CloseBrace) return this.leave(obj);
      this.expect(Ch.Comma, "',' or '}'");
      this.skipWs();
    }
  }

  private array(): unknown[] {
    this.enter();
    const arr: unknown[] = [];
    this.i++;
    this.skipWs();
    if (this.s.charCodeAt(this.i) === Ch.CloseBracket) return this.leave(arr);
    for (;;) {
      arr.push(this.value());
      this.skipWs();
      if (this.s.charCodeAt(this.i) === Ch.CloseBracket) return this.leave(arr);
      this.expect(Ch.Comma, "',' or ']'");
      this.skipWs();
    }
  }

  private string(): string {
    const start = this.i;
    let escaped = false;
    for (this.i++; ; this.i++) {
      const c = this.s.charCodeAt(this.i);
      if (c === Ch.Quote) break;
      if (c === Ch.Backslash) {
        escaped = true;
        this.i++;
      } else if (!(c >= 0x20)) {
        // NaN (end of text) also lands here.
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
    }
    this.i++;
    const raw = this.s.slice(start, this.i);
    if (!escaped) return raw.slice(1, -1);
    try {
      // Escapes are JSON.parse's job; it is exact and fast for one string.
      return JSON.parse(raw) as string;
    } catch {
      return this.fail('invalid escape in string', start);
    }
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail('invalid number');
    const text = m[0];
    this.i += text.length;
    const n = Number(text);
    const isIntegerLiteral = m[1] === undefined && m[2] === undefined;
    return isIntegerLiteral && !Number.isSafeInteger(n) ? BigInt(text) : n;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}`);
    this.i += word.length;
    return value;
  }

  private skipWs(): void {
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c !== Ch.Space && c !== Ch.Lf && c !== Ch.Cr && c !== Ch.Tab) return;
      this.i++;
    }
  }

  private expect(code: number, what: string): void {
    if (this.s.charCodeAt(this.i) !== code) {
      this.fail(this.i >= this.s.length ? 'unexpected end of JSON text' : `expected ${what}`);
    }
    this.i++;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
  }

  private leave<T>(value: T): T {
    this.depth--;
    this.i++;
    return value;
  }

  private fail(message: string, position = this.i): never {
    throw new JsonSyntaxError(message, position);
  }
}

/** Plain assignment would turn a `"__proto__"` key into a prototype change; JSON.parse doesn't. */
function setProperty(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** JSON.stringify's rules plus bigint; used only when JSON.stringify refuses the value. */
class LosslessWriter {
  private readonly ancestors: object[] = [];

  write(input: unknown, key: string): string | undefined {
    const value = hasToJson(input) ? input.toJSON(key) : input;
    switch (typeof value) {
      case 'bigint': return value.toString();
      case 'string': return JSON.stringify(value);
      case 'number': return Number.isFinite(value) ? JSON.stringify(value) : 'null';
      case 'boolean': return value ? 'true' : 'false';
      case 'object': return value === null ? 'null' : this.container(value);
      default: return undefined;
    }
  }

  private container(value: object): string {
    if (this.ancestors.includes(value)) throw new TypeError('cannot encode a cyclic structure as JSON');
    this.ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        return `[${value.map((item: unknown, i) => this.write(item, String(i)) ?? 'null').join(',')}]`;
      }
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        const text = this.write(v, k);
        if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
      }
      return `{${parts.join(',')}}`;
    } finally {
      this.ancestors.pop();
    }
  }
}

function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
