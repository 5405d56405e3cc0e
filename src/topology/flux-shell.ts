/**
 * Flux's multilang wrappers, FluxShellSpout and FluxShellBolt (flux-wrappers), built as Flux
 * builds any object (FluxBuilder.buildObject): the constructor from `constructorArgs`, then
 * `properties` (setters), then `configMethods`, in file order. A Flux file can call any public
 * method of the class; those that mean something to a multilang component are mirrored here.
 */
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { didYouMean } from '../common/suggest.js';
import { CONFIG_KEYS, validateConfig } from './config-schema.js';
import { checkStreamId, readCommand, readFields } from './native-component.js';
import { DEFAULT_STREAM, type StreamSpec } from './spec.js';
import {
  asBool, asList, asMap, asString, at, checkKeys, describeNode, entries, isNull, item, toJS,
  type Entry, type Reporter,
} from './yaml-nodes.js';

/** What the wrapper's constructor and methods have set up so far. */
export interface ShellBuild {
  /** FluxShellSpout or FluxShellBolt, for messages. */
  className: string;
  rep: Reporter;
  command?: string[];
  /** By stream id; declaring a stream again replaces it, as the wrappers' HashMap does. */
  outputs: Map<string, StreamSpec>;
  /** Streams with problems of their own: subscriptions to them are not checked. */
  badStreams: Set<string>;
  /**
   * False when a constructor or method call could not be read: it may have declared streams,
   * so subscriptions to this component are not checked.
   */
  outputsOk: boolean;
  /** The component's own config (addComponentConfig), returned by getComponentConfiguration. */
  config: Map<string, unknown>;
  /** setEnv: the subprocess environment. */
  env?: Record<string, string>;
}

interface ShellMethod {
  /** What each argument is, for messages; their number is the method's arity. */
  params: readonly string[];
  apply: (b: ShellBuild, args: readonly Entry[]) => void;
}

const CTOR_HINT = 'constructorArgs: [[python3, bolt.py], [field, ...]]: the command, then the fields of the default stream';

/** Reads the object-building keys of a FluxShellSpout/FluxShellBolt definition. */
export function readShell(f: Map<string, Entry>, map: YAMLMap, className: string, rep: Reporter): ShellBuild {
  const b: ShellBuild = { className, rep, outputs: new Map(), badStreams: new Set(), outputsOk: true, config: new Map() };
  const ce = f.get('constructorArgs');
  const hasFactory = checkFactory(f, b);
  if (ce && !isNull(ce.value)) readConstructor(ce, b);
  else if (!hasFactory) rep.error(ce ? at(ce) : map, `missing "constructorArgs": ${className} needs a command, and optionally output fields`, CTOR_HINT);
  const pe = f.get('properties');
  if (pe && !isNull(pe.value)) readProperties(pe, b);
  const me = f.get('configMethods');
  if (me && !isNull(me.value)) readConfigMethods(me, b);
  return b;
}

/** Flux calls a static factory only without constructorArgs; the wrappers have none. */
function checkFactory(f: Map<string, Entry>, b: ShellBuild): boolean {
  let present = false;
  for (const key of ['factory', 'factoryArgs']) {
    const e = f.get(key);
    if (!e) continue;
    present = true;
    if (f.has('constructorArgs')) b.rep.warn(e.keyNode, `"${key}" is ignored: with "constructorArgs", Flux calls the constructor`, `remove "${key}"`);
    else b.rep.error(e.keyNode, `no factory method in ${b.className}; give "constructorArgs" instead`, CTOR_HINT);
  }
  return present;
}

/** The wrappers' constructors: (String[] command) and (String[] command, String[] outputFields). */
function readConstructor(e: Entry, b: ShellBuild): void {
  const list = asList(e, '"constructorArgs"', b.rep, 'a list: [command] or [command, output fields]');
  const args = list?.items.map((n) => item(n as Node | null, list, b.rep)) ?? [];
  if (list && (args.length < 1 || args.length > 2)) {
    b.rep.error(list, `no constructor of ${b.className} takes ${plural(args.length, 'argument')}: it takes (command) or (command, output fields)`, CTOR_HINT);
  }
  if (!list || args.length < 1 || args.length > 2 || args.some((a) => isReference(a, b))) {
    b.outputsOk = false;
    return;
  }
  b.command = readCommand(args[0]!, 'the command (first constructor argument)', 'the command', b.rep);
  if (args[1]) declareStream(b, DEFAULT_STREAM, at(args[1]), args[1]);
}

