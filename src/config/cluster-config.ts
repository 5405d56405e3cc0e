/**
 * The daemon (cluster) configuration: Storm's layering — defaults < squall.yaml < SQUALL_*
 * environment variables < `-c key=value` flags — checked all at once against
 * CLUSTER_CONFIG_KEYS and compiled into a frozen, typed ClusterConfig (durations in ms).
 *
 * @example
 * ```ts
 * const config = await loadClusterConfig({ file: flags.config, env: ctx.env, overrides: flags.conf });
 * await ZooKeeperStateStore.connect({ servers: config.zookeeper.connectString, chroot: config.zookeeper.root });
 * ```
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, UsageError } from '../common/errors.js';
import { closest } from '../common/suggest.js';
import { CONFIG_KEYS, validateConfig } from '../topology/config-schema.js';
import { CLUSTER_CONFIG_KEYS, RENAMED_STORM_KEYS, isStormKeyWithoutEffect, type ClusterKeySpec } from './cluster-keys.js';
import { checkClusterValue } from './check-value.js';
import { envLayer, fileLayer, flagLayer, type ConfigProblem, type Layer, type RawEntry } from './config-sources.js';
import { crossCheck } from './cross-checks.js';
import { buildClusterConfig, type ClusterConfig } from './compiled-config.js';

export { CLUSTER_CONFIG_KEYS, envNameOf } from './cluster-keys.js';
export type { ClusterKeyKind, ClusterKeySpec } from './cluster-keys.js';
export type { ConfigProblem } from './config-sources.js';
export type { ClusterConfig } from './compiled-config.js';
export { Secret } from './secret.js';

/** The file Squall reads when no --config is given, if it exists in the working directory. */
export const DEFAULT_CLUSTER_CONFIG_FILE = 'squall.yaml';

type Env = Readonly<Record<string, string | undefined>>;

/** Options of loadClusterConfig(); all optional. */
export interface LoadClusterConfigOptions {
  /** The --config file; it must exist. @default `<cwd>/squall.yaml` when that exists, else none */
  file?: string;
  /** Look for `<cwd>/squall.yaml` when `file` is not given. @default true */
  searchDefaultFile?: boolean;
  /** Where squall.yaml is looked for and a relative storm.local.dir starts. @default the working directory */
  cwd?: string;
  /** Environment for SQUALL_* overrides (the CLI passes process.env). @default {} */
  env?: Env;
  /** `-c key=value` flags in order, or values by key from code. @default none */
  overrides?: readonly string[] | Readonly<Record<string, unknown>>;
}

/** Input of compileClusterConfig(): like the options, with the file already read. */
export interface ClusterConfigInput {
  /** The config file: its text, its absolute path and the name messages show. */
  file?: { text: string; path: string; shown: string };
  cwd?: string;
  env?: Env;
  overrides?: readonly string[] | Readonly<Record<string, unknown>>;
}

/** Thrown when the cluster config has problems; lists every one with where it is written. */
export class ClusterConfigError extends ConfigError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(problems[0]?.key ?? '', `the cluster config has ${n} problem${n === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`, {
      hint: 'fix them and run the command again',
    });
    this.problems = problems;
  }
}

/** `where: message` and an indented hint line. */
export function formatProblem(p: ConfigProblem): string {
  return `  ${p.where}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`;
}

/**
 * Reads the config file (if any) and compiles the layers.
 * @throws UsageError when an explicit --config file cannot be read
 * @throws ClusterConfigError listing every problem
 */
