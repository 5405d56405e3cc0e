/**
 * Squall's Python multilang adapter (multilang/python/squall): its own unittest suite, then
 * the Python examples run end to end under the local runtime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MemoryLogger, type LogRecord } from '../../src/common/logger.js';
import { loadTopologyFile } from '../../src/local/load-topology.js';
import { runLocal } from '../../src/local/local-mode.js';
import type { ComponentStats } from '../../src/runtime/stats.js';
import { ROOT } from '../helpers/cli.js';
import { runProgram, type ProgramResult } from '../helpers/processes.js';

function run(cmd: string, args: string[], timeoutMs: number): Promise<ProgramResult> {
  return runProgram(cmd, args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs });
}

test('the Python adapter\'s unittest suite passes', { timeout: 180_000 }, async () => {
  const args = ['-m', 'unittest', 'discover', '-s', 'multilang/python/tests', '-t', 'multilang/python'];
  const r = await run('python3', args, 170_000);
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.code, 0, `python3 ${args.join(' ')} exited with ${r.code ?? r.signal}:\n${output}`);
  assert.match(output, /\nOK/, output);
});

async function runExample(dir: string, durationMs: number): Promise<{ stats: Map<string, ComponentStats>; logs: LogRecord[] }> {
  const loaded = await loadTopologyFile(join(ROOT, 'python-examples', dir, 'topology.yaml'));
  const logger = new MemoryLogger();
  const result = await runLocal({ plan: loaded.plan, durationMs, drainTimeoutMs: 10_000, env: process.env, logger });
  return { stats: new Map(result.stats.map((s) => [s.componentId, s])), logs: logger.records };
}

function messages(logs: LogRecord[], prefix: string): string[] {
  return logs.map((r) => r.msg).filter((m) => m.startsWith(prefix));
}

function dump(logs: LogRecord[]): string {
  return logs.map((r) => `${r.level}: ${r.msg}`).join('\n');
}

describe('Python examples', { concurrency: 1 }, () => {
  test('wordcount: exact final counts, as in its README', { timeout: 60_000 }, async () => {
    const { stats, logs } = await runExample('wordcount', 3000);
    const readme = readFileSync(join(ROOT, 'python-examples/wordcount/README.md'), 'utf8');
    const expected = /^(a=\d+ .*)$/m.exec(readme)![1]!.split(' ').sort();
    const finals = messages(logs, 'final counts: ');
    assert.equal(finals.length, 2, dump(logs));
    const got = finals.flatMap((m) => m.slice('final counts: '.length).split(' ')).sort();
    assert.deepEqual(got, expected);
    assert.ok(messages(logs, 'counts so far: ').length >= 2, 'tick tuples every 2 s');
    assert.deepEqual(messages(logs, 'all 1000 sentences'), ['all 1000 sentences acked (0 replayed)']);
    assert.equal(stats.get('sentences')!.acked, 1000);
    assert.equal(stats.get('sentences')!.failed, 0);
    assert.equal(stats.get('split')!.emitted, 6400);
    assert.ok(logs.every((r) => r.level !== 'error'), dump(logs));
  });

  test('reliable: failed tuples are replayed until every message is acked', { timeout: 60_000 }, async () => {
    const { stats, logs } = await runExample('reliable', 3000);
    const done = messages(logs, 'all 200 messages acked: ');
    assert.equal(done.length, 1, dump(logs));
    const replays = Number(/: (\d+) replays/.exec(done[0]!)![1]);
    const spout = stats.get('messages')!;
    assert.equal(spout.acked, 200);
    assert.equal(spout.failed, replays);
    assert.equal(spout.emitted, 200 + replays);
    const processed = messages(logs, 'processed ').map((m) => Number(/processed (\d+)/.exec(m)![1]));
    assert.equal(processed.reduce((a, b) => a + b, 0), 200);
  });

  test('any-language: an awk bolt with no adapter, over ndjson', { timeout: 60_000 }, async () => {
    const { stats, logs } = await runExample('any-language', 2000);
    assert.deepEqual(messages(logs, 'line '), [
      'line 0: HELLO FROM PYTHON',
      'line 1: AWK SPEAKS JSON, KIND OF',
      'line 2: TABS\tAND "QUOTES" SURVIVE',
      'line 3: CAF\u00e9 CR\u00e8ME BR\u00fbL\u00e9E',
      'line 4: THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG',
    ], dump(logs));
    assert.deepEqual(messages(logs, 'all 5 lines'), ['all 5 lines acked']);
    assert.equal(stats.get('upper')!.acked, 5);
  });
});
