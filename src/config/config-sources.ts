/**
 * The three places a cluster config value can come from, each read into raw entries that
 * remember where they were written: the YAML file (file:line:column), SQUALL_* environment
 * variables and `-c key=value` flags. Nothing is checked against the schema here.
 */
import { LineCounter, isMap, parseDocument, type Node } from 'yaml';
import { closest } from '../common/suggest.js';
import { lowerFirst } from '../topology/topology-doc.js';
import { Reporter, at, entries, toJS } from '../topology/yaml-nodes.js';
import { CLUSTER_CONFIG_KEYS, envNameOf, type ClusterKeySpec } from './cluster-keys.js';
import { parseTextValue } from './check-value.js';

/** One problem (or warning), located: "squall.yaml:3:5", "env SQUALL_X", "-c key=value". */
export interface ConfigProblem {
  where: string;
  /** The key it is about; "" when it is about the file itself (a YAML syntax error). */
  key: string;
  message: string;
  hint?: string;
}

/** A value as written, not yet checked. */
export interface RawEntry {
  key: string;
  value: unknown;
  /** Where the value is written. */
  where: string;
  /** Where the key is written (differs from `where` in files). */
  keyWhere: string;
}

/** What one source yields. */
export interface Layer {
  entries: RawEntry[];
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Finds the row of a key, for reading its text by kind; undefined for other keys. */
export type SpecLookup = (key: string) => ClusterKeySpec | undefined;

/** Reads a YAML file of flat dotted keys (as Storm's storm.yaml). @param file the name shown in messages */
export function fileLayer(text: string, file: string): Layer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const rep = Reporter.create(file, lines, doc);
  const out: RawEntry[] = [];
  for (const err of doc.errors) rep.error(err.pos[0], `invalid YAML: ${yamlMessage(err.code, err.message)}`);
  const root = doc.contents as Node | null;
  if (doc.errors.length === 0 && root !== null) {
    if (!isMap(root)) rep.error(root, 'the cluster config must be a map of keys to values', 'e.g. storm.zookeeper.servers: [localhost]');
    else {
      for (const e of entries(root, rep).values()) {
        const value = toJS(e.value, rep);
        if (value !== undefined) out.push({ key: e.key, value, where: where(rep, at(e)), keyWhere: where(rep, e.keyNode) });
      }
    }
  }
  const located = (i: { line: number; column: number; message: string; hint?: string }): ConfigProblem =>
    ({ where: `${file}:${i.line}:${i.column}`, key: '', message: i.message, ...(i.hint === undefined ? {} : { hint: i.hint }) });
  return { entries: out, problems: rep.issues.map(located), warnings: rep.warnings.map(located) };
}

function where(rep: Reporter, node: Node): string {
  const p = rep.pos(node);
  return `${p.file}:${p.line}:${p.column}`;
}

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds several documents (separated by "---"); a config file is one document';
  return lowerFirst(message);
}

/** Prefixes of SQUALL_* variables meant as config keys; other SQUALL_* variables are not config. */
const CONFIG_ENV_PREFIXES = ['SQUALL_STORM_', 'SQUALL_NIMBUS_', 'SQUALL_SUPERVISOR_', 'SQUALL_WORKER_', 'SQUALL_TRANSPORT_', 'SQUALL_TOPOLOGY_'];

/**
 * Reads SQUALL_<KEY> for each known key (see envNameOf). An empty variable counts as unset,
 * as most tools treat it. A config-looking variable close to a known one gets a warning, not an
 * error: other SQUALL_* variables (SQUALL_LOG_LEVEL, or ones a supervisor sets for its workers)
 * are not config at all.
 */
export function envLayer(env: Readonly<Record<string, string | undefined>>, keys: readonly string[], specOf: SpecLookup): Layer {
  const layer: Layer = { entries: [], problems: [], warnings: [] };
  const names = new Map(keys.map((k) => [envNameOf(k), k]));
  for (const [name, key] of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = parseTextValue(specOf(key), raw);
    const at = `env ${name}`;
    if (parsed.ok) layer.entries.push({ key, value: parsed.value, where: at, keyWhere: at });
    else layer.problems.push({ where: at, key, message: parsed.message });
  }
  for (const name of Object.keys(env)) {
    if (names.has(name) || !CONFIG_ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    const near = closest(name, names.keys());
    if (near !== undefined) {
      layer.warnings.push({ where: `env ${name}`, key: '', message: `${name} is not a config variable (did you mean ${near}?)` });
    }
  }
  return layer;
}

/**
 * Reads `-c key=value` flags (later ones win), or values given by key when called from code.
 * A secret's value is never part of `where`.
 */
export function flagLayer(overrides: readonly string[] | Readonly<Record<string, unknown>>, specOf: SpecLookup): Layer {
  const layer: Layer = { entries: [], problems: [], warnings: [] };
  if (!isStringList(overrides)) {
    for (const [key, value] of Object.entries(overrides)) layer.entries.push({ key, value, where: `override ${key}`, keyWhere: `override ${key}` });
    return layer;
  }
  for (const pair of overrides) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    const spec = specOf(key);
    const at = `-c ${looksSecret(eq < 0 ? pair : key) ? `${eq < 0 ? leadingKey(pair) : key}=[redacted]` : pair}`;
    if (key === '') {
      layer.problems.push({ where: at, key: '', message: `expected key=value${eq < 0 ? '' : ' with a non-empty key'}, e.g. -c storm.zookeeper.port=2181` });
      continue;
    }
    const parsed = parseTextValue(spec, pair.slice(eq + 1));
    if (parsed.ok) layer.entries.push({ key, value: parsed.value, where: at, keyWhere: at });
    else layer.problems.push({ where: at, key, message: parsed.message });
  }
  return layer;
}

function isStringList(o: readonly string[] | Readonly<Record<string, unknown>>): o is readonly string[] {
  return Array.isArray(o);
}

const SECRET_KEYS = Object.keys(CLUSTER_CONFIG_KEYS).filter((k) => CLUSTER_CONFIG_KEYS[k]!.kind === 'secret');
const SECRET_WORDS = /token|secret|passw|payload|credential/i;

/**
 * Whether a flag may carry a secret, so its value is kept out of messages: a secret key, a
 * typo of one ("transport.auth.tokn=..."), a malformed pair starting with one
 * ("transport.auth.token:..."), or any key that sounds secret.
 */
function looksSecret(keyOrPair: string): boolean {
  const key = leadingKey(keyOrPair);
  return SECRET_WORDS.test(key) || SECRET_KEYS.includes(key) || closest(key, SECRET_KEYS) !== undefined;
}

function leadingKey(pair: string): string {
  return /^\s*([\w.-]*)/.exec(pair)![1]!;
}