export async function loadClusterConfig(opts: LoadClusterConfigOptions = {}): Promise<ClusterConfig> {
  const cwd = resolve(opts.cwd ?? '.');
  const file = await readConfigFile(opts.file, opts.searchDefaultFile ?? true, cwd);
  return compileClusterConfig({
    cwd,
    ...(file === undefined ? {} : { file }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
    ...(opts.overrides === undefined ? {} : { overrides: opts.overrides }),
  });
}

async function readConfigFile(file: string | undefined, search: boolean, cwd: string): Promise<ClusterConfigInput['file']> {
  if (file === undefined && !search) return undefined;
  const shown = file ?? DEFAULT_CLUSTER_CONFIG_FILE;
  const path = resolve(cwd, shown);
  try {
    return { text: await readFile(path, 'utf8'), path, shown };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (file === undefined && code === 'ENOENT') return undefined;
    throw new UsageError(code === 'ENOENT' ? `config file not found: ${shown}` : `cannot read config file ${shown}: ${(err as Error).message}`, {
      hint: file === undefined ? `fix or remove ./${DEFAULT_CLUSTER_CONFIG_FILE}` : 'check the --config path',
    });
  }
}

/**
 * Merges defaults < file < env < overrides, checks every value where it is written (so a bad
 * value is reported even when a later layer overrides it), then the rules between keys.
 * @throws ClusterConfigError listing every problem
 */
export function compileClusterConfig(input: ClusterConfigInput = {}): ClusterConfig {
  const specOf = (key: string): ClusterKeySpec | undefined => CLUSTER_CONFIG_KEYS[key];
  const envKeys = [...Object.keys(CLUSTER_CONFIG_KEYS), ...Object.keys(CONFIG_KEYS).filter((k) => k.startsWith('topology.'))];
  const layers: Layer[] = [
    ...(input.file ? [fileLayer(input.file.text, input.file.shown)] : []),
    envLayer(input.env ?? {}, envKeys, specOf),
    flagLayer(input.overrides ?? [], specOf),
  ];
  const problems = layers.flatMap((l) => l.problems);
  const warnings = layers.flatMap((l) => l.warnings);
  const values = new Map<string, { value: unknown; where: string }>();
  for (const [key, spec] of Object.entries(CLUSTER_CONFIG_KEYS)) values.set(key, { value: spec.default, where: 'default' });
  for (const entry of layers.flatMap((l) => l.entries)) {
    const checked = checkEntry(entry, warnings);
    if (checked.ok) values.set(entry.key, { value: checked.value, where: entry.where });
    else if (checked.problem) problems.push(problemAt(entry, checked.problem));
  }
  // Rules between keys skip keys with bad values rather than judge them by their defaults.
  const broken = new Set(problems.map((p) => p.key));
  const cross = crossCheck({ value: (k) => values.get(k)?.value, where: (k) => values.get(k)?.where ?? 'default', broken: (k) => broken.has(k) });
  problems.push(...cross.problems);
  warnings.push(...cross.warnings);
  if (problems.length > 0) throw new ClusterConfigError(problems);
  return buildClusterConfig(values, { cwd: resolve(input.cwd ?? '.'), file: input.file?.path, warnings });
}

/** An entry's verdict: its value, a problem, or (no problem) a key Squall ignores. */
type EntryResult = { ok: true; value: unknown } | { ok: false; problem?: EntryProblem };

interface EntryProblem {
  message: string;
  hint?: string;
  /** The key is wrong (not its value): point at the key. */
  atKey?: boolean;
}

function problemAt(entry: RawEntry, p: EntryProblem): ConfigProblem {
  const where = p.atKey ? entry.keyWhere : entry.where;
  return { where, key: entry.key, message: p.message, ...(p.hint === undefined ? {} : { hint: p.hint }) };
}

function rejected(c: { message: string; hint?: string | undefined }, atKey = false): EntryResult {
  return { ok: false, problem: { message: c.message, ...(c.hint === undefined ? {} : { hint: c.hint }), ...(atKey ? { atKey } : {}) } };
}

/**
 * Checks one entry. Keys Storm has but Squall ignores become warnings and are dropped;
 * topology.* keys are checked by the topology schema and passed through as topology defaults.
 */
function checkEntry(entry: RawEntry, warnings: ConfigProblem[]): EntryResult {
  const { key, value } = entry;
  const spec = CLUSTER_CONFIG_KEYS[key];
  if (spec) {
    const c = checkClusterValue(key, spec, value);
    return c.ok ? c : rejected(c);
  }
  const renamed = RENAMED_STORM_KEYS[key];
  if (renamed !== undefined) {
    return rejected({ message: `"${key}" is called "${renamed}" in Squall`, hint: CLUSTER_CONFIG_KEYS[renamed]?.doc }, true);
  }
  if (key.startsWith('topology.')) {
    const issues = validateConfig({ [key]: value });
    for (const w of issues.filter((i) => i.severity === 'warning')) warnings.push({ where: entry.keyWhere, key, message: w.message });
    const error = issues.find((i) => i.severity === 'error');
    return error ? rejected(error, error.message.startsWith('unknown')) : { ok: true, value };
  }
  if (isStormKeyWithoutEffect(key)) {
    warnings.push({ where: entry.keyWhere, key, message: `"${key}" has no effect in Squall (ignored)` });
    return { ok: false };
  }
  return rejected(unknownKey(key), true);
}

function unknownKey(key: string): EntryProblem {
  const known = [...Object.keys(CLUSTER_CONFIG_KEYS), ...Object.keys(RENAMED_STORM_KEYS), ...Object.keys(CONFIG_KEYS)];
  const near = closest(key, known);
  const message = `unknown config key "${key}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`;
  if (!key.includes('.')) return { message, hint: 'keys are flat and dotted as in Storm\'s storm.yaml, e.g. storm.zookeeper.port: 2181' };
  const doc = near === undefined ? undefined : (CLUSTER_CONFIG_KEYS[near] ?? CONFIG_KEYS[near])?.doc;
  return doc === undefined ? { message } : { message, hint: `"${near}": ${doc}` };
}
