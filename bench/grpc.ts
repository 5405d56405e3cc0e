/**
 * gRPC components: one Python process serving an identity BasicBolt over gRPC (Squall's Python
 * SDK, columnar batches) against the same class over stdio (batch extension), under Squall:
 * JS spout -> Python bolt -> JS sink, acking off and on.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ComponentImpl } from '../src/topology/spec.js';
import { COMPONENTS, fmt, measureBolt, ROOT } from './bolt-pipeline.js';

const PYTHON = join(ROOT, '.cache', 'grpc', 'venv', 'bin', 'python');
/** bench/components/identity_squall.py: the one IdentityBolt class both transports serve. */
const GRPC_BOLT: ComponentImpl = { kind: 'grpc', command: [PYTHON, '-m', 'squall.grpc', 'identity_squall:IdentityBolt'] };
const STDIO_BOLT: ComponentImpl = { kind: 'shell', command: [PYTHON, join(COMPONENTS, 'identity_squall.py')] };
const ACKING_OFF = { 'topology.acker.executors': 0, 'topology.shellbolt.max.pending': 2000 };
const ACKING_ON = { 'topology.max.spout.pending': 10_000, 'topology.shellbolt.max.pending': 5000 };

/** Tuples per second the Python bolt acked (what went through it, whatever the acking mode). */
async function throughput(impl: ComponentImpl, config: Record<string, unknown>, seconds: number): Promise<number> {
  // PYTHONPATH lets `python -m squall.grpc` import the bolt's module.
  const figures = await measureBolt({ name: 'bench-grpc', impl, outputs: ['sentence'], pythonPath: COMPONENTS, seconds, config });
  return figures.tuplesPerSec;
}

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
