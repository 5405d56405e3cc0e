/**
 * Python gRPC components as a user runs them: `squall run --json` on a topology whose split
 * bolt is a Python BasicBolt served by squall.grpc, between a reliable Python stdio spout and
 * a Python stdio count bolt (test/fixtures/grpc-python). Real processes, real gRPC on
 * 127.0.0.1, the venv from scripts/install-python-sdk.sh. Each run is stopped with SIGINT
 * once the spout logs that every sentence was acked, then checked against the spout's
 * ack/fail ledger and the count bolt's word ledger: every id acked exactly once, every word
 * counted exactly, whatever was done to the gRPC component.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freeLoopbackPort } from '../../src/hosts/grpc/free-port.js';
import { CLI, ROOT, type CliResult } from '../helpers/cli.js';
import {
  GRPC_PYTHON_FIXTURES, VENV_PYTHON, alive, ensureCliBuilt, ensurePythonSdk, environOf, expectedCounts,
  processesUnder, readCounts, readSpoutLedger, unevenAcks, venvEnv,
} from '../helpers/python-grpc.js';
import { waitFor } from '../helpers/spec.js';

/** Upper bound for one run; a guard against hangs, not a timing assertion. */
const RUN_GUARD_MS = 50_000;
const SENTENCES = 300;

interface ComponentJson {
  componentId: string;
  emitted: number;
  executed: number;
  acked: number;
  failed: number;
  timedOut: number;
  errors: number;
  lastErrors: Array<{ task: number; message: string }>;
}

interface RunJson {
  topology: string;
  stoppedBy: string;
  drained: { complete: boolean };
  components: ComponentJson[];
}