/** `ref` / `reflist` pass Java objects built from `components`: meaningless to a subprocess. */
function isReference(e: Entry, b: ShellBuild): boolean {
  if (!isMap(e.value) || e.value.items.length !== 1) return false;
  const [ref] = [...entries(e.value, b.rep).values()];
  if (!ref || (ref.key !== 'ref' && ref.key !== 'reflist')) return false;
  b.rep.error(e.value, `${ref.key} passes Java objects from "components", and ${b.className} takes only strings, lists and maps`,
    'Squall does not create Java objects; write the value in place');
  return true;
}

function declareStream(b: ShellBuild, id: string, idNode: Node, fields: Entry): void {
  const before = b.rep.issues.length;
  checkStreamId(id, idNode, b.rep);
  const list = asList(fields, `the fields of stream "${id}"`, b.rep, 'a list of field names');
  const stream: StreamSpec = { id, fields: list ? readFields(list, id, b.rep) : [], direct: false, pos: b.rep.pos(idNode) };
  const previous = b.outputs.get(id);
  if (previous) {
    b.rep.warn(idNode, `stream "${id}" is declared again, replacing its declaration at line ${previous.pos?.line ?? '?'}`,
      'the last declaration wins, as in Flux; remove the other one');
  }
  b.outputs.set(id, stream);
  if (b.rep.issues.length > before) b.badStreams.add(id);
  else b.badStreams.delete(id);
}

/** The public methods of FluxShellSpout/FluxShellBolt and of ShellSpout/ShellBolt they extend. */
const METHODS: Readonly<Record<string, ShellMethod>> = {
  setDefaultStream: { params: ['fields'], apply: (b, [fields]) => declareStream(b, DEFAULT_STREAM, at(fields!), fields!) },
  setNamedStream: {
    params: ['stream id', 'fields'],
    apply: (b, [id, fields]) => {
      const name = asString(id!, 'the stream id', b.rep);
      if (name !== undefined) declareStream(b, name, at(id!), fields!);
    },
  },
  addComponentConfig: { params: ['key', 'value'], apply: addComponentConfig },
  setEnv: { params: ['environment map'], apply: setEnv },
  changeChildCWD: { params: ['true or false'], apply: changeChildCWD },
};

const METHOD_HINT = 'methods: setDefaultStream([fields]), setNamedStream(id, [fields]), addComponentConfig(key, value), '
  + 'setEnv({NAME: value}), changeChildCWD(true|false)';

/** Properties are set through one-argument setters, as Flux's findSetter does. */
const PROPERTIES = Object.keys(METHODS)
  .filter((m) => m.startsWith('set') && METHODS[m]!.params.length === 1)
  .map((m) => m[3]!.toLowerCase() + m.slice(4));

function call(b: ShellBuild, name: string, nameNode: Node, args: readonly Entry[], callNode: Node): void {
  if (!dispatch(b, name, nameNode, args, callNode)) b.outputsOk = false;
}

/** Calls the method; false when the call itself is wrong (reported). */
function dispatch(b: ShellBuild, name: string, nameNode: Node, args: readonly Entry[], callNode: Node): boolean {
  const method = Object.hasOwn(METHODS, name) ? METHODS[name]! : undefined;
  if (!method) {
    b.rep.error(nameNode, `no method "${name}" in ${b.className}${didYouMean(name, Object.keys(METHODS))}`, METHOD_HINT);
    return false;
  }
  if (args.length !== method.params.length) {
    b.rep.error(callNode, `${name} takes ${plural(method.params.length, 'argument')} (${method.params.join(', ')}), not ${args.length}`, METHOD_HINT);
    return false;
  }
  const nullArg = args.findIndex((a) => isNull(a.value));
  if (nullArg >= 0) {
    b.rep.error(at(args[nullArg]!), `argument ${nullArg + 1} of ${name} is null`, `give the ${method.params[nullArg]}`);
    return false;
  }
  if (args.some((a) => isReference(a, b))) return false;
  method.apply(b, args);
  return true;
}

function readConfigMethods(e: Entry, b: ShellBuild): void {
  const list = asList(e, '"configMethods"', b.rep, 'a list of {name: method, args: [...]}');
  if (!list) b.outputsOk = false;
  for (const node of list?.items ?? []) {
    const map = asMap(item(node as Node | null, list!, b.rep), 'each config method', b.rep, 'a map with "name" and "args"');
    if (!map) {
      b.outputsOk = false;
      continue;
    }
    const f = entries(map, b.rep);
    checkKeys(f, ['name', 'args'], 'config method', b.rep);
    const ne = f.get('name');
    if (!ne) b.rep.error(map, 'config method is missing "name"', METHOD_HINT);
    const name = ne && asString(ne, '"name"', b.rep);
    const args = readArgs(f.get('args'), b.rep);
    if (name !== undefined && args) call(b, name, at(ne!), args, map);
    else b.outputsOk = false;
  }
}

