/**
 * examples/grpc-js as a user runs it: the built `squall run` CLI, a JavaScript bolt served with
 * serveComponent and launched per task (`grpc: {command: [node, upper-bolt.mjs]}`, importing
 * 'squall' by name), between an in-process spout and bolt. Exact output, exact statistics, no
 * process left behind; and the bolt's JSDoc types hold against the package's declarations.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { alive } from '../helpers/processes.js';
import { ensureCliBuilt } from '../helpers/python-grpc.js';
import { waitFor } from '../helpers/spec.js';

const EXAMPLE = join('examples', 'grpc-js');

interface Stats {
  componentId: string;
  tasks: number;
  emitted: number;
  executed: number;
  acked: number;
  failed: number;
  errors: number;
}

/** Log lines are `[time] LEVEL: [component:task] message`. */
function messages(stderr: string, component: string): string[] {
  const re = new RegExp(`^\\[[\\d:.]+\\] INFO: \\[${component}:\\d+\\] (.*)$`);
  return stderr.split('\n').map((l) => re.exec(l)?.[1]).filter((m): m is string => m !== undefined);
}

describe('examples/grpc-js', { concurrency: 1 }, () => {
  before(ensureCliBuilt, { timeout: 300_000 });

  test('squall run: every line upper-cased by a gRPC bolt launched per task, exact statistics', { timeout: 120_000 }, async () => {
    const r = await runCli(['run', EXAMPLE, '--duration', '3s', '--json', '--no-status'], { timeoutMs: 90_000 });
    const dump = `exit ${r.code} ${r.signal ?? ''}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
    assert.equal(r.code, 0, dump);
    const out = JSON.parse(r.stdout) as { topology: string; stoppedBy: string; drained: { complete: boolean }; components: Stats[] };
    assert.equal(out.topology, 'grpc-js');
    assert.equal(out.stoppedBy, 'duration');
    assert.equal(out.drained.complete, true, dump);
    const stats = new Map(out.components.map((c) => [c.componentId, c]));
    const pick = (id: string): Partial<Stats> => {
      const s = stats.get(id)!;
      return { tasks: s.tasks, emitted: s.emitted, executed: s.executed, acked: s.acked, failed: s.failed, errors: s.errors };
    };
    assert.deepEqual(pick('lines'), { tasks: 1, emitted: 5, executed: 0, acked: 5, failed: 0, errors: 0 }, dump);
    assert.deepEqual(pick('upper'), { tasks: 2, emitted: 5, executed: 5, acked: 5, failed: 0, errors: 0 }, dump);
    assert.deepEqual(pick('show'), { tasks: 1, emitted: 0, executed: 5, acked: 5, failed: 0, errors: 0 }, dump);

    assert.deepEqual(messages(r.stderr, 'show').sort(), [
      'line 0: HELLO FROM A JAVASCRIPT SPOUT',
      'line 1: THROUGH A GRPC BOLT',
      'line 2: AND BACK TO A JAVASCRIPT BOLT',
      'line 3: CAF\u00c9 CR\u00c8ME BR\u00dbL\u00c9E SURVIVES THE TRIP',
      'line 4: TABS\tAND "QUOTES" TOO',
    ], dump);
    assert.deepEqual(messages(r.stderr, 'lines'), ['all 5 lines acked'], dump);
    // One process per task, each announcing itself from prepare() through the stream's log.
    const serving = messages(r.stderr, 'upper').map((m) => /^serving UpperBolt for task (\d+) \(pid (\d+)\)$/.exec(m)).filter((m) => m !== null);
    assert.equal(serving.length, 2, dump);
    const pids = serving.map((m) => Number(m[2]));
    assert.notEqual(pids[0], pids[1], 'one process per task');
    // cleanup() logs on the way out, and the log still reaches the host.
    const cleaned = messages(r.stderr, 'upper').map((m) => /^task \d+ upper-cased (\d+) line\(s\)$/.exec(m)).filter((m) => m !== null);
    assert.equal(cleaned.length, 2, dump);
    assert.equal(cleaned.reduce((n, m) => n + Number(m[1]), 0), 5, dump);
    assert.doesNotMatch(r.stderr, /\b(WARN|ERROR):/, dump);
    await waitFor(() => pids.every((p) => !alive(p)), 5000, 'no component process left after the run');
  });

  test('upper-bolt.mjs type-checks (checkJs, strict) against the squall package it imports', { timeout: 120_000 }, async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '--noEmit', '--allowJs', '--checkJs', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--types', 'node', '--skipLibCheck', join(EXAMPLE, 'upper-bolt.mjs')];
    const r = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, args, { cwd: ROOT, timeout: 100_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      });
    });
    assert.equal(r.code, 0, r.output);
  });
});
