/**
 * The cluster (daemon) config: Storm's defaults, the layering defaults < squall.yaml < SQUALL_*
 * environment < -c flags, every problem reported at once with where it is written, rules
 * between keys, and secrets that never reach a message.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../src/common/errors.js';
import {
  CLUSTER_CONFIG_KEYS, ClusterConfigError, Secret, compileClusterConfig, envNameOf, loadClusterConfig,
  type ClusterConfig, type ClusterConfigInput, type ConfigProblem,
} from '../../src/config/cluster-config.js';
import { deriveSupervisorId } from '../../src/config/compiled-config.js';
import { NAME_PATTERN } from '../../src/topology/spec.js';

const CWD = '/srv/squall';
const TOKEN = 'correct-horse-battery-staple-42';
const doc = (...lines: string[]): string => lines.join('\n') + '\n';
const file = (text: string, shown = 'squall.yaml'): ClusterConfigInput['file'] => ({ text, path: join(CWD, shown), shown });
const compile = (input: ClusterConfigInput = {}): ClusterConfig => compileClusterConfig({ cwd: CWD, ...input });

/** Compiles and expects a ClusterConfigError; returns its problems. */
function problemsOf(input: ClusterConfigInput): readonly ConfigProblem[] {
  try {
    compile(input);
  } catch (err) {
    assert.ok(err instanceof ClusterConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ClusterConfigError');
}

/** Asserts one problem exists at `where` whose message contains every fragment. */
function hasProblem(problems: readonly ConfigProblem[], where: string, ...fragments: string[]): ConfigProblem {
  const shown = problems.map((p) => `${p.where}: ${p.message}`).join('\n');
  const found = problems.find((p) => p.where === where && fragments.every((f) => p.message.includes(f)));
  assert.ok(found, `no problem at ${where} with ${JSON.stringify(fragments)}; got:\n${shown}`);
  return found;
}

describe('defaults (Storm conf/defaults.yaml unless Squall says otherwise)', () => {
  const c = compile();

  it('ZooKeeper: [localhost]:2181 under /squall, 20 s session, 15 s connection', () => {
    assert.deepEqual(c.zookeeper.servers, ['localhost']);
    assert.equal(c.zookeeper.port, 2181);
    assert.deepEqual(c.zookeeper.addresses, ['localhost:2181']);
    assert.equal(c.zookeeper.connectString, 'localhost:2181');
    assert.equal(c.zookeeper.root, '/squall');
    assert.equal(c.zookeeper.sessionTimeoutMs, 20_000);
    assert.equal(c.zookeeper.connectionTimeoutMs, 15_000);
    assert.match(CLUSTER_CONFIG_KEYS['storm.zookeeper.root']!.storm!, /\/storm/);
  });

  it('Nimbus: seeds [localhost], loopback bind, port 6627, Storm timeouts, 256 MiB packages', () => {
    assert.deepEqual(c.nimbus.seeds, ['localhost']);
    assert.deepEqual(c.nimbus.addresses, ['localhost:6627']);
    assert.equal(c.nimbus.host, '127.0.0.1');
    assert.equal(c.nimbus.grpcPort, 6627);
    assert.equal(c.nimbus.monitorFreqMs, 10_000);
    assert.equal(c.nimbus.taskTimeoutMs, 30_000);
    assert.equal(c.nimbus.supervisorTimeoutMs, 60_000);
    assert.equal(c.nimbus.maxPackageBytes, 256 * 1024 * 1024);
  });

  it('supervisor and worker: four slots, loopback, derived id, Storm periods', () => {
    assert.deepEqual(c.supervisor.slotPorts, [6700, 6701, 6702, 6703]);
    assert.equal(c.supervisor.host, '127.0.0.1');
    assert.equal(c.supervisor.advertisedHost, '127.0.0.1');
    assert.equal(c.supervisor.id, deriveSupervisorId('127.0.0.1', '/srv/squall/squall-local'));
    assert.equal(c.supervisor.workerTimeoutMs, 30_000);
    assert.equal(c.supervisor.workerStartTimeoutMs, 120_000);
    assert.equal(c.supervisor.monitorFrequencyMs, 3_000);
    assert.equal(c.supervisor.heartbeatFrequencyMs, 5_000);
    assert.equal(c.worker.heartbeatFrequencyMs, 1_000);
    assert.equal(c.localDir, '/srv/squall/squall-local');
    assert.equal(c.authToken, undefined);
    assert.deepEqual(c.topologyDefaults, {});
    assert.deepEqual(c.warnings, []);
  });

  it('values use Storm names; origins say default or derived', () => {
    assert.equal(c.values['storm.zookeeper.port'], 2181);
    assert.equal(c.values['supervisor.advertised.host'], '127.0.0.1');
    assert.equal(c.origins['storm.zookeeper.port'], 'default');
    assert.equal(c.origins['supervisor.id'], 'derived');
    assert.equal(c.values['transport.auth.token'], null);
    assert.deepEqual(Object.keys(CLUSTER_CONFIG_KEYS).filter((k) => !(k in c.values)), []);
  });

  it('is frozen all the way down', () => {
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.zookeeper) && Object.isFrozen(c.values));
    assert.ok(Object.isFrozen(c.supervisor.slotPorts) && Object.isFrozen(c.values['supervisor.slots.ports']));
    assert.throws(() => { (c.zookeeper as { port: number }).port = 1; }, TypeError);
    assert.throws(() => { (c.supervisor.slotPorts as number[]).push(1); }, TypeError);
  });

  it('the supervisor id is stable per host and local dir, distinct across dirs, path-safe', () => {
    const a = deriveSupervisorId('10.0.0.5', '/var/squall/a');
    assert.equal(a, deriveSupervisorId('10.0.0.5', '/var/squall/a'));
    assert.notEqual(a, deriveSupervisorId('10.0.0.5', '/var/squall/b'));
    for (const host of ['10.0.0.5', '::1', 'fe80::1%eth0', 'worker-1.example.com']) {
      assert.match(deriveSupervisorId(host, '/x'), NAME_PATTERN, host);
    }
    assert.equal(compile({ overrides: { 'supervisor.id': 'sup-a' } }).supervisor.id, 'sup-a');
  });
});