/** A `squall run` in progress, its stderr (the log) readable as it grows. */
class RunningCli {
  stderr = '';
  stdout = '';
  readonly done: Promise<CliResult>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: venvEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    const guard = setTimeout(() => this.child.kill('SIGKILL'), RUN_GUARD_MS);
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        clearTimeout(guard);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until the log matches `re` (fails with the log so far if the run ends or the guard expires first). */
  async waitForLog(re: RegExp, what: string): Promise<void> {
    try {
      await waitFor(() => re.test(this.stderr) || this.exited, RUN_GUARD_MS, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}; log so far:\n${this.stderr}`);
    }
    assert.ok(re.test(this.stderr), `the run ended before ${what}:\n${this.stderr}`);
  }

  /** Ctrl-C: the run drains and prints its statistics. */
  async stop(): Promise<{ result: CliResult; json: RunJson }> {
    this.child.kill('SIGINT');
    const result = await this.done;
    assert.equal(result.code, 0, `squall run exited with ${result.code ?? result.signal}:\n${result.stderr}`);
    return { result, json: JSON.parse(result.stdout) as RunJson };
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** A fresh copy of the fixture topology (components run in its directory) and a state directory. */
function workspace(grpc?: string): { dir: string; state: string; topology: string } {
  const dir = mkdtempSync(join(tmpdir(), 'squall-grpc-python-'));
  cpSync(GRPC_PYTHON_FIXTURES, dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const topology = join(dir, 'topology.yaml');
  if (grpc !== undefined) {
    const text = readFileSync(topology, 'utf8');
    const changed = text.replace('grpc: {command: [python3, split_bolt.py]}', `grpc: ${grpc}`);
    assert.notEqual(changed, text, 'the fixture topology declares the split bolt as expected');
    writeFileSync(topology, changed);
  }
  const state = join(dir, 'state');
  mkdirSync(state);
  return { dir, state, topology };
}

function runTopology(ws: { state: string; topology: string }, conf: string[] = []): RunningCli {
  const flags = [`fixture.state.dir=${ws.state}`, `fixture.sentences=${SENTENCES}`, ...conf].flatMap((c) => ['-c', c]);
  return new RunningCli(['run', ws.topology, ...flags, '--json', '--no-status']);
}

/** task → the pids that served its streams, in order, from the bolt's "ready" log lines. */
function readyPids(log: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of log.matchAll(/\[split:(\d+)\] split task (\d+) ready in pid (\d+)/g)) {
    assert.equal(m[1], m[2], 'the log line names the task that logged it');
    out.set(Number(m[1]), [...(out.get(Number(m[1])) ?? []), Number(m[3])]);
  }
  return out;
}

function byId(json: RunJson): Record<string, ComponentJson> {
  return Object.fromEntries(json.components.map((c) => [c.componentId, c]));
}

/** Every id acked exactly once, every word counted exactly once by the one task owning it. */
function assertNothingLost(state: string, json: RunJson): void {
  assert.equal(json.stoppedBy, 'signal');
  assert.equal(json.drained.complete, true, 'nothing left in flight at exit');
  assert.deepEqual(unevenAcks(readSpoutLedger(state), SENTENCES), []);
  const { counts, owners } = readCounts(state);
  assert.deepEqual(counts, expectedCounts(SENTENCES), 'every word counted exactly');
  for (const [w, files] of owners) assert.equal(files.size, 1, `fields grouping: "${w}" counted by ${[...files].join(', ')}`);
  const by = byId(json);
  const words = [...expectedCounts(SENTENCES).values()].reduce((a, b) => a + b, 0);
  assert.equal(by.sentences!.acked, SENTENCES);
  assert.equal(by.sentences!.timedOut, 0, 'failures were reported, not left to time out');
  assert.equal(by.sentences!.emitted, by.sentences!.acked + by.sentences!.failed, 'every failed tree was replayed');
  assert.equal(by.count!.executed, words);
  assert.equal(by.count!.acked, words);
}

async function noneLeft(dir: string): Promise<void> {
  await waitFor(() => processesUnder(dir).length === 0, 10_000, `no process left under ${dir} (still: ${processesUnder(dir).join(', ')})`);
}

const cleanups: Array<() => void> = [];

before(() => {
  ensurePythonSdk();
  ensureCliBuilt();
}, { timeout: 900_000 });

after(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Registers the run and its directory for cleanup even when the test fails half way. */
function track(ws: { dir: string }, run?: RunningCli): void {
  cleanups.push(() => {
    run?.kill();
    for (const p of processesUnder(ws.dir)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

describe('Python gRPC bolt under squall run', { concurrency: 1 }, () => {
  test('stdio spout → launched gRPC split bolt (2 tasks, one process each) → count: exact counts, no failures', { timeout: 120_000 }, async () => {
    const ws = workspace();
    const run = runTopology(ws);
    track(ws, run);
    await run.waitForLog(/all \d+ sentences acked/, 'every sentence acked');
    const pids = readyPids(run.stderr);
    assert.equal(pids.size, 2, `two split tasks:\n${run.stderr}`);
    const [a, b] = [...pids.values()].map((p) => p[0]!);
    assert.notEqual(a, b, 'one process per task');
    for (const pid of [a!, b!]) {
      assert.ok(alive(pid), `split process ${pid} is running`);
      assert.match(environOf(pid)['SQUALL_GRPC_ADDRESS'] ?? '', /^127\.0\.0\.1:\d+$/, 'launched with the address to listen on');
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /python3?\0split_bolt\.py/);
    }
    const { json } = await run.stop();
    assertNothingLost(ws.state, json);
    const by = byId(json);
    assert.equal(by.sentences!.emitted, SENTENCES);
    assert.equal(by.sentences!.failed, 0);
    assert.equal(by.split!.executed, SENTENCES);
    assert.equal(by.split!.acked, SENTENCES);
    assert.equal(by.split!.failed, 0);
    assert.equal(by.split!.errors, 0, JSON.stringify(by.split!.lastErrors));
    assert.equal(readSpoutLedger(ws.state).failed.size, 0);
    assert.match(run.stderr, /\[split:\d+\] squall\.grpc: serving SplitBolt on 127\.0\.0\.1:\d+/, 'the component\'s stderr reaches the log');
    await noneLeft(ws.dir);
  });

  test('the gRPC bolt process is SIGKILLed mid-stream: error names component, task and pid; a new process takes over; replays lose nothing', { timeout: 120_000 }, async () => {
    const ws = workspace();
    const run = runTopology(ws, ['fixture.kill.after=40']);
    track(ws, run);
    await run.waitForLog(/all \d+ sentences acked/, 'every sentence acked');
    assert.ok(existsSync(join(ws.state, 'killed')), 'split_bolt.py killed itself');
    const [task, pid] = readFileSync(join(ws.state, 'killed'), 'utf8').split(' ').map(Number) as [number, number];
    const { json } = await run.stop();
    assertNothingLost(ws.state, json);

    const errors = byId(json).split!.lastErrors;
    const killed = errors.filter((e) => /killed by SIGKILL/.test(e.message));
    assert.equal(killed.length, 1, JSON.stringify(errors));
    assert.equal(killed[0]!.task, task);
    assert.match(killed[0]!.message, new RegExp(`component split, task ${task}, pid ${pid}\\b`));
    assert.ok(errors.every((e) => e.task === task), 'the sibling task had no error');
    assert.match(run.stderr, new RegExp(`ERROR: \\[split:${task}\\] .*killed by SIGKILL`), 'the error is in the log too');

    const pids = readyPids(run.stderr);
    assert.equal(pids.get(task)![0], pid, 'the victim was the task\'s first process');
    const restarted = pids.get(task)!.at(-1)!;
    assert.notEqual(restarted, pid, 'a new process serves the task');
    assert.ok(!alive(pid));
    const sibling = [...pids.keys()].find((t) => t !== task)!;
    assert.equal(new Set(pids.get(sibling)).size, 1, 'the sibling kept its process');

    const ledger = readSpoutLedger(ws.state);
    assert.ok(ledger.failed.size > 0, 'the tuples held by the killed process were failed');
    assert.equal(byId(json).sentences!.failed, [...ledger.failed.values()].reduce((a, b) => a + b, 0));
    await noneLeft(ws.dir);
  });

  test('grpc: {address} with nothing listening: "refused" errors naming component and address, growing backoff, then the service starts and all completes', { timeout: 120_000 }, async () => {
    const port = await freeLoopbackPort();
    const address = `127.0.0.1:${port}`;
    const ws = workspace(`{address: "${address}"}`);
    const run = runTopology(ws);
    track(ws, run);
    let service: ChildProcess | undefined;
    cleanups.push(() => service?.kill('SIGKILL'));

    const restarts = (task: number): number[] => [...run.stderr.matchAll(new RegExp(`\\[split:${task}\\] restarting in (\\d+) ms`, 'g'))].map((m) => Number(m[1]));
    await run.waitForLog(/\[split:(\d+)\] restarting in \d+ ms[\s\S]*\[split:\1\] restarting in \d+ ms[\s\S]*\[split:\1\] restarting in \d+ ms/, 'three reconnect attempts by one task');
    const refused = new RegExp(`ERROR: \\[split:(\\d+)\\] .*cannot connect to the gRPC component at ${address}: connection refused.*component split, task \\1\\b`);
    assert.match(run.stderr, refused);
    const task = Number(refused.exec(run.stderr)![1]);
    const delays = restarts(task);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! > delays[i - 1]!, `backoff grows: ${delays.join(', ')}`);
    assert.equal(readSpoutLedger(ws.state).acked.size, 0, 'nothing completes without the bolt');

    service = spawn(VENV_PYTHON, ['-m', 'squall.grpc', 'split_bolt:SplitBolt', '--address', address], { cwd: ws.dir, env: venvEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let serviceLog = '';
    service.stderr!.on('data', (d: Buffer) => { serviceLog += d.toString(); });
    const serviceExit = new Promise((r) => service.on('exit', r));
    await run.waitForLog(/all \d+ sentences acked/, `every sentence acked (service log: ${serviceLog})`);
    const { json } = await run.stop();
    assertNothingLost(ws.state, json);
    assert.equal(byId(json).split!.executed, SENTENCES);
    assert.ok(byId(json).split!.lastErrors.every((e) => e.message.includes(address)), 'every error names the address');
    const pids = readyPids(run.stderr);
    assert.equal(pids.size, 2, 'both tasks opened a stream');
    assert.deepEqual(new Set([...pids.values()].flat()), new Set([service.pid]), 'both streams served by the service started by hand');
    assert.match(serviceLog, new RegExp(`serving SplitBolt on ${address}`));

    service.kill('SIGTERM');
    assert.equal(await serviceExit, 0, `the service stops cleanly on SIGTERM:\n${serviceLog}`);
    await noneLeft(ws.dir);
  });

  test('a tuple over squall.grpc.max.message.bytes: RESOURCE_EXHAUSTED, same process, its tree failed and replayed, the rest completes', { timeout: 120_000 }, async () => {
    const ws = workspace();
    const run = runTopology(ws, ['squall.grpc.max.message.bytes=65536', 'fixture.huge.bytes=100000']);
    track(ws, run);
    await run.waitForLog(/all \d+ sentences acked/, 'every sentence acked');
    assert.ok(existsSync(join(ws.state, 'huge')), 'split_bolt.py emitted its huge tuple');
    const [taskText, pidText, id] = readFileSync(join(ws.state, 'huge'), 'utf8').split(' ') as [string, string, string];
    const [task, pid] = [Number(taskText), Number(pidText)];
    assert.ok(alive(pid), 'the component process survived');
    const { json } = await run.stop();
    assertNothingLost(ws.state, json);

    const errors = byId(json).split!.lastErrors;
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]!.task, task);
    assert.match(errors[0]!.message, /RESOURCE_EXHAUSTED/);
    assert.match(errors[0]!.message, /larger than squall\.grpc\.max\.message\.bytes \(65536 bytes\)/);
    assert.match(errors[0]!.message, new RegExp(`component split, task ${task}, pid ${pid}\\b`));
    assert.match(run.stderr, new RegExp(`ERROR: \\[split:${task}\\] .*RESOURCE_EXHAUSTED`));

    const pids = readyPids(run.stderr).get(task)!;
    assert.ok(pids.length >= 2, 'a new stream was opened');
    assert.deepEqual(new Set(pids), new Set([pid]), 'to the same process');
    const ledger = readSpoutLedger(ws.state);
    assert.ok((ledger.failed.get(id) ?? 0) >= 1, `the tree of ${id}, which got the huge tuple, failed`);
    assert.equal(ledger.acked.get(id), 1, `${id} was replayed and then acked`);
    assert.ok(byId(json).sentences!.failed >= 1);
    await noneLeft(ws.dir);
  });
});
