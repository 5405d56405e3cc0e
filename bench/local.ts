/**
 * Local-mode throughput: a 3-stage JS pipeline (spout → bolt → bolt, shuffle then fields
 * grouping) in one process, acking off and on. Each configuration runs in a fresh child
 * process so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHostFactory } from '../src/hosts/factory.js';
import { Runtime } from '../src/runtime/runtime.js';
import { compilePlan } from '../src/topology/plan.js';
import type { TopologySpec } from '../src/topology/spec.js';

const COMPONENTS = fileURLToPath(new URL('./components/pipeline.mjs', import.meta.url));

function pipelineSpec(acking: boolean): TopologySpec {
  const js = (name: string) => ({ kind: 'js' as const, module: COMPONENTS, export: name, args: [] });
  return {
    name: 'bench-local',
    config: { 'topology.acker.executors': acking ? 1 : 0, 'topology.max.spout.pending': acking ? 20_000 : null },
    spouts: [{ id: 'source', kind: 'spout', impl: js('CountingSpout'), outputs: [{ id: 'default', fields: ['word', 'n'], direct: false }], inputs: [], parallelism: 1, numTasks: 1, config: {} }],
    bolts: [
      { id: 'pass', kind: 'bolt', impl: js('PassBolt'), outputs: [{ id: 'default', fields: ['word', 'n'], direct: false }], inputs: [{ from: 'source', stream: 'default', grouping: { type: 'shuffle' } }], parallelism: 2, numTasks: 2, config: {} },
      { id: 'sink', kind: 'bolt', impl: js('CountBolt'), outputs: [], inputs: [{ from: 'pass', stream: 'default', grouping: { type: 'fields', fields: ['word'] } }], parallelism: 2, numTasks: 2, config: {} },
    ],
  };
}

async function child(acking: boolean, seconds: number): Promise<void> {
  await using rt = await Runtime.create({ plan: compilePlan(pipelineSpec(acking)), factory: createHostFactory() });
  rt.start();
  const spoutAcked = (): number => rt.stats().find((s) => s.componentId === 'source')![acking ? 'acked' : 'emitted'];
  await new Promise((r) => setTimeout(r, 1000));
  const start = performance.now();
  const before = spoutAcked();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const tuples = spoutAcked() - before;
  const elapsed = (performance.now() - start) / 1000;
  const sink = rt.stats().find((s) => s.componentId === 'sink')!;
  await rt.close();
  process.stdout.write(JSON.stringify({
    acking, tuplesPerSec: Math.round(tuples / elapsed), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    sinkExecuted: sink.executed, queueHighWater: Math.max(...rt.stats().map((s) => s.queueHighWater)),
  }) + '\n');
}

/** One child run's figures, as printed by the `--child` branch above. */
interface LocalRun {
  acking: boolean;
  tuplesPerSec: number;
  peakRssMb: number;
  sinkExecuted: number;
  queueHighWater: number;
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  console.log(`local: 3-stage JS pipeline (spout -> 2x bolt shuffle -> 2x bolt fields), ${seconds}s per run after 1s warm-up`);
  const rows: LocalRun[] = [];
  for (const acking of [false, true]) {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', String(acking), String(seconds)], { encoding: 'utf8' });
    rows.push(JSON.parse(out.trim().split('\n').pop()!) as LocalRun);
  }
  for (const r of rows) {
    console.log(`  acking ${r.acking ? 'on ' : 'off'}: ${r.tuplesPerSec.toLocaleString('en-US').padStart(10)} spout tuples/s   peak RSS ${r.peakRssMb} MB   max queue ${r.queueHighWater}`);
  }
  const [off, on] = rows as [LocalRun, LocalRun];
  console.log(`  targets: >= 1,000,000/s acking off (${off.tuplesPerSec >= 1e6 ? 'met' : 'MISSED'}), >= 300,000/s acking on (${on.tuplesPerSec >= 3e5 ? 'met' : 'MISSED'}), RSS < 200 MB (${Math.max(off.peakRssMb, on.peakRssMb) < 200 ? 'met' : 'MISSED'})`);
}

if (process.argv[2] === '--child') await child(process.argv[3] === 'true', Number(process.argv[4]));