describe('the file', () => {
  it('reads flat Storm keys, topology.* defaults, host:port entries and fractional seconds', () => {
    const c = compile({
      file: file(doc(
        'storm.zookeeper.servers: [zk1, "zk2:2182", "::1", "[::1]:2183"]',
        'storm.zookeeper.port: 2000',
        'storm.zookeeper.root: /prod/squall',
        'storm.local.dir: /var/lib/squall',
        'nimbus.seeds: [n1, "n2:7000"]',
        'nimbus.grpc.port: 0',
        'supervisor.host: 0.0.0.0',
        'supervisor.advertised.host: worker-3.example.com',
        'supervisor.slots.ports: []',
        'worker.heartbeat.frequency.secs: 0.25',
        'topology.message.timeout.secs: 10',
        `transport.auth.token: ${TOKEN}`,
      )),
    });
    assert.deepEqual(c.zookeeper.addresses, ['zk1:2000', 'zk2:2182', '[::1]:2000', '[::1]:2183']);
    assert.equal(c.zookeeper.root, '/prod/squall');
    assert.equal(c.localDir, '/var/lib/squall');
    assert.deepEqual(c.nimbus.addresses, ['n1:0', 'n2:7000']);
    assert.equal(c.supervisor.advertisedHost, 'worker-3.example.com');
    assert.deepEqual(c.supervisor.slotPorts, []);
    assert.equal(c.worker.heartbeatFrequencyMs, 250);
    assert.deepEqual(c.topologyDefaults, { 'topology.message.timeout.secs': 10 });
    assert.equal(c.authToken?.reveal(), TOKEN);
    assert.equal(c.origins['storm.zookeeper.port'], 'squall.yaml:2:23');
    assert.equal(c.file, '/srv/squall/squall.yaml');
  });

  it('an empty file is all defaults', () => {
    assert.equal(compile({ file: file('') }).zookeeper.port, 2181);
    assert.equal(compile({ file: file('# nothing yet\n') }).zookeeper.port, 2181);
  });

  it('reports every problem at once, at line:column, values checked by kind', () => {
    const problems = problemsOf({
      file: file(doc(
        'storm.zookeeper.servers: localhost',
        'storm.zookeeper.port: 70000',
        'storm.zookeepr.root: /x',
        'nimbus.seeds: []',
        'supervisor.slots.ports: [6700, 6700]',
        'nimbus.task.timeout.secs: 0',
        'storm.zookeeper.session.timeout: 20s',
        'storm.zookeeper.root: squall',
        'supervisor.id: a/b',
        'nimbus.host: "not a host"',
        'topology.workers: two',
        'nimbus.thrift.port: 6627',
        'storm:',
        '  zookeeper: {port: 1}',
        'nimbus.max.package.bytes: 10',
        'storm.local.dir: ""',
      ), 'conf/squall.yaml'),
    });
    const single = hasProblem(problems, 'conf/squall.yaml:1:26', '"storm.zookeeper.servers" must be a list of host or host:port strings', 'the string "localhost"');
    assert.equal(single.hint, 'write a list: [localhost]');
    hasProblem(problems, 'conf/squall.yaml:2:23', '"storm.zookeeper.port" must be a port from 1 to 65535', '70000');
    hasProblem(problems, 'conf/squall.yaml:3:1', 'unknown config key "storm.zookeepr.root"', 'did you mean "storm.zookeeper.root"');
    hasProblem(problems, 'conf/squall.yaml:4:15', '"nimbus.seeds" must list at least one entry');
    hasProblem(problems, 'conf/squall.yaml:5:25', 'lists port 6700 twice');
    hasProblem(problems, 'conf/squall.yaml:6:27', '"nimbus.task.timeout.secs" must be a positive number of seconds');
    hasProblem(problems, 'conf/squall.yaml:7:34', '"storm.zookeeper.session.timeout" must be an integer from 100');
    hasProblem(problems, 'conf/squall.yaml:8:23', '"storm.zookeeper.root" must be a znode path');
    hasProblem(problems, 'conf/squall.yaml:9:16', '"supervisor.id" must be letters, digits');
    hasProblem(problems, 'conf/squall.yaml:10:14', '"nimbus.host" must be a host name or an IP address');
    hasProblem(problems, 'conf/squall.yaml:11:19', 'config "topology.workers" must be an integer');
    const renamed = hasProblem(problems, 'conf/squall.yaml:12:1', '"nimbus.thrift.port" is called "nimbus.grpc.port" in Squall');
    assert.match(renamed.hint ?? '', /gRPC/);
    const nested = hasProblem(problems, 'conf/squall.yaml:13:1', 'unknown config key "storm"');
    assert.match(nested.hint ?? '', /flat and dotted/);
    hasProblem(problems, 'conf/squall.yaml:15:27', '"nimbus.max.package.bytes" must be an integer from 1024');
    hasProblem(problems, 'conf/squall.yaml:16:18', '"storm.local.dir" must be a non-empty path');
    assert.equal(problems.length, 15, problems.map((p) => p.message).join('\n'));
  });

  it('the error lists the problems, one per line with hints, and exits 2 in the CLI (E_CONFIG)', () => {
    let err: unknown;
    try {
      compile({ file: file('storm.zookeeper.port: x\nnimbus.seedz: [a]\n') });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ClusterConfigError && err instanceof ConfigError);
    assert.equal(err.code, 'E_CONFIG');
    assert.equal(err.key, 'storm.zookeeper.port');
    assert.match(err.message, /^the cluster config has 2 problems:\n {2}squall\.yaml:1:23: "storm\.zookeeper\.port" must be a port/);
    assert.match(err.message, /\n {2}squall\.yaml:2:1: unknown config key "nimbus\.seedz" \(did you mean "nimbus\.seeds"\?\)\n {4}hint: "nimbus\.seeds": /);
  });

  it('YAML syntax errors and a non-map document are located', () => {
    hasProblem(problemsOf({ file: file('storm.zookeeper.port: [1\n') }), 'squall.yaml:2:1', 'invalid YAML');
    hasProblem(problemsOf({ file: file('a: 1\na: 2\n') }), 'squall.yaml:2:1', 'invalid YAML', 'unique');
    hasProblem(problemsOf({ file: file('- storm.zookeeper.port\n') }), 'squall.yaml:1:1', 'must be a map of keys to values');
    hasProblem(problemsOf({ file: file('a: 1\n---\nb: 2\n') }), 'squall.yaml:2:1', 'several documents');
  });

  it('Storm daemon keys without effect and unknown topology keys are warnings, not errors', () => {
    const c = compile({ file: file(doc('ui.port: 8080', 'storm.zookeeper.retry.times: 5', 'storm.messaging.netty.buffer_size: 5', 'topology.fancy.thing: 1', 'topology.workers: 2')) });
    assert.deepEqual(c.warnings.map((w) => w.where), ['squall.yaml:1:1', 'squall.yaml:2:1', 'squall.yaml:3:1', 'squall.yaml:4:1']);
    assert.match(c.warnings[0]!.message, /"ui\.port" has no effect in Squall/);
    assert.match(c.warnings[3]!.message, /not used by Squall/);
    assert.equal(c.values['ui.port'], undefined);
    assert.deepEqual(c.topologyDefaults, { 'topology.fancy.thing': 1, 'topology.workers': 2 });
  });
});

