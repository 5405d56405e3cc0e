/**
 * What the Python-bolt benchmarks (grpc.ts, multilang.ts) share: one bolt under test between an
 * in-process JS spout and sink (bench/components/pipeline.mjs, shuffle groupings), run for a
 * fixed window after a warm-up, and the figures of that window.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/common/logger.js';
import { createHostFactory } from '../src/hosts/factory.js';
import { createRunDir, sweepRun } from '../src/hosts/shell/pid-dirs.js';
import { Runtime } from '../src/runtime/runtime.js';
import { compilePlan } from '../src/topology/plan.js';
import type { ComponentImpl, ComponentSpec, TopologySpec } from '../src/topology/spec.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const COMPONENTS = join(ROOT, 'bench', 'components');
const PIPELINE = join(COMPONENTS, 'pipeline.mjs');
/** Process start, connection and warm-up, before the measured window. */
const WARM_UP_MS = 2000;

export interface Figures {
  /** Inputs the bolt under test acked per second: what went through it, whatever the acking mode. */
  tuplesPerSec: number;
  /** This process's CPU (spout, host, sink) per acked input, in microseconds. */
  parentCpuUsPerTuple: number;
}

export interface BoltPipelineOptions {
  /** The topology's name. */
  name: string;
  /** The bolt under test. */
  impl: ComponentImpl;
  /** The fields of the bolt's default stream. */
  outputs: string[];
  /** PYTHONPATH in the topology's environment. */
  pythonPath: string;
  /** Length of the measured window. */
  seconds: number;
  /** Overrides of the topology config (max spout pending 2000 by default). */
  config?: Record<string, unknown>;
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function js(id: string, name: string, kind: 'spout' | 'bolt', outputs: string[], inputs: ComponentSpec['inputs'] = []): ComponentSpec {
  const out = outputs.length ? [{ id: 'default', fields: outputs, direct: false }] : [];
  return { id, kind, impl: { kind: 'js', module: PIPELINE, export: name, args: [] }, outputs: out, inputs, parallelism: 1, numTasks: 1, config: {} };
}

function topology(o: BoltPipelineOptions): TopologySpec {
  const bolt: ComponentSpec = {
    id: 'bolt', kind: 'bolt', impl: o.impl, outputs: [{ id: 'default', fields: o.outputs, direct: false }],
    inputs: [{ from: 'spout', stream: 'default', grouping: { type: 'shuffle' } }], parallelism: 1, numTasks: 1, config: {},
  };
  return {
    name: o.name,
    config: { 'topology.max.spout.pending': 2000, 'topology.environment': { PYTHONPATH: o.pythonPath }, ...o.config },
    spouts: [js('spout', 'SentenceSpout', 'spout', ['sentence'])],
    bolts: [bolt, js('sink', 'SinkBolt', 'bolt', [], [{ from: 'bolt', stream: 'default', grouping: { type: 'shuffle' } }])],
  };
}

/** Runs JS spout -> the bolt -> JS sink in this process and measures one window. */
export async function measureBolt(o: BoltPipelineOptions): Promise<Figures> {
  const runDir = await createRunDir(join(ROOT, '.cache', 'runs'), silentLogger);
  const rt = await Runtime.create({ plan: compilePlan(topology(o)), factory: createHostFactory({ runDir, baseEnv: process.env }) });
  try {
    rt.start();
    const acked = (): number => rt.stats().find((s) => s.componentId === 'bolt')!.acked;
    await new Promise((r) => setTimeout(r, WARM_UP_MS));
    const before = acked();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const n = acked() - before;
    const used = process.cpuUsage(cpu);
    const secs = (performance.now() - t0) / 1000;
    return { tuplesPerSec: n / secs, parentCpuUsPerTuple: (used.user + used.system) / Math.max(n, 1) };
  } finally {
    await rt.close();
    await sweepRun(runDir.path, runDir.runId, silentLogger);
  }
}
