import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, runWordCount } from '../helpers/cli.js';

interface JsonStats {
  topology: string;
  stoppedBy: string;
  drained: { complete: boolean };
  components: Array<{ componentId: string; emitted: number; executed: number; acked: number; failed: number; errors: number }>;
}

test('squall run --json: exact word-count figures for a fixed input', async () => {
  const r = await runCli(['run', 'test/fixtures/fixed-wordcount.yaml', '--duration', '2s', '--json', '--no-status']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as JsonStats;
  const by = Object.fromEntries(out.components.map((c) => [c.componentId, c]));
  assert.equal(out.topology, 'fixed-wordcount');
  assert.equal(out.stoppedBy, 'duration');
  assert.equal(out.drained.complete, true);
  assert.equal(by.sentences!.acked, 600);
  assert.equal(by.sentences!.failed, 0);
  assert.equal(by.split!.executed, 600);
  assert.equal(by.count!.executed, 200 * (6 + 8 + 6));
  assert.equal(by.count!.acked, 4000);
  assert.match(r.stderr, /component\s+kind\s+tasks/, 'summary table on stderr with --json');
});

test('squall run prints a status line per second and a summary table', async () => {
  const r = await runCli(['run', 'examples/wordcount-js/topology.yaml', '--duration', '2.5s']);
  assert.equal(r.code, 0, r.stderr);
  const statusLines = r.stderr.split('\n').filter((l) => l.startsWith('['));
  assert.ok(statusLines.some((l) => /^\[\d+s\] sentences: \S+ emitted \S+ acked \S+ failed \S+\/s \| split: /.test(l)), r.stderr);
  assert.match(r.stdout, /topology "wordcount-js" ran 2\.\ds \(stopped by duration\)/);
  assert.match(r.stdout, /^sentences\s+spout\s+1\s+[\d,]+/m);
  assert.match(r.stdout, /^count\s+bolt\s+2\s+/m);
});

test('an invalid topology: every problem with file:line:column, exit 2, nothing started', async () => {
  const r = await runCli(['run', 'test/fixtures/invalid.yaml']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /invalid\.yaml:3:21: error: config "topology\.workers" must be an integer/);
  assert.match(r.stderr, /invalid\.yaml:8:5: error: component "sentences": unknown spout key "paralelism" \(did you mean "parallelism"\?\)/);
  assert.match(r.stderr, /invalid\.yaml:13:21: error: component "split": input from unknown component "sentence" \(did you mean "sentences"\?\)/);
  assert.match(r.stderr, /invalid\.yaml:17:48: error: component "count": .*"wrd".*did you mean "word"/);
  assert.match(r.stderr, /4 problems in topology/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('bad flags and missing files exit 2 with a one-line cause', async () => {
  const bad = await runCli(['run', 'test/fixtures/fixed-wordcount.yaml', '-c', 'topology.max.spout.pendng=5']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /did you mean "topology\.max\.spout\.pending"/);
  const dur = await runCli(['run', 'test/fixtures/fixed-wordcount.yaml', '--duration', 'soon']);
  assert.equal(dur.code, 2);
  assert.match(dur.stderr, /invalid --duration "soon"/);
  const missing = await runCli(['run', 'nope.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /topology file not found: nope\.yaml/);
});

test('a component module that cannot be loaded: named component, exit 2', async () => {
  const r = await runCli(['run', 'test/fixtures/fixed-wordcount.yaml', '--duration', '1s'], {});
  assert.equal(r.code, 0);
  const bad = await runCli(['run', 'test/fixtures/bad-export.yaml']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /has no export "SplitBlot" \(did you mean "SplitBolt"\?\) \(.*component split, task \d+\)/);
});

test('Ctrl-C drains in-flight tuples, closes components and exits 0', async () => {
  const r = await runCli(['run', 'examples/wordcount-js/topology.yaml', '--json', '--no-status'], {
    onStart: (pid) => setTimeout(() => process.kill(pid, 'SIGINT'), 1500),
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as JsonStats;
  assert.equal(out.stoppedBy, 'signal');
  assert.equal(out.drained.complete, true);
  const spout = out.components.find((c) => c.componentId === 'sentences')!;
  assert.ok(spout.acked > 1000);
  assert.equal(spout.emitted, spout.acked, 'every emitted tree completed before exit');
  assert.match(r.stderr, /top words:/, 'cleanup ran');
});

test('a shell component whose command does not exist: named component, exit 2, no hang', async () => {
  const r = await runCli(['run', 'test/fixtures/command-not-found.yaml', '--duration', '2s'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /command not found: python4 \(running "python4 spout\.py" in .*\) \(topology notfound, component s, task \d+\)/);
  assert.match(r.stderr, /hint: install it or fix the command/);
});

test("the README's first command: the Python word count prints correct final counts", { timeout: 60_000 }, async () => {
  const r = await runWordCount('python-examples/wordcount/topology.yaml');
  const counts = r.counts;
  assert.equal(counts.size, 27, `27 distinct words in the final counts:\n${r.stderr}`);
  assert.equal(counts.get('the'), 800);
  assert.equal(counts.get('and'), 400);
  assert.equal(counts.get('seven'), 400);
  assert.ok([...counts].every(([w, n]) => ['the', 'and', 'seven'].includes(w) || n === 200));
  assert.match(r.stdout, /^sentences\s+spout\s+1\s+1,000\s+1,000\s+0\s+1,000\s+0\s/m);
});