describe('environment variables (SQUALL_ + key with dots as "_", upper case)', () => {
  it('names every key distinctly', () => {
    assert.equal(envNameOf('storm.zookeeper.servers'), 'SQUALL_STORM_ZOOKEEPER_SERVERS');
    const names = Object.keys(CLUSTER_CONFIG_KEYS).map(envNameOf);
    assert.equal(new Set(names).size, names.length);
  });

  it('parses lists (comma-separated or flow), numbers, booleans, strings by kind', () => {
    const c = compile({
      env: {
        SQUALL_STORM_ZOOKEEPER_SERVERS: 'a, b:2182',
        SQUALL_NIMBUS_SEEDS: '[n1, "n2:7000"]',
        SQUALL_SUPERVISOR_SLOTS_PORTS: '7000,7001',
        SQUALL_STORM_ZOOKEEPER_PORT: '2182',
        SQUALL_NIMBUS_TASK_TIMEOUT_SECS: '2.5',
        SQUALL_TOPOLOGY_DEBUG: 'true',
        SQUALL_TOPOLOGY_MAX_SPOUT_PENDING: '500',
        SQUALL_SUPERVISOR_ID: '007',
        SQUALL_TRANSPORT_AUTH_TOKEN: TOKEN,
      },
    });
    assert.deepEqual(c.zookeeper.addresses, ['a:2182', 'b:2182']);
    assert.deepEqual(c.nimbus.addresses, ['n1:6627', 'n2:7000']);
    assert.deepEqual(c.supervisor.slotPorts, [7000, 7001]);
    assert.equal(c.nimbus.taskTimeoutMs, 2_500);
    assert.deepEqual(c.topologyDefaults, { 'topology.debug': true, 'topology.max.spout.pending': 500 });
    assert.equal(c.supervisor.id, '007');
    assert.equal(c.authToken?.reveal(), TOKEN);
    assert.equal(c.origins['storm.zookeeper.servers'], 'env SQUALL_STORM_ZOOKEEPER_SERVERS');
  });

  it('empty means unset; "null" unsets a nullable key; unrelated SQUALL_* variables are ignored', () => {
    const c = compile({ env: { SQUALL_STORM_ZOOKEEPER_PORT: '', SQUALL_SUPERVISOR_ID: 'null', SQUALL_LOG_LEVEL: 'debug', SQUALL_WORKER_PORT: '6700' } });
    assert.equal(c.zookeeper.port, 2181);
    assert.equal(c.origins['supervisor.id'], 'derived');
    assert.deepEqual(c.warnings, []);
  });

  it('a near miss of a config variable is a warning with did-you-mean', () => {
    const c = compile({ env: { SQUALL_NIMBUS_SEDS: 'x' } });
    assert.equal(c.warnings.length, 1);
    assert.equal(c.warnings[0]!.where, 'env SQUALL_NIMBUS_SEDS');
    assert.match(c.warnings[0]!.message, /did you mean SQUALL_NIMBUS_SEEDS\?/);
  });

  it('bad values are reported at the variable', () => {
    const problems = problemsOf({ env: { SQUALL_STORM_ZOOKEEPER_PORT: 'many', SQUALL_SUPERVISOR_SLOTS_PORTS: '6700,x', SQUALL_TOPOLOGY_WORKERS: '[1' } });
    hasProblem(problems, 'env SQUALL_STORM_ZOOKEEPER_PORT', '"storm.zookeeper.port" must be a port', 'the string "many"');
    hasProblem(problems, 'env SQUALL_SUPERVISOR_SLOTS_PORTS', '"supervisor.slots.ports" must be a list of ports');
    hasProblem(problems, 'env SQUALL_TOPOLOGY_WORKERS', 'cannot parse the value');
    assert.equal(problems.length, 3);
  });
});

