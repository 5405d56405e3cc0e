/**
 * Flux's `${...}` substitution. Flux replaces placeholders in the text before parsing it
 * (FluxParser.loadYaml), so a value may carry YAML: a property "[a, b]" becomes a list. We do
 * the same, and keep a map back to the file so that positions point at what the user wrote.
 *
 * - `${ENV-NAME}`: the environment variable NAME. Flux needs `-e` for this; Squall always does it.
 * - `${key}`: a property (Flux's `--filter` properties file).
 * - `${key[i]}`: element i of a property written as a list, `["a", "b"]`.
 *
 * Unlike Flux, which substitutes one placeholder per line and leaves unknown ones in place with
 * a log line, every placeholder is substituted and an unknown one is a problem to fix.
 * Placeholders in comments are left alone: they cannot change the topology.
 */
import { didYouMean } from '../common/suggest.js';

export interface SubstitutionVars {
  env: Readonly<Record<string, string | undefined>>;
  /** Undefined when no properties were given: then `${key}` cannot be resolved. */
  properties?: Readonly<Record<string, string>>;
}

/** A placeholder without a value; it is left as written. */
export interface Unresolved {
  /** Offset of the `${` in the substituted text. */
  offset: number;
  message: string;
  hint: string;
}

export interface Substitution {
  text: string;
  /** Maps an offset in `text` to one in the original; inside a value, to its placeholder. */
  toSource: (offset: number) => number;
  unresolved: Unresolved[];
}

interface Placeholder {
  /** Offset of the `${` in the original text. */
  offset: number;
  raw: string;
  name: string;
}

interface Replacement {
  src: number;
  srcLen: number;
  dst: number;
  dstLen: number;
}

type Resolved = { value: string } | { problem: string; hint: string };

const PLACEHOLDER = /\$\{([^}\n]+)\}/g;
const LIST_ELEMENT = /^(.+)\[(\d+)\]$/;

export function substitute(text: string, vars: SubstitutionVars): Substitution {
  let out = '';
  let last = 0;
  const replacements: Replacement[] = [];
  const unresolved: Unresolved[] = [];
  for (const p of placeholders(text)) {
    out += text.slice(last, p.offset);
    last = p.offset + p.raw.length;
    const r = resolve(p.name, vars);
    if ('value' in r) {
      replacements.push({ src: p.offset, srcLen: p.raw.length, dst: out.length, dstLen: r.value.length });
      out += r.value;
    } else {
      unresolved.push({ offset: out.length, message: r.problem, hint: r.hint });
      out += p.raw;
    }
  }
  out += text.slice(last);
  return { text: out, toSource: (offset) => toSource(offset, replacements), unresolved };
}

function toSource(offset: number, replacements: readonly Replacement[]): number {
  let shift = 0;
  for (const r of replacements) {
    if (offset < r.dst) break;
    if (offset < r.dst + r.dstLen) return r.src;
    shift = r.src + r.srcLen - (r.dst + r.dstLen);
  }
  return offset + shift;
}

/** The placeholders outside comments, in order. */
function placeholders(text: string): Placeholder[] {
  const out: Placeholder[] = [];
  let start = 0;
  for (const line of text.split('\n')) {
    const code = line.slice(0, commentStart(line));
    for (const m of code.matchAll(PLACEHOLDER)) out.push({ offset: start + m.index, raw: m[0], name: m[1]! });
    start += line.length + 1;
  }
  return out;
}

/**
 * Where a line's comment starts (its length if none): a "#" at the start or after a space,
 * outside quotes. A quote opens a scalar only where one can start, so "it's" is no quote.
 */
export function commentStart(line: string): number {
  let quote: string | undefined;
  let prev = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if ((c === '"' || c === "'") && /^$|[:\-[{,?]$/.test(prev)) {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return i;
    }
    if (!/\s/.test(c)) prev = c;
  }
  return line.length;
}

function resolve(name: string, vars: SubstitutionVars): Resolved {
  if (name.startsWith('ENV-')) return fromEnv(name.slice(4), vars.env);
  const element = LIST_ELEMENT.exec(name);
  if (element) return fromList(element[1]!, Number(element[2]), vars.properties);
  const props = vars.properties;
  if (props && Object.hasOwn(props, name)) return { value: props[name]! };
  return missingProperty(name, name, props);
}

function fromEnv(name: string, env: SubstitutionVars['env']): Resolved {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  if (value !== undefined) return { value };
  return {
    problem: `environment variable "${name}" is not set (used as \${ENV-${name}})`,
    hint: `export ${name}=... before running, or write the value in place of \${ENV-${name}}`,
  };
}

/** `${key[i]}`: Flux reads the property as a list `[a, b]` and takes element i, unquoted. */
function fromList(key: string, index: number, props: SubstitutionVars['properties']): Resolved {
  if (!props || !Object.hasOwn(props, key)) return missingProperty(key, `${key}[${index}]`, props);
  const value = props[key]!.trim();
  if (!value.startsWith('[') || !value.endsWith(']')) {
    return { problem: `property "${key}" is not a list, so \${${key}[${index}]} has no value`, hint: `write it as ${key}: ["a", "b"]` };
  }
  const items = value.slice(1, -1).split(',').map((s) => unquote(s.trim()));
  const item = items[index];
  if (item !== undefined) return { value: item };
  return { problem: `property "${key}" has ${items.length} elements, so \${${key}[${index}]} has no value`, hint: `elements are numbered from 0 to ${items.length - 1}` };
}

function unquote(s: string): string {
  return /^(".*"|'.*')$/.test(s) ? s.slice(1, -1) : s;
}

/** `name` is what is between the braces: the key, or the key and an index. */
function missingProperty(key: string, name: string, props: SubstitutionVars['properties']): Resolved {
  if (!props) {
    return {
      problem: `\${${name}} needs a value from a properties file, and none was given`,
      hint: `give a properties file that defines "${key}" (Flux's --filter), or use \${ENV-${key}} for an environment variable`,
    };
  }
  return { problem: `property "${key}" is not defined${didYouMean(key, Object.keys(props))}`, hint: `define "${key}" in the properties file` };
}
