/**
 * The Python topology DSL (multilang/python/squall/topology.py) as Squall reads it: `squall run
 * topology.py` with real Python, the spec equal to the YAML one, `--yaml` output that our loader
 * reads back into the same spec, errors that name the .py file and line, and the package
 * `squall submit` builds (the generated spec inside, readable without Python).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TopologyValidationError, UsageError } from '../../src/common/errors.js';
import { PYTHON_ADAPTER_DIR } from '../../src/hosts/factory.js';
import { loadTopologyFile } from '../../src/local/load-topology.js';
import { createPackage } from '../../src/packages/create-package.js';
import { safeExtract } from '../../src/packages/safe-extract.js';
import type { TopologySpec } from '../../src/topology/spec.js';
import { ROOT, runCli, runWordCount } from '../helpers/cli.js';

const WORDCOUNT = join(ROOT, 'python-examples', 'wordcount');
const dir = mkdtempSync(join(tmpdir(), 'squall-dsl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PYTHON = { python: {} };

/** The spec without what depends on where it was read from: positions and source file. */
function portable(spec: TopologySpec): unknown {
  return JSON.parse(JSON.stringify({ ...spec, source: undefined }, (k, v: unknown) => (k === 'pos' ? undefined : v)));
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function dsl(...args: string[]): string {
  const env = { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR, PYTHONDONTWRITEBYTECODE: '1' };
  const r = spawnSync('python3', ['-m', 'squall.topology', ...args], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const EVERYTHING = `
from squall.topology import *

class Everything(Topology):
    name = "everything"
    config = {"topology.workers": 2, "topology.max.spout.pending": 100, "topology.environment": {"A": "b c"}}

    lines = Spout.spec(["python3", "spout.py", "--rate", "10"], outputs=[Stream(["line", "n"]), Stream(["id"], name="ids", direct=True)], par=2, tasks=4)
    numbers = Spout.spec(Js("./numbers.js", export="Numbers", args=[1, "two", None, {"x": [True, 1.5]}]), outputs=["n"])
    upper = Bolt.spec("sh", "upper.sh", inputs={lines: shuffle, lines["ids"]: direct}, outputs=["line", "n"],
                      config={"topology.multilang.serializer": "ndjson"}, env={"LANG": "C"})
    by_line = Bolt.spec(Grpc(command=["python3", "svc.py"]), inputs={upper: fields("line")}, outputs=[Stream(["k"], name="errors")])
    by_key = Bolt.spec(Grpc(address="127.0.0.1:50051"), inputs={upper: partial_key("line", "n"), numbers: all_})
    sink = Bolt.spec("python3", "sink.py", inputs={by_line["errors"]: global_, numbers: local_or_shuffle, "upper": none})
`;

describe('the spec a Python topology defines', () => {
  test('the word count in topology.py is the word count in topology.yaml', { timeout: 60_000 }, async () => {
    const py = await loadTopologyFile(join(WORDCOUNT, 'topology.py'), {}, process.env, PYTHON);
    const yaml = await loadTopologyFile(join(WORDCOUNT, 'topology.yaml'));
    assert.deepEqual(portable(py.spec), portable(yaml.spec));
    assert.equal(py.spec.source, join(WORDCOUNT, 'topology.py'), 'shell components run beside the .py file');
    const lines = readFileSync(join(WORDCOUNT, 'topology.py'), 'utf8').split('\n');
    assert.match(lines[py.spec.bolts[1]!.pos!.line - 1]!, /^ {4}count = Bolt\.spec\(/, 'positions are lines of the .py file');
    assert.deepEqual(JSON.parse(py.generated!), JSON.parse(dsl(join(WORDCOUNT, 'topology.py'), '--json')));
  });

  test('--yaml and --json output load into the spec of the .py file', { timeout: 60_000 }, async () => {
    const py = write('everything.py', EVERYTHING);
    const fromPy = await loadTopologyFile(py, {}, process.env, PYTHON);
    const fromYaml = await loadTopologyFile(write('everything.yaml', dsl(py, '--yaml')));
    const fromJson = await loadTopologyFile(write('everything.json', dsl(py, '--json')));
    assert.deepEqual(portable(fromYaml.spec), portable(fromPy.spec));
    assert.deepEqual(portable(fromJson.spec), portable(fromPy.spec));
    // Spot checks that the spec is the one written, not merely the same wrong one three times.
    const ids = [...fromPy.spec.spouts, ...fromPy.spec.bolts].map((c) => c.id);
    assert.deepEqual(ids, ['lines', 'numbers', 'upper', 'by_line', 'by_key', 'sink']);
    const upper = fromPy.spec.bolts[0]!;
    assert.deepEqual(upper.inputs.map((i) => [i.from, i.stream, i.grouping.type]), [['lines', 'default', 'shuffle'], ['lines', 'ids', 'direct']]);
    assert.deepEqual(upper.config['topology.environment'], { LANG: 'C' });
    assert.deepEqual(fromPy.spec.spouts[1]!.impl, { kind: 'js', module: join(dir, 'numbers.js'), export: 'Numbers', args: [1, 'two', null, { x: [true, 1.5] }] });
    assert.deepEqual(fromPy.spec.bolts[2]!.inputs[0]!.grouping, { type: 'partial_key', fields: ['line', 'n'] });
  });
});

describe('mistakes in a Python topology', () => {
  test('a syntax error: exit 2, naming file:line, no stack trace', { timeout: 30_000 }, async () => {
    const py = write('syntax.py', 'from squall.topology import *\n\nclass T(Topology):\n    s = Spout.spec("sh", "s.sh"\n');
    const r = await runCli(['run', py, '--duration', '1s']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: cannot load Python topology: SyntaxError: .*\(.*syntax\.py:4\)$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no JavaScript stack trace');
    assert.doesNotMatch(r.stderr, /Traceback/, 'no Python traceback');
  });

  test('a file without a Topology subclass, and one with several', { timeout: 30_000 }, async () => {
    const none = await runCli(['run', write('none.py', 'x = 1\n')]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /none\.py defines no Topology subclass with components/);
    const two = write('two.py', 'from squall.topology import *\nclass A(Topology):\n    s = Spout.spec("sh", "a.sh")\nclass B(Topology):\n    s = Spout.spec("sh", "b.sh")\n');
    const several = await runCli(['run', two]);
    assert.equal(several.code, 2, several.stderr);
    assert.match(several.stderr, /several topologies: A, B/);
    assert.match(several.stderr, /hint: choose one with --class A/);
    const chosen = await loadTopologyFile(two, {}, process.env, { python: { className: 'B' } });
    assert.deepEqual(chosen.spec.spouts[0]!.impl, { kind: 'shell', command: ['sh', 'b.sh'] });
  });

  test('a fields grouping on an undeclared field: the native validator\'s message, at the bolt\'s line', { timeout: 30_000 }, async () => {
    const py = write('badfield.py', [
      'from squall.topology import *', '', 'class T(Topology):',
      '    s = Spout.spec("sh", "s.sh", outputs=["sentence"])',
      '    b = Bolt.spec("sh", "b.sh",', '                  inputs={s: fields("word")})', '',
    ].join('\n'));
    const r = await runCli(['run', py]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /badfield\.py:5:1: error: component "b": fields grouping on field "word", which stream "default" of "s" does not declare/);
    assert.match(r.stderr, /hint: stream "default" of "s" has fields: sentence/);
    await assert.rejects(loadTopologyFile(py, {}, process.env, PYTHON), (err: unknown) => {
      assert.ok(err instanceof TopologyValidationError);
      assert.deepEqual(err.issues.map((i) => [i.file, i.line]), [[py, 5]]);
      return true;
    });
  });

  test('an exception in the file names the line that raised it', { timeout: 30_000 }, async () => {
    const py = write('raises.py', 'from squall.topology import *\n\nclass T(Topology):\n    s = Spout.spec(COMMAND)\n');
    await assert.rejects(loadTopologyFile(py, {}, process.env, PYTHON), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, "cannot load Python topology: NameError: name 'COMMAND' is not defined");
      assert.deepEqual([err.context.file, err.context.line], [py, 4]);
      return true;
    });
  });

  test('without python3 on PATH, and where Python topologies are not allowed', { timeout: 30_000 }, async () => {
    const py = join(WORDCOUNT, 'topology.py');
    await assert.rejects(loadTopologyFile(py, {}, { PATH: dir }, PYTHON), /cannot run python3 to read the Python topology: command not found/);
    // Nimbus and workers load packages from others: they never run a .py file.
    await assert.rejects(loadTopologyFile(py), (err: unknown) => err instanceof UsageError && /is a Python topology, which is not run here/.test(err.message));
    const r = await runCli(['run', join(WORDCOUNT, 'topology.yaml'), '--class', 'WordCount']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--class applies to Python topologies only/);
  });
});

test('the package squall submit builds holds the generated spec, which loads without Python', { timeout: 60_000 }, async () => {
  const loaded = await loadTopologyFile(join(WORDCOUNT, 'topology.py'), {}, process.env, PYTHON);
  const bytes = await createPackage(WORDCOUNT, { extraFiles: [{ path: 'topology.py.json', content: loaded.generated! }] });
  assert.deepEqual(await createPackage(WORDCOUNT, { extraFiles: [{ path: 'topology.py.json', content: loaded.generated! }] }), bytes, 'reproducible');
  const root = join(dir, 'package');
  const listing = await safeExtract(bytes, root);
  assert.ok(listing.entries.some((e) => e.path === 'topology.py.json'), JSON.stringify(listing.entries));
  const fromPackage = await loadTopologyFile(join(root, 'topology.py.json'), {}, { PATH: dir });
  assert.deepEqual(portable(fromPackage.spec), portable(loaded.spec));
  await assert.rejects(createPackage(WORDCOUNT, { extraFiles: [{ path: 'topology.yaml', content: '{}' }] }), /"topology\.yaml" would be packed twice/);
});

test('squall run topology.py: the same final counts as the YAML word count', { timeout: 60_000 }, async () => {
  const r = await runWordCount('python-examples/wordcount/topology.py');
  const counts = r.counts;
  const readme = readFileSync(join(WORDCOUNT, 'README.md'), 'utf8');
  const expected = new Map(/^(a=\d+ .*)$/m.exec(readme)![1]!.split(' ').map((p) => [p.split('=')[0]!, Number(p.split('=')[1])]));
  assert.deepEqual(new Map([...counts].sort()), new Map([...expected].sort()), r.stderr);
  assert.match(r.stdout, /^topology "wordcount" ran/m);
  assert.match(r.stdout, /^sentences\s+spout\s+1\s+1,000\s+1,000\s+0\s+1,000\s+0\s/m);
});