describe('-c key=value flags', () => {
  it('parse values as YAML (Storm) and later flags win', () => {
    const c = compile({ overrides: ['storm.zookeeper.port=2000', 'storm.zookeeper.port=2001', 'nimbus.seeds=a,b', 'topology.environment={A: b}'] });
    assert.equal(c.zookeeper.port, 2001);
    assert.equal(c.origins['storm.zookeeper.port'], '-c storm.zookeeper.port=2001');
    assert.deepEqual(c.nimbus.seeds, ['a', 'b']);
    assert.deepEqual(c.topologyDefaults['topology.environment'], { A: 'b' });
  });

  it('malformed flags and bad values are reported at the flag', () => {
    const problems = problemsOf({ overrides: ['storm.zookeeper.port', '=5', 'supervisor.worker.timeout.secs=-1', 'nimbus.grpc.prot=1'] });
    hasProblem(problems, '-c storm.zookeeper.port', 'expected key=value');
    hasProblem(problems, '-c =5', 'non-empty key');
    hasProblem(problems, '-c supervisor.worker.timeout.secs=-1', 'positive number of seconds');
    hasProblem(problems, '-c nimbus.grpc.prot=1', 'did you mean "nimbus.grpc.port"');
  });

  it('values given by key from code work too', () => {
    const c = compile({ overrides: { 'nimbus.grpc.port': 0, 'supervisor.slots.ports': [7100] } });
    assert.equal(c.nimbus.grpcPort, 0);
    assert.equal(c.origins['nimbus.grpc.port'], 'override nimbus.grpc.port');
    hasProblem(problemsOf({ overrides: { 'nimbus.grpc.port': '1' } }), 'override nimbus.grpc.port', 'must be a port');
  });
});

