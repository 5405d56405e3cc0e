/**
 * What the Python gRPC end-to-end tests share: the SDK venv (installed, never skipped), an up
 * to date dist/ for the real CLI, the environment that makes `python3` the venv's, the
 * fixtures' ledgers, and finding the processes a run left behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './cli.js';

export { alive, processesUnder } from './processes.js';

export const VENV_BIN = join(ROOT, '.cache', 'grpc', 'venv', 'bin');
export const VENV_PYTHON = join(VENV_BIN, 'python');
export const GRPC_PYTHON_FIXTURES = join(ROOT, 'test', 'fixtures', 'grpc-python');

/** The sentences of test/fixtures/grpc-python/sentence_spout.py, sentence i being SENTENCES[i % 3]. */
export const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
];

/**
 * Installs multilang/python[grpc] into .cache/grpc/venv (idempotent). Serialised with flock so
 * two test files never run pip on the same venv at once. Fails loudly, never skips.
 */
export function ensurePythonSdk(): void {
  const script = join(ROOT, 'scripts', 'install-python-sdk.sh');
  try {
    execFileSync('flock', [join(ROOT, '.cache', 'grpc-install.lock'), 'bash', script], { stdio: 'pipe', timeout: 600_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message?: string };
    throw new Error(`cannot install the Python SDK (scripts/install-python-sdk.sh):\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? e.message ?? ''}`);
  }
  if (!existsSync(VENV_PYTHON)) throw new Error(`scripts/install-python-sdk.sh left no ${VENV_PYTHON}`);
}

/** Rebuilds dist/ (tsc -p tsconfig.build.json) when a source file is newer than the CLI; fails loudly. */
export function ensureCliBuilt(): void {
  if (existsSync(CLI) && newestMtime(join(ROOT, 'src')) <= statSync(CLI).mtimeMs) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`cannot build the CLI (tsc -p tsconfig.build.json):\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The test's environment with the venv first on PATH (so `python3` is the venv's) and no PYTHONPATH. */
export function venvEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.PYTHONPATH;
  delete env.SQUALL_LOG_LEVEL;
  return env;
}

/** Word → count for `n` sentences of the fixture spout. */
export function expectedCounts(n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const w of SENTENCES[i % SENTENCES.length]!.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return new Map([...m].sort());
}

export interface SpoutLedger {
  acked: Map<string, number>;
  failed: Map<string, number>;
}

/** The fixture spout's ack/fail ledger (<state>/spout.txt). */
export function readSpoutLedger(state: string): SpoutLedger {
  const out: SpoutLedger = { acked: new Map(), failed: new Map() };
  const file = join(state, 'spout.txt');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [what, id] = line.split(' ') as [string, string];
    const m = what === 'ack' ? out.acked : out.failed;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return out;
}

/** The count bolt's ledgers (<state>/count-<task>.txt): word → count, and word → tasks that counted it. */
export function readCounts(state: string): { counts: Map<string, number>; owners: Map<string, Set<string>> } {
  const counts = new Map<string, number>();
  const owners = new Map<string, Set<string>>();
  for (const f of readdirSync(state).filter((x) => /^count-\d+\.txt$/.test(x))) {
    for (const w of readFileSync(join(state, f), 'utf8').split('\n').filter(Boolean)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      owners.set(w, (owners.get(w) ?? new Set()).add(f));
    }
  }
  return { counts: new Map([...counts].sort()), owners };
}

/** `n` ids m0..m<n-1>, each acked exactly once: the message that fails lists the offenders. */
export function unevenAcks(ledger: SpoutLedger, n: number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < n; i++) if (ledger.acked.get(`m${i}`) !== 1) bad.push(`m${i}: acked ${ledger.acked.get(`m${i}`) ?? 0} times`);
  for (const id of ledger.acked.keys()) if (!/^m\d+$/.test(id) || Number(id.slice(1)) >= n) bad.push(`unknown id ${id} acked`);
  return bad;
}

/** The environment a process was started with (our own processes only). */
export function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}
