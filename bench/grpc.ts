/**
 * gRPC components: one Python process serving an identity BasicBolt over gRPC (Squall's Python
 * SDK, columnar batches) against the same class over stdio (batch extension), under Squall:
 * JS spout -> Python bolt -> JS sink, acking off and on.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/common/logger.js';
import { createHostFactory } from '../src/hosts/factory.js';
import { createRunDir, sweepRun } from '../src/hosts/shell/pid-dirs.js';
import { Runtime } from '../src/runtime/runtime.js';
import { compilePlan } from '../src/topology/plan.js';
import type { ComponentImpl, ComponentSpec, TopologySpec } from '../src/topology/spec.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPONENTS = join(ROOT, 'bench', 'components');
const PIPELINE = join(COMPONENTS, 'pipeline.mjs');
const PYTHON = join(ROOT, '.cache', 'grpc', 'venv', 'bin', 'python');
/** bench/components/identity_squall.py: the one IdentityBolt class both transports serve. */
const GRPC_BOLT: ComponentImpl = { kind: 'grpc', command: [PYTHON, '-m', 'squall.grpc', 'identity_squall:IdentityBolt'] };
const STDIO_BOLT: ComponentImpl = { kind: 'shell', command: [PYTHON, join(COMPONENTS, 'identity_squall.py')] };
const ACKING_OFF = { 'topology.acker.executors': 0, 'topology.shellbolt.max.pending': 2000 };
const ACKING_ON = { 'topology.max.spout.pending': 10_000, 'topology.shellbolt.max.pending': 5000 };

function js(id: string, name: string, kind: 'spout' | 'bolt', outputs: string[], inputs: ComponentSpec['inputs'] = []): ComponentSpec {
  const out = outputs.length ? [{ id: 'default', fields: outputs, direct: false }] : [];
  return { id, kind, impl: { kind: 'js', module: PIPELINE, export: name, args: [] }, outputs: out, inputs, parallelism: 1, numTasks: 1, config: {} };
}

function topology(impl: ComponentImpl, config: Record<string, unknown>): TopologySpec {
  const bolt: ComponentSpec = {
    id: 'bolt', kind: 'bolt', impl, outputs: [{ id: 'default', fields: ['sentence'], direct: false }],
    inputs: [{ from: 'spout', stream: 'default', grouping: { type: 'shuffle' } }], parallelism: 1, numTasks: 1, config: {},
  };
  return {
    name: 'bench-grpc',
    // PYTHONPATH lets `python -m squall.grpc` import the bolt's module.
    config: { 'topology.max.spout.pending': 2000, 'topology.environment': { PYTHONPATH: COMPONENTS }, ...config },
    spouts: [js('spout', 'SentenceSpout', 'spout', ['sentence'])],
    bolts: [bolt, js('sink', 'SinkBolt', 'bolt', [], [{ from: 'bolt', stream: 'default', grouping: { type: 'shuffle' } }])],
  };
}

/** Tuples per second the Python bolt acked (what went through it, whatever the acking mode). */
async function throughput(impl: ComponentImpl, config: Record<string, unknown>, seconds: number): Promise<number> {
  const runDir = await createRunDir(join(ROOT, '.cache', 'runs'), silentLogger);
  const rt = await Runtime.create({ plan: compilePlan(topology(impl, config)), factory: createHostFactory({ runDir, baseEnv: process.env }) });
  try {
    rt.start();
    const acked = (): number => rt.stats().find((s) => s.componentId === 'bolt')!.acked;
    await new Promise((r) => setTimeout(r, 2000)); // process start, connection, warm-up
    const before = acked();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const n = acked() - before;
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await rt.close();
    await sweepRun(runDir.path, runDir.runId, silentLogger);
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  execFileSync(join(ROOT, 'scripts', 'install-python-sdk.sh'), { stdio: 'inherit' });
  console.log(`grpc: identity BasicBolt in one Python process; JS spout -> Python bolt -> JS sink, ${seconds}s per run`);
  const grpcOff = await throughput(GRPC_BOLT, ACKING_OFF, seconds);
  const grpcOn = await throughput(GRPC_BOLT, ACKING_ON, seconds);
  const stdioOff = await throughput(STDIO_BOLT, ACKING_OFF, seconds);
  const stdioOn = await throughput(STDIO_BOLT, ACKING_ON, seconds);
  console.log(`  gRPC  (squall.grpc, columnar batches): ${fmt(grpcOff)} tuples/s acking off, ${fmt(grpcOn)} tuples/s acking on (target >= 200,000)`);
  console.log(`  stdio (batch extension):               ${fmt(stdioOff)} tuples/s acking off, ${fmt(stdioOn)} tuples/s acking on`);
  console.log(`  gRPC / stdio: ${(grpcOff / stdioOff).toFixed(2)} acking off, ${(grpcOn / stdioOn).toFixed(2)} acking on`);
}