describe('precedence: defaults < file < env < -c', () => {
  const yaml = file('storm.zookeeper.port: 1001\nnimbus.seeds: [from-file]\nsupervisor.host: 10.0.0.1\n');
  const env = { SQUALL_STORM_ZOOKEEPER_PORT: '1002', SQUALL_NIMBUS_SEEDS: 'from-env' };

  it('each layer overrides the one before, key by key', () => {
    const c = compile({ file: yaml, env, overrides: ['storm.zookeeper.port=1003'] });
    assert.equal(c.zookeeper.port, 1003);
    assert.deepEqual(c.nimbus.seeds, ['from-env']);
    assert.equal(c.supervisor.host, '10.0.0.1');
    assert.equal(c.supervisor.advertisedHost, '10.0.0.1', 'advertised host follows the bind address');
    assert.equal(c.nimbus.taskTimeoutMs, 30_000);
    assert.deepEqual([c.origins['storm.zookeeper.port'], c.origins['nimbus.seeds'], c.origins['supervisor.host']],
      ['-c storm.zookeeper.port=1003', 'env SQUALL_NIMBUS_SEEDS', 'squall.yaml:3:18']);
    assert.equal(compile({ file: yaml, env }).zookeeper.port, 1002);
    assert.equal(compile({ file: yaml }).zookeeper.port, 1001);
  });

  it('a bad value is reported even when a later layer overrides it', () => {
    hasProblem(problemsOf({ file: file('storm.zookeeper.port: x\n'), overrides: ['storm.zookeeper.port=2181'] }), 'squall.yaml:1:23', 'must be a port');
  });
});

