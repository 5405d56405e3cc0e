import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssue, type ValidationIssue } from '../../src/common/errors.js';
import { parseTopology } from '../../src/topology/load-native.js';
import { parseConfigOverrides } from '../../src/topology/overrides.js';
import type { SourcePos, TopologySpec } from '../../src/topology/spec.js';

const FILE = '/topologies/app/topology.yaml';

const doc = (...lines: string[]): string => lines.join('\n') + '\n';
const pos = (line: number, column: number): SourcePos => ({ file: FILE, line, column });

interface Expected {
  line: number;
  column: number;
  component?: string;
  /** Substrings the message must contain. */
  message: string[];
  /** Substrings the hint must contain; [] means "no hint required". */
  hint?: string[];
}

function matches(actual: ValidationIssue, want: Expected): void {
  const shown = formatIssue(actual);
  assert.equal(actual.file, FILE, shown);
  assert.deepEqual([actual.line, actual.column], [want.line, want.column], shown);
  assert.equal(actual.component, want.component, shown);
  assert.match(actual.message, /^[a-z"]/, `message should start in lower case: ${shown}`);
  for (const s of want.message) assert.ok(actual.message.includes(s), `message lacks ${JSON.stringify(s)}: ${shown}`);
  for (const s of want.hint ?? []) assert.ok(actual.hint?.includes(s), `hint lacks ${JSON.stringify(s)}: ${shown}`);
}

/** Parses `text`, expects no spec and exactly the given issues, in file order. */
function expectIssues(text: string, expected: Expected[], file = FILE): ValidationIssue[] {
  const result = parseTopology(text, file);
  const shown = result.issues.map(formatIssue).join('\n');
  assert.equal(result.spec, undefined, 'no spec when there are issues');
  assert.equal(result.issues.length, expected.length, `got:\n${shown}`);
  expected.forEach((want, i) => matches(result.issues[i]!, want));
  return result.issues;
}

function expectSpec(text: string): TopologySpec {
  const result = parseTopology(text, FILE);
  assert.deepEqual(result.issues, [], result.issues.map(formatIssue).join('\n'));
  assert.ok(result.spec);
  return result.spec;
}

/** A valid spout "s" (lines 1-5), to which a test appends its bolts. */
const HEAD = ['name: t', 'spouts:', '  - id: s', '    shell: [python3, s.py]', '    outputs: [line]'];

describe('parseTopology: a valid topology', () => {
  const text = doc(
    '# every feature once',                                                              // 1
    'name: wordcount',                                                                   // 2
    'config:',                                                                           // 3
    '  topology.workers: 2',                                                             // 4
    '  topology.max.spout.pending: 1000',                                                // 5
    'spouts:',                                                                           // 6
    '  - id: sentences',                                                                 // 7
    '    js: {module: ./spouts/sentences.js, export: SentenceSpout, args: [1, "x", {a: true}]}', // 8
    '    outputs: [sentence]',                                                           // 9
    '    parallelism: 2',                                                                // 10
    '  - id: numbers',                                                                   // 11
    '    shell: [python3, numbers.py]',                                                  // 12
    '    outputs:',                                                                      // 13
    '      default: [n]',                                                                // 14
    '      control: {fields: [task, cmd], direct: true}',                                // 15
    '    numTasks: 3',                                                                   // 16
    'bolts:',                                                                            // 17
    '  - id: split',                                                                     // 18
    '    js: {module: ../lib/split.js}',                                                 // 19
    '    outputs: [word]',                                                               // 20
    '    parallelism: 2',                                                                // 21
    '    numTasks: 4',                                                                   // 22
    '    config: {topology.tick.tuple.freq.secs: 5}',                                    // 23
    '    inputs:',                                                                       // 24
    '      - sentences',                                                                 // 25
    '      - {from: numbers, stream: control, grouping: direct}',                        // 26
    '  - id: count',                                                                     // 27
    '    grpc: {command: [python3, count.py]}',                                          // 28
    '    outputs: {default: {fields: [word, count]}}',                                   // 29
    '    inputs:',                                                                       // 30
    '      - {from: split, grouping: {fields: word}}',                                   // 31
    '      - {from: count, grouping: all}',                                              // 32
    '      - {from: numbers, grouping: {partial_key: [n]}}',                             // 33
    '  - id: report',                                                                    // 34
    '    grpc: {address: "127.0.0.1:50051"}',                                            // 35
    '    inputs: [{from: count, grouping: global}, {from: split, grouping: none}]',      // 36
    '  - id: sink',                                                                      // 37
    '    js: {module: /opt/squall/sink.js, export: Sink}',                               // 38
    '    inputs: [{from: count, stream: default, grouping: local_or_shuffle}]',          // 39
    '  - id: log',                                                                       // 40
    '    js: {module: squall-log-bolt}',                                                 // 41
    '    inputs: [split]',                                                               // 42
  );

  it('produces the full spec, with positions and resolved module paths', () => {
    const spec = expectSpec(text);
    const expected: TopologySpec = {
      name: 'wordcount',
      config: { 'topology.workers': 2, 'topology.max.spout.pending': 1000 },
      source: FILE,
      spouts: [
        {
          id: 'sentences', kind: 'spout', pos: pos(7, 5),
          impl: { kind: 'js', module: '/topologies/app/spouts/sentences.js', export: 'SentenceSpout', args: [1, 'x', { a: true }] },
          outputs: [{ id: 'default', fields: ['sentence'], direct: false, pos: pos(9, 14) }],
          inputs: [], parallelism: 2, numTasks: 2, config: {},
        },
        {
          id: 'numbers', kind: 'spout', pos: pos(11, 5),
          impl: { kind: 'shell', command: ['python3', 'numbers.py'] },
          outputs: [
            { id: 'default', fields: ['n'], direct: false, pos: pos(14, 7) },
            { id: 'control', fields: ['task', 'cmd'], direct: true, pos: pos(15, 7) },
          ],
          inputs: [], parallelism: 1, numTasks: 3, config: {},
        },
      ],
      bolts: [
        {
          id: 'split', kind: 'bolt', pos: pos(18, 5),
          impl: { kind: 'js', module: '/topologies/lib/split.js', export: 'default', args: [] },
          outputs: [{ id: 'default', fields: ['word'], direct: false, pos: pos(20, 14) }],
          inputs: [
            { from: 'sentences', stream: 'default', grouping: { type: 'shuffle' }, pos: pos(25, 9) },
            { from: 'numbers', stream: 'control', grouping: { type: 'direct' }, pos: pos(26, 9) },
          ],
          parallelism: 2, numTasks: 4, config: { 'topology.tick.tuple.freq.secs': 5 },
        },
        {
          id: 'count', kind: 'bolt', pos: pos(27, 5),
          impl: { kind: 'grpc', command: ['python3', 'count.py'] },
          outputs: [{ id: 'default', fields: ['word', 'count'], direct: false, pos: pos(29, 15) }],
          inputs: [
            { from: 'split', stream: 'default', grouping: { type: 'fields', fields: ['word'] }, pos: pos(31, 9) },
            // A bolt may subscribe to itself: Storm allows cycles.
            { from: 'count', stream: 'default', grouping: { type: 'all' }, pos: pos(32, 9) },
            { from: 'numbers', stream: 'default', grouping: { type: 'partial_key', fields: ['n'] }, pos: pos(33, 9) },
          ],
          parallelism: 1, numTasks: 1, config: {},
        },
        {
          id: 'report', kind: 'bolt', pos: pos(34, 5),
          impl: { kind: 'grpc', address: '127.0.0.1:50051' },
          outputs: [],
          inputs: [
            { from: 'count', stream: 'default', grouping: { type: 'global' }, pos: pos(36, 14) },
            { from: 'split', stream: 'default', grouping: { type: 'none' }, pos: pos(36, 47) },
          ],
          parallelism: 1, numTasks: 1, config: {},
        },
        {
          id: 'sink', kind: 'bolt', pos: pos(37, 5),
          impl: { kind: 'js', module: '/opt/squall/sink.js', export: 'Sink', args: [] },
          outputs: [],
          inputs: [{ from: 'count', stream: 'default', grouping: { type: 'local_or_shuffle' }, pos: pos(39, 14) }],
          parallelism: 1, numTasks: 1, config: {},
        },
        {
          id: 'log', kind: 'bolt', pos: pos(40, 5),
          impl: { kind: 'js', module: 'squall-log-bolt', export: 'default', args: [] },
          outputs: [],
          inputs: [{ from: 'split', stream: 'default', grouping: { type: 'shuffle' }, pos: pos(42, 14) }],
          parallelism: 1, numTasks: 1, config: {},
        },
      ],
    };
    assert.deepEqual(spec, expected);
    assert.deepEqual(parseTopology(text, FILE).warnings, []);
  });

  it('reads the same topology from JSON, positions included', () => {
    const json = JSON.stringify({
      name: 'wc',
      spouts: [{ id: 's', shell: ['python3', 's.py'], outputs: ['line'] }],
      bolts: [{ id: 'b', js: { module: './b.js' }, inputs: [{ from: 's', grouping: { fields: ['line'] } }] }],
    }, null, 2);
    const spec = expectSpec(json);
    assert.equal(spec.name, 'wc');
    assert.deepEqual(spec.spouts[0]!.pos, pos(4, 5));
    assert.deepEqual(spec.bolts[0]!.impl, { kind: 'js', module: '/topologies/app/b.js', export: 'default', args: [] });
    assert.deepEqual(spec.bolts[0]!.inputs[0]!.grouping, { type: 'fields', fields: ['line'] });
  });

  it('treats a null "bolts" and "outputs" as absent', () => {
    const spec = expectSpec(doc('name: t', 'spouts:', '  - id: s', '    shell: [x]', '    outputs:', 'bolts:'));
    assert.deepEqual(spec.bolts, []);
    assert.deepEqual(spec.spouts[0]!.outputs, []);
  });
});

describe('parseTopology: syntax and document shape', () => {
  it('reports YAML syntax errors at the parser\'s position', () => {
    expectIssues(doc('name: t', 'spouts: [', '  {id: s, shell: [x]}', 'bolts: []'), [
      { line: 4, column: 1, message: ['invalid YAML', 'flow sequence'] },
    ]);
  });

  it('rejects several documents in one file', () => {
    expectIssues(doc(...HEAD, '---', 'name: u'), [{ line: 6, column: 1, message: ['several documents'] }]);
  });

  it('reports JSON syntax errors with their position', () => {
    expectIssues('{\n  "name": "t",\n  "spouts": [}\n}\n', [
      { line: 3, column: 14, message: ['invalid YAML'] },
    ], FILE);
  });

  it('rejects a top level that is not a map', () => {
    expectIssues(doc('- name: t'), [{ line: 1, column: 1, message: ['must be a map', 'got a list'], hint: ['name', 'spouts'] }]);
    expectIssues('"wordcount"', [{ line: 1, column: 1, message: ['must be a map', 'got the string "wordcount"'] }]);
  });

  it('rejects an empty file', () => {
    expectIssues('# nothing here\n', [{ line: 1, column: 1, message: ['empty'], hint: ['"name"', '"spouts"'] }]);
  });
});

describe('parseTopology: unknown keys', () => {
  it('suggests the closest key and lists the valid ones, at every level', () => {
    expectIssues(doc(
      'name: t',
      'spouts:',
      '  - id: s',
      '    js: {module: ./s.js, exprt: S}',
      '    paralelism: 2',
      '    outputs: {default: {feilds: [a]}}',
      'bolt:',
      '  - id: b',
      '    grpc: {adress: "h:1"}',
      '    inputs: [{from: s, groupng: shuffle}]',
    ), [
      { line: 4, column: 26, component: 's', message: ['unknown js key "exprt"', 'did you mean "export"?'], hint: ['module, export, args'] },
      { line: 5, column: 5, component: 's', message: ['unknown spout key "paralelism"', 'did you mean "parallelism"?'], hint: ['parallelism', 'numTasks'] },
      { line: 6, column: 24, component: 's', message: ['stream "default" is missing "fields"'] },
      { line: 6, column: 25, component: 's', message: ['unknown stream key "feilds"', 'did you mean "fields"?'], hint: ['fields, direct'] },
      { line: 7, column: 1, message: ['unknown top-level key "bolt"', 'did you mean "bolts"?'], hint: ['name, config, spouts, bolts'] },
    ]);
    expectIssues(doc(...HEAD, 'bolts:', '  - id: b', '    grpc: {adress: "h:1"}', '    inputs: [{from: s, groupng: shuffle}]'), [
      { line: 8, column: 11, component: 'b', message: ['"grpc" needs "command" or "address"'] },
      { line: 8, column: 12, component: 'b', message: ['unknown grpc key "adress"', 'did you mean "address"?'], hint: ['command, address'] },
      { line: 9, column: 24, component: 'b', message: ['unknown input key "groupng"', 'did you mean "grouping"?'], hint: ['from, stream, grouping'] },
    ]);
  });

  it('says "unknown key" without a suggestion when nothing is close', () => {
    const [issue] = expectIssues(doc(...HEAD, 'colour: blue'), [{ line: 6, column: 1, message: ['unknown top-level key "colour"'] }]);
    assert.ok(!issue!.message.includes('did you mean'));
  });
});

describe('parseTopology: wrong types', () => {
  it('says what was expected and what was found', () => {
    expectIssues(doc(
      'name: 42',
      'config: [a]',
      'spouts:',
      '  - id: s',
      '    shell: python3 s.py',
      '    outputs: line',
      '    parallelism: two',
      '    numTasks: 0',
      '  - id: 7',
      '    js: {module: 5, export: [x], args: {a: 1}}',
      '    outputs: {default: {fields: [a], direct: "yes"}}',
      '    config: 3',
      '  - just-a-string',
      'bolts: {id: b}',
    ), [
      { line: 1, column: 7, message: ['"name" must be a non-empty string (got number 42)'] },
      { line: 2, column: 9, message: ['"config" must be a map of config keys (got a list)'] },
      { line: 5, column: 12, component: 's', message: ['"shell" must be a list of strings', 'got the string "python3 s.py"'] },
      { line: 6, column: 14, component: 's', message: ['"outputs" must be a list of fields or a map of streams', 'got the string "line"'] },
      { line: 7, column: 18, component: 's', message: ['"parallelism" must be an integer >= 1 (got the string "two")'] },
      { line: 8, column: 15, component: 's', message: ['"numTasks" must be an integer >= 1 (got number 0)'] },
      { line: 9, column: 9, message: ['"id" must be a non-empty string (got number 7)'] },
      { line: 10, column: 18, message: ['"module" must be a non-empty string (got number 5)'] },
      { line: 10, column: 29, message: ['"export" must be a non-empty string (got a list)'] },
      { line: 10, column: 40, message: ['"args" must be a list (got a map)'] },
      { line: 11, column: 46, message: ['"direct" must be true or false (got the string "yes")'] },
      { line: 12, column: 13, message: ['"config" must be a map of config keys (got number 3)'] },
      { line: 13, column: 5, message: ['each spout must be a map', 'got the string "just-a-string"'] },
      { line: 14, column: 8, message: ['"bolts" must be a list of bolts (got a map)'] },
    ]);
  });
});

describe('parseTopology: name and spouts', () => {
  it('requires a name', () => {
    expectIssues(doc(...HEAD.slice(1)), [{ line: 1, column: 1, message: ['missing topology "name"'], hint: ['name:'] }]);
  });

  it('rejects a name that does not match NAME_PATTERN', () => {
    expectIssues(doc('name: word count', ...HEAD.slice(1)), [
      { line: 1, column: 7, message: ['invalid topology name "word count"'], hint: ['letters, digits'] },
    ]);
  });

  it('requires spouts, and at least one', () => {
    expectIssues(doc('name: t'), [{ line: 1, column: 1, message: ['missing "spouts"', 'at least one spout'] }]);
    expectIssues(doc('name: t', 'spouts: []'), [{ line: 2, column: 9, message: ['"spouts" is empty'] }]);
    expectIssues(doc('name: t', 'spouts:'), [{ line: 2, column: 8, message: ['"spouts" is empty'] }]);
  });
});

describe('parseTopology: components', () => {
  it('requires an id', () => {
    expectIssues(doc('name: t', 'spouts:', '  - shell: [x]'), [
      { line: 3, column: 5, message: ['spout is missing "id"'], hint: ['unique'] },
    ]);
  });

  it('rejects invalid and reserved ids', () => {
    expectIssues(doc('name: t', 'spouts:', '  - {id: "my spout", shell: [x]}', '  - {id: __acker, shell: [x]}'), [
      { line: 3, column: 10, component: 'my spout', message: ['invalid id "my spout"'], hint: ['letters, digits'] },
      { line: 4, column: 10, component: '__acker', message: ['id "__acker" is reserved for system components'], hint: ['"__"'] },
    ]);
  });

  it('reports a duplicate id at the second occurrence, across spouts and bolts', () => {
    expectIssues(doc(...HEAD, 'bolts:', '  - id: s', '    shell: [x]', '    inputs: [s]'), [
      { line: 7, column: 9, component: 's', message: ['duplicate component id "s"', 'first defined at line 3'], hint: ['unique across spouts and bolts'] },
    ]);
  });

  it('requires exactly one of js, shell, grpc', () => {
    expectIssues(doc('name: t', 'spouts:', '  - id: a', '    outputs: [x]', '  - id: b', '    shell: [x]', '    grpc: {address: "h:1"}'), [
      { line: 3, column: 5, component: 'a', message: ['no implementation', '"js", "shell" or "grpc"'] },
      { line: 7, column: 5, component: 'b', message: ['several implementations ("shell", "grpc")', 'exactly one'] },
    ]);
  });

  it('rejects an empty shell command and a bad grpc map', () => {
    expectIssues(doc(
      'name: t', 'spouts:',
      '  - {id: a, shell: []}',
      '  - {id: b, shell: [python3, 3]}',
      '  - {id: c, grpc: {command: [x], address: "h:1"}}',
      '  - {id: d, grpc: {command: []}}',
    ), [
      { line: 3, column: 20, component: 'a', message: ['"shell" command is empty'], hint: ['[python3, bolt.py]'] },
      { line: 4, column: 30, component: 'b', message: ['"shell" items must be non-empty strings (got number 3)'] },
      { line: 5, column: 34, component: 'c', message: ['"command" or "address", not both'] },
      { line: 6, column: 29, component: 'd', message: ['"grpc" command is empty'] },
    ]);
  });

  it('rejects bad stream ids and field names', () => {
    expectIssues(doc(
      'name: t', 'spouts:',
      '  - id: s',
      '    shell: [x]',
      '    outputs:',
      '      __tick: [a]',
      '      "bad stream": [a]',
      '      ok: [a, "", a]',
    ), [
      { line: 6, column: 7, component: 's', message: ['stream id "__tick" is reserved for system streams'], hint: ['"__"'] },
      { line: 7, column: 7, component: 's', message: ['invalid stream id "bad stream"'], hint: ['letters, digits'] },
      { line: 8, column: 15, component: 's', message: ['field names must be non-empty strings (got the string "")'] },
      { line: 8, column: 19, component: 's', message: ['duplicate field "a" in stream "ok"'] },
    ]);
  });

  it('rejects parallelism greater than numTasks, naming both', () => {
    expectIssues(doc(...HEAD, '    parallelism: 4', '    numTasks: 2'), [
      { line: 6, column: 18, component: 's', message: ['parallelism 4', 'numTasks 2'], hint: ['raise numTasks', 'lower parallelism'] },
    ]);
    assert.equal(expectSpec(doc(...HEAD, '    parallelism: 3')).spouts[0]!.numTasks, 3);
    assert.equal(expectSpec(doc(...HEAD, '    numTasks: 3')).spouts[0]!.parallelism, 1);
  });
});

describe('parseTopology: inputs', () => {
  it('rejects inputs on a spout and a bolt without inputs', () => {
    expectIssues(doc(...HEAD, '    inputs: [s]', 'bolts:', '  - {id: a, shell: [x]}', '  - {id: b, shell: [x], inputs: []}'), [
      { line: 6, column: 5, component: 's', message: ['a spout cannot have inputs'] },
      { line: 8, column: 5, component: 'a', message: ['bolt has no inputs'], hint: ['inputs: [{from:'] },
      { line: 9, column: 33, component: 'b', message: ['bolt has no inputs'] },
    ]);
  });

  it('rejects an input from an unknown component, suggesting one', () => {
    expectIssues(doc(...HEAD, 'bolts:', '  - id: split', '    shell: [x]', '    inputs: [{from: s}, {from: splt}, spuot]'), [
      { line: 9, column: 32, component: 'split', message: ['input from unknown component "splt" (did you mean "split"?)'], hint: ['s, split'] },
      { line: 9, column: 39, component: 'split', message: ['input from unknown component "spuot"'] },
    ]);
  });

  it('rejects an undeclared stream, listing the declared ones', () => {
    expectIssues(doc(
      'name: t', 'spouts:',
      '  - id: s',
      '    shell: [x]',
      '    outputs: {errors: [msg]}',
      'bolts:',
      '  - id: b',
      '    shell: [x]',
      '    inputs: [{from: s, stream: erors}, {from: s}]',
    ), [
      { line: 9, column: 32, component: 'b', message: ['undeclared stream "erors" of "s"', 'did you mean "errors"?'], hint: ['declares streams: errors'] },
      { line: 9, column: 40, component: 'b', message: ['undeclared stream "default" of "s"'], hint: ['declares streams: errors'] },
    ]);
    expectIssues(doc('name: t', 'spouts: [{id: s, shell: [x]}]', 'bolts: [{id: b, shell: [x], inputs: [s]}]'), [
      { line: 3, column: 38, component: 'b', message: ['undeclared stream "default" of "s"'], hint: ['no output streams'] },
    ]);
  });

  it('rejects grouping on fields the stream does not declare', () => {
    expectIssues(doc(
      ...HEAD,
      'bolts:',
      '  - id: b',
      '    shell: [x]',
      '    inputs:',
      '      - {from: s, grouping: {fields: [lines]}}',
      '      - {from: b, grouping: {partial_key: [line, word]}}',
      '    outputs: [line]',
    ), [
      { line: 10, column: 39, component: 'b', message: ['fields grouping on field "lines"', 'stream "default" of "s"', 'did you mean "line"?'], hint: ['has fields: line'] },
      { line: 11, column: 50, component: 'b', message: ['partial_key grouping on field "word"', 'stream "default" of "b"'], hint: ['has fields: line'] },
    ]);
  });

  it('rejects direct grouping on a non-direct stream and the reverse', () => {
    expectIssues(doc(
      'name: t', 'spouts:',
      '  - id: s',
      '    shell: [x]',
      '    outputs: {default: [a], tasks: {fields: [a], direct: true}}',
      'bolts:',
      '  - id: b',
      '    shell: [x]',
      '    inputs: [{from: s, grouping: direct}, {from: s, stream: tasks}, {from: s, stream: tasks, grouping: {fields: [a]}}]',
    ), [
      { line: 9, column: 34, component: 'b', message: ['direct grouping on stream "default" of "s"', 'not declared direct'], hint: ['direct: true'] },
      { line: 9, column: 43, component: 'b', message: ['shuffle grouping on direct stream "tasks" of "s"'], hint: ['grouping: direct'] },
      { line: 9, column: 69, component: 'b', message: ['subscribes to stream "tasks" of "s" twice', 'first at line 9'] },
      { line: 9, column: 104, component: 'b', message: ['fields grouping on direct stream "tasks"'] },
    ]);
  });

  it('rejects unknown and malformed groupings', () => {
    expectIssues(doc(
      'name: t', 'spouts:',
      '  - id: s',
      '    shell: [x]',
      '    outputs: {default: [a], v: [a], x: [a], y: [a], z: [a], w: [a]}',
      'bolts:',
      '  - id: b',
      '    shell: [x]',
      '    inputs:',
      '      - {from: s, stream: default, grouping: shufle}',
      '      - {from: s, stream: v, grouping: fields}',
      '      - {from: s, stream: x, grouping: {feilds: [a]}}',
      '      - {from: s, stream: y, grouping: {global: [a]}}',
      '      - {from: s, stream: z, grouping: {fields: [a], partial_key: [a]}}',
      '      - {from: s, stream: w, grouping: {fields: []}}',
    ), [
      { line: 10, column: 46, component: 'b', message: ['unknown grouping "shufle" (did you mean "shuffle"?)'], hint: ['shuffle, fields, partial_key'] },
      { line: 11, column: 40, component: 'b', message: ['grouping "fields" needs a list of fields'], hint: ['{fields: [field, ...]}'] },
      { line: 12, column: 41, component: 'b', message: ['unknown grouping "feilds" (did you mean "fields"?)'] },
      { line: 13, column: 41, component: 'b', message: ['grouping "global" takes no fields'], hint: ['grouping: global'] },
      { line: 14, column: 40, component: 'b', message: ['exactly one key', '"fields" or "partial_key"'] },
      { line: 15, column: 49, component: 'b', message: ['fields grouping needs at least one field'] },
    ]);
  });

  it('rejects the same stream subscribed twice by one bolt, allows subscribing to itself', () => {
    expectIssues(doc(...HEAD, 'bolts:', '  - id: b', '    shell: [x]', '    inputs:', '      - s', '      - {from: s, stream: default, grouping: all}'), [
      { line: 11, column: 9, component: 'b', message: ['subscribes to stream "default" of "s" twice (first at line 10)'] },
    ]);
    const spec = expectSpec(doc(...HEAD, 'bolts:', '  - {id: b, shell: [x], outputs: [n], inputs: [s, b]}'));
    assert.deepEqual(spec.bolts[0]!.inputs.map((i) => i.from), ['s', 'b']);
  });

  it('requires "from" in an input map', () => {
    expectIssues(doc(...HEAD, 'bolts:', '  - {id: b, shell: [x], inputs: [{grouping: all}]}'), [
      { line: 7, column: 34, component: 'b', message: ['input is missing "from"'] },
    ]);
  });
});

describe('parseTopology: config', () => {
  it('turns validateConfig issues into positioned issues and warnings', () => {
    const text = doc(
      'name: t',
      'config:',
      '  topology.workers: two',
      '  topology.wrkers: 2',
      '  topology.made.up: 1',
      '  my.own.setting: x',
      'spouts:',
      '  - id: s',
      '    shell: [x]',
      '    config: {topology.tick.tuple.freq.secs: -1, topology.debug: yes}',
    );
    expectIssues(text, [
      { line: 3, column: 21, message: ['config "topology.workers" must be an integer (got the string "two")'], hint: ['worker processes'] },
      { line: 4, column: 3, message: ['unknown config key "topology.wrkers" (did you mean "topology.workers"?)'] },
      { line: 10, column: 45, component: 's', message: ['config "topology.tick.tuple.freq.secs" must be at least'] },
      { line: 10, column: 65, component: 's', message: ['config "topology.debug" must be true or false (got the string "yes")'] },
    ]);
    const { warnings } = parseTopology(text, FILE);
    assert.equal(warnings.length, 1);
    matches(warnings[0]!, { line: 5, column: 3, message: ['"topology.made.up" is not used by Squall'] });
  });

  it('keeps warnings on a valid topology', () => {
    const result = parseTopology(doc(...HEAD, '    config: {topology.made.up: 1}'), FILE);
    assert.ok(result.spec);
    assert.deepEqual(result.spec.spouts[0]!.config, { 'topology.made.up': 1 });
    assert.equal(result.warnings.length, 1);
    matches(result.warnings[0]!, { line: 6, column: 14, component: 's', message: ['not used by Squall'] });
  });
});

describe('parseTopology: many problems at once', () => {
  it('reports every problem, in file order', () => {
    const issues = expectIssues(doc(
      'name: t',
      'spouts:',
      '  - id: s',
      '    shel: [x]',
      '    outputs: [line]',
      'bolts:',
      '  - id: b',
      '    shell: [x]',
      '    parallelism: 0',
      '    inputs: [{from: s, grouping: {fields: [lin]}}, {from: nope}]',
    ), [
      { line: 3, column: 5, component: 's', message: ['no implementation'] },
      { line: 4, column: 5, component: 's', message: ['unknown spout key "shel"', 'did you mean "shell"?'] },
      { line: 9, column: 18, component: 'b', message: ['"parallelism" must be an integer >= 1'] },
      { line: 10, column: 44, component: 'b', message: ['fields grouping on field "lin"', 'did you mean "line"?'] },
      { line: 10, column: 59, component: 'b', message: ['unknown component "nope"'] },
    ]);
    assert.match(formatIssue(issues[1]!), /^\/topologies\/app\/topology\.yaml:4:5: error: component "s": unknown spout key "shel"/);
  });

  it('does not cross-check against a stream that has problems of its own', () => {
    expectIssues(doc(
      'name: t', 'spouts:', '  - id: s', '    shell: [x]', '    outputs: [a, a]',
      'bolts:', '  - {id: b, shell: [x], inputs: [{from: s, grouping: {fields: [z]}}]}',
    ), [
      { line: 5, column: 18, component: 's', message: ['duplicate field "a"'] },
    ]);
  });
});

describe('parseConfigOverrides', () => {
  it('parses values as YAML scalars and flow collections', () => {
    const { config, issues } = parseConfigOverrides([
      'topology.workers=2', 'topology.debug=true', 'topology.max.spout.pending=null',
      'my.list=[a, b]', 'my.map={x: 1}', 'my.quoted="a=b c"', 'my.plain=hello world', 'my.url=http://h:80/x',
    ]);
    assert.deepEqual(issues, []);
    assert.deepEqual(config, {
      'topology.workers': 2, 'topology.debug': true, 'topology.max.spout.pending': null,
      'my.list': ['a', 'b'], 'my.map': { x: 1 }, 'my.quoted': 'a=b c', 'my.plain': 'hello world', 'my.url': 'http://h:80/x',
    });
  });

  it('keeps a block collection as the raw string and reads an empty value as null, as Storm does', () => {
    assert.deepEqual(parseConfigOverrides(['my.text=a: b', 'my.empty=']).config, { 'my.text': 'a: b', 'my.empty': null });
  });

  it('lets a later flag win', () => {
    assert.deepEqual(parseConfigOverrides(['topology.workers=2', 'topology.workers=3']).config, { 'topology.workers': 3 });
  });

  it('names each bad flag', () => {
    const { issues } = parseConfigOverrides(['topology.workers', '=3', 'a=[1', 'topology.workers=two', 'topology.wrkers=1', 'topology.made.up=1']);
    assert.equal(issues.length, 5, issues.join('\n'));
    assert.match(issues[0]!, /^-c topology\.workers: expected key=value/);
    assert.match(issues[1]!, /^-c =3: .*non-empty key/);
    assert.match(issues[2]!, /^-c a=\[1: cannot parse the value/);
    assert.match(issues[3]!, /^-c topology\.workers=two: config "topology\.workers" must be an integer \(got the string "two"\)/);
    assert.match(issues[4]!, /^-c topology\.wrkers=1: unknown config key "topology\.wrkers" \(did you mean "topology\.workers"\?\)/);
  });
});
