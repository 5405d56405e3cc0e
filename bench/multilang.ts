/**
 * Multilang throughput: a Python split bolt's ceiling (fed a recorded transcript, no parent)
 * against the same bolt under Squall, for Apache Storm's storm.py and for pystorm; Squall's own
 * adapter with the batch extension; and the parent's CPU per tuple.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync, closeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJsonFrame } from '../src/multilang/index.js';
import { COMPONENTS, fmt, measureBolt, ROOT, type Figures } from './bolt-pipeline.js';

const PYTHON = join(ROOT, '.cache', 'compat', 'venv', 'bin', 'python');
const STORM_PY = join(ROOT, '.cache', 'compat', 'storm');
const SENTENCE = 'snow white and the seven dwarfs went home';
const WORDS = SENTENCE.split(' ').length;

/** Writes a transcript: handshake, then n tuples, each followed by task-id replies if asked. */
function transcript(n: number, taskIdReplies: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'squall-bench-'));
  const pidDir = join(dir, 'pids');
  mkdirSync(pidDir);
  const context = { 'task->component': { 1: 'spout', 2: 'split', 3: 'sink' }, taskid: 2, componentid: 'split' };
  const parts = [encodeJsonFrame({ pidDir, conf: {}, context })];
  const ids = encodeJsonFrame([3]);
  for (let i = 0; i < n; i++) {
    parts.push(encodeJsonFrame({ id: String(i), comp: 'spout', stream: 'default', task: 1, tuple: [SENTENCE] }));
    if (taskIdReplies) for (let w = 0; w < WORDS; w++) parts.push(ids);
  }
  const file = join(dir, 'transcript');
  writeFileSync(file, parts.join(''));
  return file;
}

/** Sentences per second of a bolt reading a transcript with nobody on the other side. */
function ceiling(script: string[], n: number, taskIds: boolean): number {
  const file = transcript(n, taskIds);
  const input = openSync(file, 'r');
  const start = process.hrtime.bigint();
  spawnSync(PYTHON, script, { stdio: [input, 'ignore', 'ignore'], env: { ...process.env, PYTHONPATH: STORM_PY } });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(input);
  return n / secs;
}

/**
 * The same ceiling, but with stdout going into a pipe drained by `cat`: what the child pays
 * for writing into a pipe at all (every write may wake a reader), with no parent logic.
 */
async function pipeCeiling(script: string[], n: number, taskIds: boolean): Promise<number> {
  const file = transcript(n, taskIds);
  const input = openSync(file, 'r');
  const sink = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  const start = process.hrtime.bigint();
  const child = spawn(PYTHON, script, { stdio: [input, sink.stdin, 'ignore'], env: { ...process.env, PYTHONPATH: STORM_PY } });
  await new Promise((r) => child.on('exit', r));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  sink.stdin.end();
  closeSync(input);
  return n / secs;
}

/** Tuples per second through a shell bolt under Squall (spout and sink in process). */
export function underSquall(command: string[], outputs: string[], seconds: number, config: Record<string, unknown> = {}): Promise<Figures> {
  return measureBolt({ name: 'bench-multilang', impl: { kind: 'shell', command }, outputs, pythonPath: STORM_PY, seconds, config });
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  const parts = args[1] ?? 'abcd';
  execFileSync(join(ROOT, 'scripts', 'install-compat-adapters.sh'), { stdio: 'ignore' });
  console.log(`multilang: 8-word split bolt; under Squall: JS spout -> Python bolt -> JS sink, acking on, ${seconds}s per run`);
  let storm: Figures | undefined;
  let py: Figures | undefined;
  if (parts.includes('a') || parts.includes('b')) {
  const stormCeiling = ceiling([join(COMPONENTS, 'storm_split.py')], 20_000, true);
  storm = await underSquall([PYTHON, join(COMPONENTS, 'storm_split.py')], ['word'], seconds);
  console.log(`  (a) storm.py split bolt ceiling (transcript, no parent): ${fmt(stormCeiling)} sentences/s (${fmt(stormCeiling * WORDS)} emits/s)`);
  console.log(`  (b) the same bolt under Squall:                          ${fmt(storm.tuplesPerSec)} sentences/s   (b)/(a) = ${(storm.tuplesPerSec / stormCeiling).toFixed(2)}`);
  }
  if (parts.includes('c')) {
  const pyCeiling = ceiling([join(COMPONENTS, 'pystorm_split.py')], 40_000, false);
  py = await underSquall([PYTHON, join(COMPONENTS, 'pystorm_split.py')], ['word'], seconds);
  console.log(`  (c) pystorm split bolt ceiling:                          ${fmt(pyCeiling)} sentences/s`);
  console.log(`      the same bolt under Squall:                          ${fmt(py.tuplesPerSec)} sentences/s   ratio = ${(py.tuplesPerSec / pyCeiling).toFixed(2)} (target >= 0.9)`);
  const pyPipe = await pipeCeiling([join(COMPONENTS, 'pystorm_split.py')], 40_000, false);
  console.log(`      (its ceiling writing into a pipe drained by cat:      ${fmt(pyPipe)} sentences/s; Squall reaches ${(py.tuplesPerSec / pyPipe).toFixed(2)} of it)`);

  }
  if (!parts.includes('d')) return;
  const identityBolt = [process.env.SQUALL_BENCH_PYTHON ?? 'python3', join(COMPONENTS, 'identity_squall.py')];
  const identityOff = await underSquall(identityBolt, ['sentence'], seconds, { 'topology.acker.executors': 0, 'topology.shellbolt.max.pending': 2000 });
  const identity = await underSquall(identityBolt, ['sentence'], seconds, { 'topology.max.spout.pending': 10_000, 'topology.shellbolt.max.pending': 5000 });
  console.log(`  (d) identity bolt, Squall adapter, batch extension:      ${fmt(identityOff.tuplesPerSec)} tuples/s acking off, ${fmt(identity.tuplesPerSec)} tuples/s acking on (target >= 300,000 on one Python process)`);
  console.log(`  (e) parent CPU per tuple (spout + host + sink, acking): ${identityOff.parentCpuUsPerTuple.toFixed(2)} us in (d) acking off, ${identity.parentCpuUsPerTuple.toFixed(2)} us acking on${storm ? `; ${storm.parentCpuUsPerTuple.toFixed(2)} us per sentence in (b)` : ''}${py ? `; ${py.parentCpuUsPerTuple.toFixed(2)} us per sentence in (c)` : ''}`);
}