describe('rules between keys', () => {
  it('timeouts must exceed heartbeat periods; the key that was set is blamed', () => {
    const problems = problemsOf({ overrides: ['worker.heartbeat.frequency.secs=40', 'supervisor.heartbeat.frequency.secs=60'] });
    hasProblem(problems, '-c worker.heartbeat.frequency.secs=40', '"nimbus.task.timeout.secs" (30) must be longer than "worker.heartbeat.frequency.secs" (40)');
    hasProblem(problems, '-c worker.heartbeat.frequency.secs=40', '"supervisor.worker.timeout.secs" (30)');
    hasProblem(problems, '-c supervisor.heartbeat.frequency.secs=60', '"nimbus.supervisor.timeout.secs" (60)');
    assert.equal(problems.length, 3);
    hasProblem(problemsOf({ env: { SQUALL_NIMBUS_TASK_TIMEOUT_SECS: '1' } }), 'env SQUALL_NIMBUS_TASK_TIMEOUT_SECS', 'must be longer');
  });

  it('a wildcard bind needs an advertised address, which cannot be a wildcard', () => {
    hasProblem(problemsOf({ overrides: ['supervisor.host=0.0.0.0'] }), '-c supervisor.host=0.0.0.0', 'binds every address', 'not set');
    hasProblem(problemsOf({ overrides: ['supervisor.advertised.host=0.0.0.0'] }), '-c supervisor.advertised.host=0.0.0.0', 'cannot be the wildcard');
    assert.equal(compile({ overrides: ['supervisor.host=::', 'supervisor.advertised.host=10.1.1.1'] }).supervisor.advertisedHost, '10.1.1.1');
  });

  it('a slot on the Nimbus port of the same address is an error', () => {
    hasProblem(problemsOf({ overrides: ['supervisor.slots.ports=[6627, 6700]'] }), '-c supervisor.slots.ports=[6627, 6700]', 'includes 6627');
    assert.ok(compile({ overrides: ['supervisor.slots.ports=[6627]', 'supervisor.host=10.0.0.2'] }));
  });

  it('connection timeout > session timeout is only a warning, as Curator (Storm) does', () => {
    const c = compile({ overrides: ['storm.zookeeper.connection.timeout=30000'] });
    assert.equal(c.zookeeper.connectionTimeoutMs, 30_000);
    assert.equal(c.warnings.length, 1);
    assert.equal(c.warnings[0]!.where, '-c storm.zookeeper.connection.timeout=30000');
    assert.match(c.warnings[0]!.message, /longer than "storm\.zookeeper\.session\.timeout" \(20000\)/);
  });

  it('are checked alongside bad values, skipping rules that involve a bad value', () => {
    const problems = problemsOf({ overrides: ['worker.heartbeat.frequency.secs=40', 'nimbus.task.timeout.secs=x'] });
    hasProblem(problems, '-c nimbus.task.timeout.secs=x', 'positive number of seconds');
    hasProblem(problems, '-c worker.heartbeat.frequency.secs=40', '"supervisor.worker.timeout.secs" (30)');
    assert.equal(problems.length, 2, 'no rule judged by the default of nimbus.task.timeout.secs');
  });
});

