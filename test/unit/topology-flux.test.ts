import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { formatIssue, type ValidationIssue } from '../../src/common/errors.js';
import { parseTopologyAny } from '../../src/topology/load-any.js';
import { isFluxDocument, parseFlux, type FluxOptions } from '../../src/topology/load-flux.js';
import type { ParseResult } from '../../src/topology/load-native.js';
import type { SourcePos, TopologySpec } from '../../src/topology/spec.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const FILE = '/topologies/flux/topology.yaml';

const doc = (...lines: string[]): string => lines.join('\n') + '\n';
const pos = (line: number, column: number, file = FILE): SourcePos => ({ file, line, column });

interface Expected {
  line: number;
  column: number;
  /** Defaults to FILE. */
  file?: string;
  component?: string;
  /** Substrings the message must contain. */
  message: string[];
  /** Substrings the hint must contain. */
  hint?: string[];
}

/** Options with no environment, no properties, and the given files (absolute path → text). */
function options(over: Partial<FluxOptions> = {}, files: Record<string, string> = {}): FluxOptions {
  return { env: {}, readFile: (p) => (Object.hasOwn(files, p) ? files[p] : undefined), ...over };
}

function matches(actual: ValidationIssue, want: Expected): void {
  const shown = formatIssue(actual);
  assert.equal(actual.file, want.file ?? FILE, shown);
  assert.deepEqual([actual.line, actual.column], [want.line, want.column], shown);
  assert.equal(actual.component, want.component, shown);
  assert.match(actual.message, /^[a-z"$]/, `message should start in lower case: ${shown}`);
  for (const s of want.message) assert.ok(actual.message.includes(s), `message lacks ${JSON.stringify(s)}: ${shown}`);
  for (const s of want.hint ?? []) assert.ok(actual.hint?.includes(s), `hint lacks ${JSON.stringify(s)}: ${shown}`);
}

function expectAll(actual: ValidationIssue[], expected: Expected[]): void {
  const shown = actual.map(formatIssue).join('\n');
  assert.equal(actual.length, expected.length, `got:\n${shown}`);
  expected.forEach((want, i) => matches(actual[i]!, want));
}

/** Parses `text`, expects no spec and exactly the given issues, in order. */
function expectIssues(text: string, expected: Expected[], opts = options()): ParseResult {
  const result = parseFlux(text, FILE, opts);
  assert.equal(result.spec, undefined, 'no spec when there are issues');
  expectAll(result.issues, expected);
  return result;
}

function expectSpec(text: string, opts = options()): { spec: TopologySpec; warnings: ValidationIssue[] } {
  const result = parseFlux(text, FILE, opts);
  assert.deepEqual(result.issues, [], result.issues.map(formatIssue).join('\n'));
  assert.ok(result.spec);
  return { spec: result.spec, warnings: result.warnings };
}

/** A valid spout "s" emitting [line] (lines 1-3); tests append bolts from line 4. */
const HEAD = ['name: t', 'spouts:', '  - {id: s, className: FluxShellSpout, constructorArgs: [[python3, s.py], [line]]}'];
const shell = (...command: string[]) => ({ kind: 'shell' as const, command });

describe('parseFlux: the Storm multilang word count', () => {
  const file = `${FIXTURES}flux/wordcount.yaml`;
  const text = readFileSync(file, 'utf8');
  const at = (line: number, column: number): SourcePos => pos(line, column, file);

  it('produces the full spec, with positions', () => {
    const result = parseFlux(text, file, options());
    assert.deepEqual(result.issues, [], result.issues.map(formatIssue).join('\n'));
    assert.deepEqual(result.warnings, []);
    const expected: TopologySpec = {
      name: 'flux-wordcount',
      config: { 'topology.workers': 1, 'topology.max.spout.pending': 100 },
      source: file,
      spouts: [{
        id: 'sentence-spout', kind: 'spout', pos: at(10, 5),
        impl: shell('python3', 'sentence_spout.py'),
        outputs: [{ id: 'default', fields: ['sentence'], direct: false, pos: at(17, 9) }],
        inputs: [], parallelism: 1, numTasks: 1, config: {},
      }],
      bolts: [
        {
          id: 'split', kind: 'bolt', pos: at(21, 5),
          impl: shell('python3', 'splitsentence.py'),
          outputs: [{ id: 'default', fields: ['word'], direct: false, pos: at(25, 9) }],
          inputs: [{ from: 'sentence-spout', stream: 'default', grouping: { type: 'shuffle' }, pos: at(37, 5) }],
          parallelism: 2, numTasks: 2, config: {},
        },
        {
          id: 'count', kind: 'bolt', pos: at(28, 5),
          impl: shell('python3', 'wordcount.py'),
          outputs: [{ id: 'default', fields: ['word', 'count'], direct: false, pos: at(32, 9) }],
          inputs: [{ from: 'split', stream: 'default', grouping: { type: 'fields', fields: ['word'] }, pos: at(43, 5) }],
          parallelism: 3, numTasks: 6, config: {},
        },
      ],
    };
    assert.deepEqual(result.spec, expected);
  });

  it('is told apart from a native topology', () => {
    const native = readFileSync(`${FIXTURES}fixed-wordcount.yaml`, 'utf8');
    assert.equal(isFluxDocument(text), true);
    assert.equal(isFluxDocument(native), false);
    assert.equal(isFluxDocument(doc('name: t', 'streams: []')), true);
    assert.equal(isFluxDocument(doc('name: t', 'spouts: [{"id": "s", "className": "FluxShellSpout"}]')), true);
    assert.equal(isFluxDocument(doc('# like Flux, with className: but no', 'name: t', 'spouts: [{id: s, shell: [x]}]')), false);
    assert.equal(parseTopologyAny(text, file, options()).spec?.name, 'flux-wordcount');
    assert.equal(parseTopologyAny(native, `${FIXTURES}fixed-wordcount.yaml`, options()).spec?.name, 'fixed-wordcount');
  });
});

describe('parseFlux: FluxShellSpout and FluxShellBolt', () => {
  it('declares streams, component config and environment through configMethods and properties', () => {
    const { spec, warnings } = expectSpec(doc(
      'name: t',                                                                                  // 1
      'spouts:',                                                                                  // 2
      '  - id: s',                                                                                // 3
      '    className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout',                     // 4
      '    constructorArgs: [[node, s.js]]',                                                      // 5
      '    configMethods:',                                                                       // 6
      '      - {name: setDefaultStream, args: [[line]]}',                                         // 7
      '      - {name: setNamedStream, args: [errors, [code, text]]}',                             // 8
      '      - {name: addComponentConfig, args: [rabbitmq.configfile, etc/rabbit.yml]}',         // 9
      '      - name: addComponentConfig',                                                         // 10
      '        args: [publisher.data_paths, [actions]]',                                          // 11
      '      - {name: addComponentConfig, args: [topology.max.spout.pending, 10]}',               // 12
      '      - {name: changeChildCWD, args: [true]}',                                             // 13
      '    properties:',                                                                          // 14
      '      - {name: env, value: {LANG: C.UTF-8}}',                                              // 15
      '    config: {topology.max.spout.pending: 20}',                                             // 16
      '    onHeapMemoryLoad: 128',                                                                // 17
      '    offHeapMemoryLoad: 0',                                                                 // 18
      '    cpuLoad: 50.5',                                                                        // 19
      'bolts:',                                                                                   // 20
      '  - id: b',                                                                                // 21
      '    className: FluxShellBolt',                                                             // 22
      '    constructorArgs: [[python3, b.py], [n]]',                                              // 23
      '    configMethods: [{name: setEnv, args: [{A: "1"}]}, {name: setNamedStream, args: [more, []]}]', // 24
      'streams:',                                                                                 // 25
      '  - {from: s, to: b, grouping: {type: SHUFFLE}}',                                          // 26
      '  - {from: s, to: b, grouping: {type: SHUFFLE, streamId: errors}}',                        // 27
    ));
    assert.deepEqual(warnings, []);
    const [s] = spec.spouts;
    assert.deepEqual(s!.impl, { kind: 'shell', command: ['node', 's.js'], env: { LANG: 'C.UTF-8' } });
    assert.deepEqual(s!.outputs, [
      { id: 'default', fields: ['line'], direct: false, pos: pos(7, 41) },
      { id: 'errors', fields: ['code', 'text'], direct: false, pos: pos(8, 39) },
    ]);
    // The "config" map overrides addComponentConfig, as Storm's addConfigurations does.
    assert.deepEqual(s!.config, {
      'rabbitmq.configfile': 'etc/rabbit.yml', 'publisher.data_paths': ['actions'], 'topology.max.spout.pending': 20,
    });
    const [b] = spec.bolts;
    assert.deepEqual(b!.impl, { kind: 'shell', command: ['python3', 'b.py'], env: { A: '1' } });
    assert.deepEqual(b!.outputs.map((o) => [o.id, o.fields]), [['default', ['n']], ['more', []]]);
    assert.deepEqual(b!.inputs.map((i) => i.stream), ['default', 'errors']);
  });

  it('rejects Java classes, naming the component and the class', () => {
    const result = expectIssues(doc(
      ...HEAD,
      'bolts:',
      '  - {id: count, className: com.example.RedisBolt, parallelism: 2}',
      '  - {id: log, className: org.apache.storm.flux.wrappers.bolts.LogInfoBolt}',
      '  - {id: wrong, className: FluxShellSpout, constructorArgs: [[x]]}',
      '  - {id: none, constructorArgs: [[x]]}',
      'streams:',
      '  - {from: s, to: count, grouping: {type: SHUFFLE}}',
      '  - {from: count, to: log, grouping: {type: FIELDS, args: [anything]}}',
      '  - {from: s, to: wrong, grouping: {type: SHUFFLE}}',
      '  - {from: s, to: none, grouping: {type: SHUFFLE}}',
    ), [
      { line: 5, column: 28, component: 'count', message: ['class "com.example.RedisBolt" is a Java class; Squall runs multilang components (FluxShellSpout/FluxShellBolt), JavaScript and gRPC components'], hint: ['FluxShellBolt', 'port it'] },
      { line: 6, column: 26, component: 'log', message: ['class "org.apache.storm.flux.wrappers.bolts.LogInfoBolt" is a Java class'] },
      { line: 7, column: 28, component: 'wrong', message: ['class "FluxShellSpout" is a spout; a bolt needs FluxShellBolt'] },
      { line: 8, column: 5, component: 'none', message: ['bolt is missing "className"'], hint: ['FluxShellBolt'] },
    ]);
    assert.equal(formatIssue(result.issues[0]!).split('\n')[0],
      `${FILE}:5:28: error: component "count": class "com.example.RedisBolt" is a Java class; Squall runs multilang components (FluxShellSpout/FluxShellBolt), JavaScript and gRPC components`);
  });

  it('checks constructor arguments, methods and their arguments', () => {
    expectIssues(doc(
      'name: t',
      'components: [{id: cmd, className: java.lang.String}]',
      'spouts:',
      '  - {id: a, className: FluxShellSpout, constructorArgs: [[x], [f], [g]]}',
      '  - {id: b, className: FluxShellSpout, constructorArgs: ["python3 b.py", [f]]}',
      '  - {id: c, className: FluxShellSpout, constructorArgs: [ref: cmd]}',
      '  - {id: d, className: FluxShellSpout}',
      '  - id: e',
      '    className: FluxShellSpout',
      '    constructorArgs: [[x]]',
      '    configMethods:',
      '      - {name: setNamedStreams, args: [x, [f]]}',
      '      - {name: setNamedStream, args: [x]}',
      '      - {name: setNamedStream, args: [__x, [f, f]]}',
      '      - {name: addComponentConfig, args: [topology.workers, two]}',
      '      - {name: setEnv, args: [{PORT: 8080}]}',
      '      - {name: setDefaultStream, args: [~]}',
      '    properties: [{name: envs, value: {}}]',
    ), [
      { line: 4, column: 57, component: 'a', message: ['no constructor of FluxShellSpout takes 3 arguments'], hint: ['constructorArgs: [[python3, bolt.py]'] },
      { line: 5, column: 58, component: 'b', message: ['the command (first constructor argument) must be a list of strings', 'got the string "python3 b.py"'] },
      { line: 6, column: 58, component: 'c', message: ['ref passes Java objects from "components"'] },
      { line: 7, column: 5, component: 'd', message: ['missing "constructorArgs": FluxShellSpout needs a command'] },
      { line: 12, column: 16, component: 'e', message: ['no method "setNamedStreams" in FluxShellSpout (did you mean "setNamedStream"?)'], hint: ['setNamedStream(id, [fields])'] },
      { line: 13, column: 9, component: 'e', message: ['setNamedStream takes 2 arguments (stream id, fields), not 1'] },
      { line: 14, column: 39, component: 'e', message: ['stream id "__x" is reserved'] },
      { line: 14, column: 48, component: 'e', message: ['duplicate field "f" in stream "__x"'] },
      { line: 15, column: 61, component: 'e', message: ['config "topology.workers" must be an integer'] },
      { line: 16, column: 38, component: 'e', message: ['environment variable "PORT" must be a string (got number 8080)'], hint: ['quote'] },
      { line: 17, column: 41, component: 'e', message: ['argument 1 of setDefaultStream is null'] },
      { line: 18, column: 25, component: 'e', message: ['no property "envs" in FluxShellSpout (did you mean "env"?)'], hint: ['defaultStream, env'] },
    ]);
  });

  it('follows Storm on counts: more executors than tasks runs one per task', () => {
    const { spec, warnings } = expectSpec(doc(
      'name: t',
      'spouts:',
      '  - {id: s, className: FluxShellSpout, constructorArgs: [[x], [f]], parallelism: 4, numTasks: 2}',
      '  - {id: u, className: FluxShellSpout, constructorArgs: [[x], [f]], numTasks: 3}',
    ));
    assert.deepEqual(spec.spouts.map((s) => [s.parallelism, s.numTasks]), [[2, 2], [1, 3]]);
    expectAll(warnings, [
      { line: 3, column: 82, component: 's', message: ['parallelism 4 is greater than numTasks 2', '2 executors run'] },
    ]);
  });

  it('warns about redeclared streams, ignored factories and changeChildCWD(false)', () => {
    const { spec, warnings } = expectSpec(doc(
      'name: t',
      'spouts:',
      '  - id: s',
      '    className: FluxShellSpout',
      '    constructorArgs: [[x], [a]]',
      '    factory: make',
      '    configMethods: [{name: setDefaultStream, args: [[b]]}, {name: changeChildCWD, args: [false]}]',
    ));
    assert.deepEqual(spec.spouts[0]!.outputs.map((o) => o.fields), [['b']]);
    expectAll(warnings, [
      { line: 6, column: 5, component: 's', message: ['"factory" is ignored'] },
      { line: 7, column: 53, component: 's', message: ['stream "default" is declared again, replacing its declaration at line 5'] },
      { line: 7, column: 90, component: 's', message: ['changeChildCWD(false) has no effect'] },
    ]);
  });
});

describe('parseFlux: streams and groupings', () => {
  const PKG = 'org.apache.storm.grouping.PartialKeyGrouping';
  const types = [
    '{type: ALL}', '{type: DIRECT, streamId: tasks}', '{type: SHUFFLE}', '{type: LOCAL_OR_SHUFFLE}',
    '{type: FIELDS, args: [word, n]}', '{type: GLOBAL}', '{type: NONE}',
    `{type: CUSTOM, customClass: {className: ${PKG}}}`,
    `{type: CUSTOM, customClass: {className: ${PKG}, constructorArgs: [ref: keyFields]}}`,
  ];

  it('maps every grouping type; DIRECT makes its stream direct, PartialKeyGrouping is partial_key', () => {
    const { spec, warnings } = expectSpec(doc(
      'name: t',
      'components:',
      '  - {id: keyFields, className: org.apache.storm.tuple.Fields, constructorArgs: [[n]]}',
      'spouts:',
      '  - id: s',
      '    className: FluxShellSpout',
      '    constructorArgs: [[x], [word, n]]',
      '    configMethods: [{name: setNamedStream, args: [tasks, [word]]}]',
      'bolts:',
      ...types.map((_, i) => `  - {id: b${i}, className: FluxShellBolt, constructorArgs: [[y]]}`),
      'streams:',
      ...types.map((g, i) => `  - {from: s, to: b${i}, grouping: ${g}}`),
    ));
    assert.deepEqual(warnings, []);
    assert.deepEqual(spec.bolts.map((b) => [b.inputs[0]!.stream, b.inputs[0]!.grouping]), [
      ['default', { type: 'all' }],
      ['tasks', { type: 'direct' }],
      ['default', { type: 'shuffle' }],
      ['default', { type: 'local_or_shuffle' }],
      ['default', { type: 'fields', fields: ['word', 'n'] }],
      ['default', { type: 'global' }],
      ['default', { type: 'none' }],
      // Storm's PartialKeyGrouping() keys on the first value.
      ['default', { type: 'partial_key', fields: ['word'] }],
      ['default', { type: 'partial_key', fields: ['n'] }],
    ]);
    assert.deepEqual(spec.spouts[0]!.outputs.map((o) => [o.id, o.direct]), [['default', false], ['tasks', true]]);
  });

  it('rejects CUSTOM groupings other than PartialKeyGrouping, and unknown or malformed groupings', () => {
    expectIssues(doc(
      ...HEAD,                                                                                 // 1-3
      'bolts: [{id: b, className: FluxShellBolt, constructorArgs: [[y]]}]',                  // 4
      'streams:',                                                                              // 5
      '  - {from: s, to: b, grouping: {type: CUSTOM, customClass: {className: org.apache.storm.testing.NGrouping}}}', // 6
      '  - {from: s, to: b, grouping: {type: shuffle}}',                                       // 7
      '  - {from: s, to: b, grouping: {type: FIELDS}}',                                        // 8
      '  - {from: s, to: b, grouping: {type: CUSTOM}}',                                        // 9
      '  - {from: s, to: b, grouping: {type: SHUFFLE, stream: x}}',                            // 10
      '  - {from: s, to: b}',                                                                  // 11
      `  - {from: s, to: b, grouping: {type: CUSTOM, customClass: {className: ${PKG}, constructorArgs: [1, 2]}}}`, // 12
    ), [
      { line: 6, column: 72, component: 'b', message: ['class "org.apache.storm.testing.NGrouping" of the CUSTOM grouping is a Java class; Squall cannot run custom groupings'], hint: ['PartialKeyGrouping'] },
      { line: 7, column: 39, component: 'b', message: ['unknown grouping type "shuffle" (did you mean "SHUFFLE"?)'], hint: ['ALL, CUSTOM, DIRECT'] },
      { line: 8, column: 39, component: 'b', message: ['a FIELDS grouping needs "args"'] },
      { line: 9, column: 39, component: 'b', message: ['a CUSTOM grouping needs "customClass"'] },
      { line: 10, column: 48, component: 'b', message: ['unknown grouping key "stream" (did you mean "streamId"?)'], hint: ['type, streamId, args, customClass'] },
      { line: 11, column: 5, component: 'b', message: ['stream is missing "grouping"'] },
      { line: 12, column: 135, component: 'b', message: ['these constructorArgs of PartialKeyGrouping need Java objects (2 given)'], hint: ['ref: keyFields'] },
    ]);
  });

  it('checks each stream against the components and streams it names', () => {
    expectIssues(doc(
      ...HEAD,                                                                                 // 1-3
      'bolts:',                                                                                // 4
      '  - {id: b, className: FluxShellBolt, constructorArgs: [[y]]}',                         // 5
      '  - {id: c, className: FluxShellBolt, constructorArgs: [[y], [n]]}',                    // 6
      'streams:',                                                                              // 7
      '  - {from: s, to: bb, grouping: {type: SHUFFLE}}',                                      // 8
      '  - {from: b, to: s, grouping: {type: SHUFFLE}}',                                       // 9
      '  - {from: x, to: b, grouping: {type: SHUFFLE}}',                                       // 10
      '  - {from: b, to: c, grouping: {type: SHUFFLE}}',                                       // 11
      '  - {from: s, to: c, grouping: {type: FIELDS, args: [lines]}}',                         // 12
      '  - {from: s, to: b, grouping: {type: SHUFFLE, streamId: lines}}',                      // 13
    ), [
      { line: 8, column: 19, component: 'bb', message: ['stream to unknown bolt "bb" (did you mean "b"?)'], hint: ['bolts: b, c'] },
      { line: 9, column: 19, component: 's', message: ['stream to spout "s"'] },
      { line: 10, column: 12, component: 'b', message: ['input from unknown component "x" (did you mean "s"?)'] },
      { line: 11, column: 32, component: 'c', message: ['input from undeclared stream "default" of "b"'], hint: ['setNamedStream'] },
      { line: 12, column: 54, component: 'c', message: ['fields grouping on field "lines"', '(did you mean "line"?)'], hint: ['has fields: line'] },
      { line: 13, column: 58, component: 'b', message: ['input from undeclared stream "lines" of "s"'], hint: ['declares streams: default'] },
    ]);
  });

  it('rejects a stream with both DIRECT and other subscribers', () => {
    expectIssues(doc(
      ...HEAD,
      'bolts:',
      '  - {id: b, className: FluxShellBolt, constructorArgs: [[y]]}',
      '  - {id: c, className: FluxShellBolt, constructorArgs: [[y]]}',
      'streams:',
      '  - {from: s, to: b, grouping: {type: DIRECT}}',
      '  - {from: s, to: c, grouping: {type: SHUFFLE}}',
    ), [
      { line: 9, column: 39, component: 'c', message: ['stream "default" of "s" has DIRECT subscribers (at line 8) and others'], hint: ['setNamedStream'] },
    ]);
  });

  it('lets a later edge between the same stream and bolt replace the first, as Storm does', () => {
    const { spec, warnings } = expectSpec(doc(
      ...HEAD,
      'bolts: [{id: b, className: FluxShellBolt, constructorArgs: [[y]]}]',
      'streams:',
      '  - {from: s, to: b, grouping: {type: SHUFFLE}}',
      '  - {from: s, to: b, grouping: {type: GLOBAL}}',
    ));
    assert.deepEqual(spec.bolts[0]!.inputs.map((i) => i.grouping), [{ type: 'global' }]);
    expectAll(warnings, [{ line: 7, column: 5, component: 'b', message: ['stream "default" of "s" to "b" is defined twice (first at line 6)'] }]);
  });

  it('leaves out a bolt that no stream goes to, as Flux does, and rejects streams from it', () => {
    const text = doc(
      ...HEAD,
      'bolts:',
      '  - {id: b, className: FluxShellBolt, constructorArgs: [[y], [n]]}',
      '  - {id: c, className: FluxShellBolt, constructorArgs: [[y]]}',
      'streams:',
    );
    const { spec, warnings } = expectSpec(text);
    assert.deepEqual(spec.bolts, []);
    expectAll(warnings, [
      { line: 5, column: 10, component: 'b', message: ['no stream goes to this bolt'], hint: ['to: b'] },
      { line: 6, column: 10, component: 'c', message: ['no stream goes to this bolt'] },
    ]);
    expectIssues(text + '  - {from: b, to: c, grouping: {type: SHUFFLE}}\n', [
      { line: 8, column: 12, component: 'c', message: ['stream from bolt "b", which no stream goes to'] },
    ]);
  });
});

describe('parseFlux: ${...} substitution', () => {
  const text = doc(
    'name: ${topology.name}',                                                                      // 1
    'config: {topology.workers: ${workers}, hosts: ${hosts}, first: "${hosts[1]}"}',               // 2
    '# ${ENV-IN_A_COMMENT} is left alone',                                                         // 3
    'spouts:',                                                                                     // 4
    '  - {id: s, className: FluxShellSpout, constructorArgs: [["${ENV-PYTHON}", "s.py"], [a, a]]}', // 5
  );
  const props = { 'topology.name': 'from-props', workers: '3', hosts: '["h1", "h2"]' };

  it('substitutes environment variables and properties before parsing, as Flux does', () => {
    const result = parseFlux(text.replace('[a, a]', '[a]'), FILE, options({ env: { PYTHON: '/usr/bin/python3' }, properties: props }));
    assert.deepEqual(result.issues, [], result.issues.map(formatIssue).join('\n'));
    assert.equal(result.spec!.name, 'from-props');
    assert.deepEqual(result.spec!.config, { 'topology.workers': 3, hosts: ['h1', 'h2'], first: 'h2' });
    assert.deepEqual(result.spec!.spouts[0]!.impl, shell('/usr/bin/python3', 's.py'));
  });

  it('points at the file as written after a substitution', () => {
    expectIssues(text, [
      { line: 5, column: 89, component: 's', message: ['duplicate field "a"'] },
    ], options({ env: { PYTHON: '/a/much/longer/path/to/python3' }, properties: props }));
  });

  it('reports each unset variable and unknown property at its placeholder', () => {
    expectIssues(text, [
      { line: 2, column: 47, message: ['property "hosts" is not defined (did you mean "host"?)'], hint: ['define "hosts"'] },
      { line: 2, column: 65, message: ['property "hosts" is not defined'] },
      { line: 5, column: 60, message: ['environment variable "PYTHON" is not set (used as ${ENV-PYTHON})'], hint: ['export PYTHON='] },
    ], options({ properties: { 'topology.name': 't', workers: '1', host: 'h' } }));
    expectIssues(doc('name: ${topology.name}', 'spouts: []'), [
      { line: 1, column: 7, message: ['${topology.name} needs a value from a properties file, and none was given'], hint: ['--filter'] },
    ]);
    expectIssues(text, [
      { line: 2, column: 65, message: ['property "hosts" has 1 elements, so ${hosts[1]} has no value'] },
    ], options({ env: { PYTHON: 'p' }, properties: { ...props, hosts: '[h1]' } }));
  });
});

describe('parseFlux: includes', () => {
  const common = '/topologies/flux/common.yaml';
  const bolts = '/topologies/shared/bolts.yaml';
  const files: Record<string, string> = {
    [common]: doc(
      'name: common-name',
      'config: {topology.workers: 4, topology.debug: true}',
      'includes: [{file: other.yaml}]',
    ),
    [bolts]: doc(
      'bolts:',
      '  - {id: b, className: FluxShellBolt, constructorArgs: [[python3, shared.py]]}',
      '  - {id: c, className: FluxShellBolt, constructorArgs: [[python3, c.py]]}',
      'streams:',
      '  - {from: s, to: c, grouping: {type: SHUFFLE}}',
    ),
  };
  const main = (override: boolean): string => doc(
    ...HEAD,
    'config: {topology.workers: 2}',
    'bolts: [{id: b, className: FluxShellBolt, constructorArgs: [[python3, main.py]]}]',
    'streams: [{from: s, to: b, grouping: {type: SHUFFLE}}]',
    'includes:',
    `  - {file: common.yaml, override: ${override}}`,
    `  - {resource: false, file: ../shared/bolts.yaml, override: ${override}}`,
  );

  it('keeps the including file\'s values without override, adding what is missing', () => {
    const { spec, warnings } = expectSpec(main(false), options({}, files));
    assert.equal(spec.name, 't');
    assert.deepEqual(spec.config, { 'topology.workers': 2, 'topology.debug': true });
    assert.deepEqual(spec.bolts.map((b) => [b.id, b.impl, b.inputs.length]), [
      ['b', shell('python3', 'main.py'), 1], ['c', shell('python3', 'c.py'), 1],
    ]);
    expectAll(warnings, [
      { file: common, line: 3, column: 1, message: ['"includes" of an included file are ignored: Flux includes are not recursive'] },
    ]);
  });

  it('lets the included file\'s values replace with override', () => {
    const { spec } = expectSpec(main(true), options({}, files));
    assert.equal(spec.name, 'common-name');
    assert.deepEqual(spec.config, { 'topology.workers': 4, 'topology.debug': true });
    assert.deepEqual(spec.bolts.map((b) => [b.id, b.impl]), [['b', shell('python3', 'shared.py')], ['c', shell('python3', 'c.py')]]);
    assert.equal(spec.bolts[1]!.pos?.file, bolts);
  });

  it('reports an unreadable include, a classpath resource, and problems in the included file there', () => {
    expectIssues(doc(
      ...HEAD,
      'includes:',
      '  - {file: missing.yaml}',
      '  - {file: x.yaml, resource: true}',
      '  - {file: ../shared/bolts.yaml}',
    ), [
      { line: 5, column: 12, message: ['cannot read include "missing.yaml" (/topologies/flux/missing.yaml)'], hint: ['relative to the including file'] },
      { line: 6, column: 30, message: ['classpath resources (resource: true) need a JVM'] },
      { file: bolts, line: 2, column: 24, component: 'b', message: ['class "FluxShelBolt" is a Java class'] },
    ], options({}, { [bolts]: files[bolts]!.replace('FluxShellBolt', 'FluxShelBolt') }));
  });
});

describe('parseFlux: files on disk', () => {
  it('reads an include next to the including file, substituting in both', () => {
    const main = `${FIXTURES}flux/with-include.yaml`;
    const bolts = `${FIXTURES}flux/wordcount-bolts.yaml`;
    const readFile = (p: string): string | undefined => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    };
    const result = parseTopologyAny(readFileSync(main, 'utf8'), main, { env: { SPOUT_SCRIPT: 'sentences.py' }, properties: { 'split.parallelism': '4' }, readFile });
    assert.deepEqual(result.issues, [], result.issues.map(formatIssue).join('\n'));
    assert.deepEqual(result.warnings, []);
    const spec = result.spec!;
    assert.equal(spec.name, 'flux-include');
    assert.deepEqual(spec.config, { 'topology.workers': 2, 'topology.message.timeout.secs': 60 });
    assert.deepEqual(spec.spouts[0]!.impl, shell('python3', 'sentences.py'));
    assert.deepEqual(spec.bolts.map((b) => [b.id, b.parallelism, b.pos, b.inputs.map((i) => [i.from, i.grouping, i.pos])]), [
      ['split', 4, pos(9, 5, bolts), [['sentence-spout', { type: 'local_or_shuffle' }, pos(18, 5, bolts)]]],
      ['count', 1, pos(13, 5, bolts), [['split', { type: 'fields', fields: ['word'] }, pos(21, 5, bolts)]]],
    ]);
    // Without the property, the problem is reported in the included file, at the placeholder.
    const missing = parseFlux(readFileSync(main, 'utf8'), main, { env: { SPOUT_SCRIPT: 's.py' }, properties: {}, readFile });
    expectAll(missing.issues, [{ file: bolts, line: 12, column: 18, message: ['property "split.parallelism" is not defined'] }]);
  });
});

describe('parseFlux: top level', () => {
  it('suggests the closest key for unknown keys at every level', () => {
    expectIssues(doc(
      'name: t',
      'spouts:',
      '  - {id: s, className: FluxShellSpout, constructorArgs: [[x], [a]], parallelizm: 2}',
      'bolt: []',
      'streams: [{from: s, too: s, grouping: {type: SHUFFLE}}]',
    ), [
      { line: 3, column: 69, component: 's', message: ['unknown spout key "parallelizm" (did you mean "parallelism"?)'], hint: ['onHeapMemoryLoad'] },
      { line: 4, column: 1, message: ['unknown top-level key "bolt" (did you mean "bolts"?)'], hint: ['topologySource'] },
      { line: 5, column: 11, message: ['stream is missing "to"'] },
      { line: 5, column: 21, message: ['unknown stream key "too" (did you mean "to"?)'] },
    ]);
  });

  it('rejects topologySource, warns about workerHooks and unused components', () => {
    const { warnings } = expectIssues(doc(
      'name: t',
      'topologySource: {className: org.apache.storm.flux.test.SimpleTopology}',
      'workerHooks: [{id: h, className: org.apache.storm.hooks.BaseWorkerHook}]',
      'components: [{id: window, className: java.time.Duration, factory: ofSeconds, factoryArgs: [60]}]',
    ), [
      { line: 2, column: 1, message: ['"topologySource" builds the topology with Java code'], hint: ['FluxShellSpout'] },
    ]);
    expectAll(warnings, [
      { line: 3, column: 1, message: ['"workerHooks" are Java classes; Squall ignores them'] },
      { line: 4, column: 14, component: 'window', message: ['class java.time.Duration is ignored: it builds a Java object'] },
    ]);
  });

  it('requires a name and a spout', () => {
    expectIssues(doc('config: {}', 'spouts: []'), [
      { line: 1, column: 1, message: ['missing topology "name"'] },
      { line: 1, column: 1, message: ['the topology has no spouts'], hint: ['FluxShellSpout'] },
    ]);
    expectIssues('', [{ line: 1, column: 1, message: ['the topology file is empty'] }]);
  });
});
