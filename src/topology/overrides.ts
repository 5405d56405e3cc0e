/**
 * `-c key=value` flags: Storm parses each value as YAML, so `-c topology.workers=2` is the
 * number 2 and `-c topology.environment={A: b}` a map.
 */
import { isCollection, parseDocument } from 'yaml';
import { validateConfig } from './config-schema.js';

/**
 * Parses `key=value` pairs into a config map and checks it with validateConfig().
 * Later pairs override earlier ones. Only errors become issues; warnings are for loaders.
 * @returns the config, and one message per bad flag (empty when all are fine)
 */
export function parseConfigOverrides(pairs: string[]): { config: Record<string, unknown>; issues: string[] } {
  const config: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  const issues: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (eq < 0 || key === '') {
      issues.push(`-c ${pair}: expected key=value${eq < 0 ? '' : ' with a non-empty key'}, e.g. -c topology.workers=2`);
      continue;
    }
    const value = parseValue(pair.slice(eq + 1));
    if ('error' in value) {
      issues.push(`-c ${pair}: cannot parse the value: ${value.error}`);
      continue;
    }
    // defineProperty, so that a "__proto__" key stays a plain key.
    Object.defineProperty(config, key, { value: value.ok, enumerable: true, writable: true, configurable: true });
    flagOf.set(key, pair);
  }
  for (const issue of validateConfig(config)) {
    if (issue.severity !== 'error') continue;
    issues.push(`-c ${flagOf.get(issue.key) ?? issue.key}: ${issue.message}${issue.hint ? `\n  hint: ${issue.hint}` : ''}`);
  }
  return { config, issues };
}

/** A YAML scalar or flow value; a block collection (`a: b`, `- x`) is kept as the raw string. */
function parseValue(text: string): { ok: unknown } | { error: string } {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { error: doc.errors[0]!.message };
  const contents = doc.contents;
  if (isCollection(contents) && !contents.flow) return { ok: text };
  try {
    return { ok: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