describe('secrets (transport.auth.token)', () => {
  const leaks = (err: unknown, secret: string): void => {
    assert.ok(err instanceof Error);
    for (const text of [String(err), err.message, JSON.stringify(err), inspect(err, { depth: 10 }), (err as { hint?: string }).hint ?? '']) {
      assert.ok(!text.includes(secret), `secret leaked into: ${text}`);
    }
  };
  const catchIt = (input: ClusterConfigInput): unknown => {
    try {
      compile(input);
    } catch (err) {
      return err;
    }
    assert.fail('expected an error');
  };

  it('a valid token is a Secret: revealed only on request, redacted in JSON, toString and inspect', () => {
    const c = compile({ overrides: [`transport.auth.token=${TOKEN}`] });
    assert.ok(c.authToken instanceof Secret);
    assert.equal(c.authToken.reveal(), TOKEN);
    assert.ok(c.authToken.equals(TOKEN) && !c.authToken.equals(`${TOKEN}x`));
    assert.equal(`${String(c.values['transport.auth.token'])}`, '[redacted]');
    for (const text of [JSON.stringify(c), inspect(c, { depth: 10 }), String(c.authToken), JSON.stringify(c.origins)]) {
      assert.ok(!text.includes(TOKEN), text);
    }
    assert.equal(c.origins['transport.auth.token'], '-c transport.auth.token=[redacted]');
  });

  it('a short token is rejected without showing it, from a flag, the environment or the file', () => {
    const short = 'hunter2-hunter2';
    for (const input of [
      { overrides: [`transport.auth.token=${short}`] },
      { env: { SQUALL_TRANSPORT_AUTH_TOKEN: short } },
      { file: file(`transport.auth.token: ${short}\n`) },
      { file: file('transport.auth.token: 1234567890123456789\n') },
    ]) {
      const err = catchIt(input);
      assert.ok(err instanceof ClusterConfigError);
      assert.match(err.message, /"transport\.auth\.token" must be (at least 16 characters long|a string) \(got a (string|number)\)/);
      leaks(err, short);
      leaks(err, '1234567890123456789');
    }
  });

  it('a mistyped key or a malformed flag does not show the value either', () => {
    for (const flag of [`transport.auth.tokn=${TOKEN}`, `transport.auth.token:${TOKEN}`, `my.db.password=${TOKEN}`]) {
      const err = catchIt({ overrides: [flag] });
      assert.ok(err instanceof ClusterConfigError, flag);
      leaks(err, TOKEN);
    }
  });
});

describe('loadClusterConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'squall-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without --config: ./squall.yaml when present, else defaults', async () => {
    const empty = join(dir, 'empty');
    const withFile = join(dir, 'with-file');
    for (const d of [empty, withFile]) mkdirSync(d);
    writeFileSync(join(withFile, 'squall.yaml'), 'storm.zookeeper.port: 2999\nstorm.local.dir: state\n');
    const none = await loadClusterConfig({ cwd: empty });
    assert.equal(none.file, undefined);
    assert.equal(none.zookeeper.port, 2181);
    const found = await loadClusterConfig({ cwd: withFile, env: { SQUALL_NIMBUS_SEEDS: 'n9' }, overrides: ['nimbus.grpc.port=7000'] });
    assert.equal(found.file, join(withFile, 'squall.yaml'));
    assert.equal(found.zookeeper.port, 2999);
    assert.equal(found.localDir, join(withFile, 'state'));
    assert.deepEqual(found.nimbus.addresses, ['n9:7000']);
    assert.equal((await loadClusterConfig({ cwd: withFile, searchDefaultFile: false })).zookeeper.port, 2181);
  });

  it('--config names a file that must exist; errors name it as given', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'storm.zookeeper.port: nope\n');
    await assert.rejects(loadClusterConfig({ cwd: dir, file: 'bad.yaml' }), (err: unknown) => {
      assert.ok(err instanceof ClusterConfigError);
      assert.equal(err.problems[0]!.where, 'bad.yaml:1:23');
      return true;
    });
    await assert.rejects(loadClusterConfig({ cwd: dir, file: 'missing.yaml' }), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /config file not found: missing\.yaml/);
      return true;
    });
  });
});
