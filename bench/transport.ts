/**
 * Worker-to-worker transport throughput over one loopback connection: the codec alone (encode,
 * decode), then end to end through PeerClient → TransportServer with one tuple per frame
 * against batched frames. The producer behaves like the runtime's loop: up to 1024 sends per
 * round, a setImmediate between rounds, and no send while the client says it is full.
 *
 * `npm run bench -- transport [tuples]` (default 500000).
 */
import { BatchEncoder, FrameDecoder, type TupleLike } from '../src/transport/frame-codec.js';
import { PeerClient } from '../src/transport/client.js';
import { TransportServer } from '../src/transport/server.js';

const TOPOLOGY = 'bench';
const ROUND = 1024;

/** A word-count-sized tuple: a short string and a count, anchored to one tree. */
function tupleFor(i: number): TupleLike {
  return { destTask: 5, sourceComponent: 'split', sourceStreamId: 'default', sourceTask: 3, values: ['snow', i], anchors: [i, 0x9e3779b9, i >>> 0] };
}

function rate(n: number, startNs: bigint): number {
  return n / (Number(process.hrtime.bigint() - startNs) / 1e9);
}

function fmt(perSec: number): string {
  return `${Math.round(perSec).toLocaleString('en-US')} tuples/s`;
}

function codecFigures(n: number): { encode: number; decode: number; bytesPerTuple: number } {
  const enc = new BatchEncoder();
  const frames: Uint8Array[] = [];
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    enc.add(tupleFor(i));
    if (enc.count === 256) frames.push(enc.finish());
  }
  if (enc.count > 0) frames.push(enc.finish());
  const encode = rate(n, start);
  const bytes = frames.reduce((s, f) => s + f.length, 0);
  const dec = new FrameDecoder();
  let got = 0;
  start = process.hrtime.bigint();
  for (const f of frames) for (const fr of dec.push(f)) if (fr.kind === 'tuples') got += fr.tuples.length;
  const decode = rate(got, start);
  return { encode, decode, bytesPerTuple: bytes / n };
}

async function endToEnd(n: number, batchMaxTuples: number): Promise<{ perSec: number; frames: number }> {
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => { done = resolve; });
  await using server = await TransportServer.start({
    topologyId: TOPOLOGY, workerId: 'receiver', onTuples: (ts) => {
      received += ts.length;
      if (received >= n) done();
    },
  });
  await using client = PeerClient.start({ ...server.address, topologyId: TOPOLOGY, workerId: 'sender', batchMaxTuples });
  const start = process.hrtime.bigint();
  let i = 0;
  while (i < n) {
    for (let k = 0; k < ROUND && i < n && !client.isFull(); k++) client.send(tupleFor(i++));
    await new Promise((r) => setImmediate(r));
  }
  await finished;
  return { perSec: rate(n, start), frames: client.stats().sentFrames };
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 500_000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`tuples must be a positive integer, got ${args[0]}`);
  await endToEnd(Math.min(n, 50_000), 256); // warm-up: JIT, msgpackr
  const codec = codecFigures(n);
  console.log(`transport codec (${n.toLocaleString('en-US')} tuples, 256 per frame, ${codec.bytesPerTuple.toFixed(1)} bytes/tuple on the wire)`);
  console.log(`  encode  ${fmt(codec.encode)}`);
  console.log(`  decode  ${fmt(codec.decode)}`);
  console.log('loopback, one connection, end to end (send → onTuples)');
  for (const batch of [1, 16, 256, 1024]) {
    const count = batch === 1 ? Math.min(n, 100_000) : n;
    const r = await endToEnd(count, batch);
    console.log(`  batch ≤ ${String(batch).padStart(4)}  ${fmt(r.perSec).padStart(20)}  (${r.frames.toLocaleString('en-US')} frames for ${count.toLocaleString('en-US')} tuples)`);
  }
}
