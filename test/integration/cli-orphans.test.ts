/**
 * A crashed `squall run` leaves no component processes behind: children exit on stdin EOF, and
 * a child that does not is killed by the next run's pid-directory sweep.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MULTILANG_FIXTURES, waitFor } from '../helpers/spec.js';

function topology(dir: string, mode: string): string {
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, `
name: orphans
spouts:
  - id: sentences
    js: {module: ${JSON.stringify(join(MULTILANG_FIXTURES, '..', 'components.mjs'))}, export: FloodSpout, args: [orphans, true]}
    outputs: [sentence, n]
bolts:
  - id: split
    shell: [python3, ${JSON.stringify(join(MULTILANG_FIXTURES, 'fault_bolt.py'))}, ${mode}, ${JSON.stringify(dir)}]
    parallelism: 2
    outputs: [word]
    inputs: [sentences]
`);
  return file;
}

function pids(dir: string, tasks: number[]): number[] {
  return tasks.map((t) => join(dir, `${t}.pid`)).filter(existsSync).map((f) => Number(readFileSync(f, 'utf8')));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const started: number[] = [];
// A failing test must not leave its stuck children running.
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Runs squall until both bolt children are up, then kill -9s it; returns the children's pids. */
async function crashRun(dir: string, env: Record<string, string>): Promise<number[]> {
  let children: number[] = [];
  await runCli(['run', topology(dir, dir.includes('stuck') ? 'ignore-eof' : 'ok'), '--no-status'], {
    env,
    timeoutMs: 20_000,
    onStart: (pid) => {
      void waitFor(() => pids(dir, [3, 4]).length === 2, 15_000, 'children started').then(() => {
        children = pids(dir, [3, 4]);
        started.push(...children);
        process.kill(pid, 'SIGKILL');
      });
    },
  });
  return children;
}

test('children of a kill -9ed squall run exit on their own (stdin EOF)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'squall-orphans-'));
  const children = await crashRun(dir, { TMPDIR: dir });
  assert.equal(children.length, 2);
  await waitFor(() => children.every((p) => !alive(p)), 10_000, 'children exited');
});

test('a child that ignores EOF is killed by the next run\'s sweep', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'squall-stuck-'));
  const children = await crashRun(dir, { TMPDIR: dir });
  assert.equal(children.length, 2);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(children.every(alive), 'the stuck children outlived their parent');
  const next = await runCli(['run', 'test/fixtures/fixed-wordcount.yaml', '--duration', '0.5s', '--no-status'], { env: { TMPDIR: dir } });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /killed 2 leftover component process\(es\)/);
  await waitFor(() => children.every((p) => !alive(p)), 5000, 'stuck children killed');
});