function readArgs(e: Entry | undefined, rep: Reporter): Entry[] | undefined {
  if (!e || isNull(e.value)) return [];
  const list = asList(e, '"args"', rep, 'a list of arguments');
  return list?.items.map((n) => item(n as Node | null, list, rep));
}

/** `properties: [{name: env, value: {...}}]` calls setEnv, as Flux's applyProperties does. */
function readProperties(e: Entry, b: ShellBuild): void {
  const list = asList(e, '"properties"', b.rep, 'a list of {name: ..., value: ...}');
  for (const node of list?.items ?? []) {
    const map = asMap(item(node as Node | null, list!, b.rep), 'each property', b.rep, 'a map with "name" and "value"');
    if (!map) continue;
    const f = entries(map, b.rep);
    checkKeys(f, ['name', 'value', 'ref'], 'property', b.rep);
    const ne = f.get('name');
    if (!ne) b.rep.error(map, 'property is missing "name"', `properties: ${PROPERTIES.join(', ')}`);
    const name = ne && asString(ne, '"name"', b.rep);
    const value = propertyValue(f, map, b);
    if (name !== undefined && value && PROPERTIES.includes(name)) {
      call(b, `set${name[0]!.toUpperCase()}${name.slice(1)}`, at(ne!), [value], map);
      continue;
    }
    b.outputsOk = false;
    if (name !== undefined && value) {
      b.rep.error(at(ne!), `no property "${name}" in ${b.className}${didYouMean(name, PROPERTIES)}`, `properties: ${PROPERTIES.join(', ')}`);
    }
  }
}

function propertyValue(f: Map<string, Entry>, map: YAMLMap, b: ShellBuild): Entry | undefined {
  const ve = f.get('value');
  const re = f.get('ref');
  if (re) {
    b.rep.error(re.keyNode, `"ref" passes a Java object from "components", and ${b.className} takes only strings, lists and maps`,
      'Squall does not create Java objects; give a "value"');
    return undefined;
  }
  if (!ve) b.rep.error(map, 'property is missing "value"');
  return ve;
}

/** Storm lets external config override it: the component's `config` map wins over these. */
function addComponentConfig(b: ShellBuild, [key, value]: readonly Entry[]): void {
  const k = asString(key!, 'the config key', b.rep);
  if (k === undefined) return;
  const v = toJS(value!.value, b.rep);
  for (const issue of validateConfig({ [k]: v })) {
    const where = Object.hasOwn(CONFIG_KEYS, k) ? at(value!) : at(key!);
    if (issue.severity === 'error') b.rep.error(where, issue.message, issue.hint);
    else b.rep.warn(where, issue.message, issue.hint);
  }
  b.config.set(k, v);
}

/** ShellProcess gives the map to the subprocess; like Storm, it replaces any earlier setEnv. */
function setEnv(b: ShellBuild, [env]: readonly Entry[]): void {
  const map = asMap(env!, 'the environment', b.rep, 'a map of variable names to values');
  if (!map) return;
  const pairs: Array<[string, string]> = [];
  for (const v of entries(map, b.rep).values()) {
    if (isScalar(v.value) && typeof v.value.value === 'string') pairs.push([v.key, v.value.value]);
    else b.rep.error(at(v), `environment variable "${v.key}" must be a string (got ${describeNode(v.value)})`, 'quote the value: "8080"');
    if (v.key === 'PATH') {
      b.rep.warn(v.keyNode, '"PATH" replaces the PATH of the subprocess, where Storm appends it to the worker\'s PATH',
        'give the full PATH, e.g. "/opt/app/bin:/usr/local/bin:/usr/bin:/bin"');
    }
  }
  b.env = Object.fromEntries(pairs);
}

function changeChildCWD(b: ShellBuild, [flag]: readonly Entry[]): void {
  if (asBool(flag!, 'the argument of changeChildCWD', b.rep) !== false) return;
  b.rep.warn(at(flag!), 'changeChildCWD(false) has no effect: Squall starts multilang programs in the topology\'s resources directory, as Storm does by default',
    'write paths in the command relative to that directory');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
