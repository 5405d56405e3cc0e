/**
 * Fault injection for multilang subprocesses. Each scenario: a replaying spout, a shell bolt
 * with two tasks of which only the lowest misbehaves (once), and a counting bolt. Every
 * message must be acked exactly once, every word counted, the healthy sibling never
 * restarted, the faulty child restarted, and the cause reported with pid and details.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/common/logger.js';
import { createHostFactory } from '../../src/hosts/factory.js';
import { createRunDir, sweepRun } from '../../src/hosts/shell/pid-dirs.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compilePlan } from '../../src/topology/plan.js';
import { alive, readPid } from '../helpers/processes.js';
import { board, makeSpec, MULTILANG_FIXTURES, waitFor } from '../helpers/spec.js';

const SENTENCES = ['the cow jumped over the moon', 'an apple a day', 'four score and seven years ago'];
const REPEAT = 60;

interface Scenario {
  mode: string;
  /** A signal the test sends to the faulty child once it has processed some tuples. */
  signal?: NodeJS.Signals;
  /** Expected in the error reported for the bolt; undefined: no error expected. */
  error?: RegExp;
  timeoutSecs?: number;
}

const SCENARIOS: Scenario[] = [
  { mode: 'crash', error: /subprocess exited with code 7 \(.*component split, task \d+, pid \d+, exit code 7\)/ },
  { mode: 'ok', signal: 'SIGKILL', error: /killed by SIGKILL/ },
  { mode: 'ok', signal: 'SIGSTOP', timeoutSecs: 2, error: /did not answer for \d+ s .*pid \d+/ },
  { mode: 'print-stdout', error: /broke the multilang protocol: .*debugging: about to emit/s },
  { mode: 'stderr-flood' },
  { mode: 'exit-in-handshake', error: /exited with code 3/ },
  { mode: 'never-handshake', timeoutSecs: 2, error: /did not answer/ },
  { mode: 'huge-frame', error: /broke the multilang protocol: .*(too large|exceeds)/is },
  { mode: 'invalid-json', error: /broke the multilang protocol: .*oops/s },
  { mode: 'ack-unknown' },
  { mode: 'msgpack', error: /serializer mismatch/i },
];

function expected(): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of SENTENCES) for (const w of s.split(' ')) m.set(w, (m.get(w) ?? 0) + REPEAT);
  return m;
}

describe('a misbehaving multilang child takes down only its own task, and nothing is lost', { concurrency: 1 }, () => {
  for (const sc of SCENARIOS) {
    const name = sc.signal ? `${sc.signal} to a child` : sc.mode;
    test(name, { timeout: 60_000 }, async () => {
      const key = `fault-${name}`;
      const state = mkdtempSync(join(tmpdir(), 'squall-fault-'));
      const spec = makeSpec(key, [
        { id: 'sentences', export: 'FixedSpout', args: [key, SENTENCES, REPEAT, true], outputs: ['sentence'] },
      ], [
        { id: 'split', shell: ['python3', join(MULTILANG_FIXTURES, 'fault_bolt.py'), sc.mode, state], outputs: ['word'], parallelism: 2, inputs: [{ from: 'sentences' }] },
        { id: 'count', export: 'CountBolt', args: [key], parallelism: 2, outputs: ['word', 'count'], inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
      ], { 'topology.max.spout.pending': 10, 'topology.subprocess.timeout.secs': sc.timeoutSecs ?? 30 });
      const plan = compilePlan(spec);
      const [faultyTask, siblingTask] = plan.components.get('split')!.tasks as [number, number];
      const runDir = await createRunDir(join(state, 'runs'), silentLogger);
      const rt = await Runtime.create({ plan, factory: createHostFactory({ runDir, baseEnv: process.env }) });
      const pids: number[] = [];
      try {
        rt.start();
        const b = board(key);
        if (sc.signal) {
          await waitFor(() => b.acked.size >= 20 && readPid(state, faultyTask) !== undefined, 20_000, 'some progress');
          const pid = readPid(state, faultyTask)!;
          pids.push(pid);
          process.kill(pid, sc.signal);
        }
        await waitFor(() => b.acked.size === SENTENCES.length * REPEAT, 45_000, 'every message acked');
        assert.ok([...b.acked.values()].every((n) => n === 1), 'acked exactly once at the spout');
        for (const [w, n] of expected()) assert.ok((b.counts.get(w) ?? 0) >= n, `"${w}" counted at least ${n} times`);
        const split = rt.stats().find((s) => s.componentId === 'split')!;
        const errors = split.lastErrors.map((e) => e.message).join('\n');
        if (sc.error) {
          assert.match(errors, sc.error);
          assert.match(errors, new RegExp(`task ${faultyTask}`));
          assert.doesNotMatch(errors, new RegExp(`task ${siblingTask}\\b`), 'the sibling had no error');
        } else {
          assert.equal(errors, '', 'no error reported');
        }
        const siblingPid = readPid(state, siblingTask)!;
        pids.push(siblingPid, readPid(state, faultyTask)!);
        assert.ok(alive(siblingPid), 'the healthy sibling is still the same process');
      } finally {
        await rt.close();
        await sweepRun(runDir.path, runDir.runId, silentLogger);
      }
      await waitFor(() => pids.every((p) => !alive(p)), 5000, 'no child left running');
    });
  }
});
