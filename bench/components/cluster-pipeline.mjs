// Components for the cluster benchmark (bench/cluster.ts): packaged with a topology.yaml and run
// by real worker processes. As little user work as possible, so the figures measure Squall.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const WORDS = Array.from({ length: 1000 }, (_, i) => `word${i}`);

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
const nowMs = () => performance.timeOrigin + performance.now();

/** Emits [word, n] as fast as it is asked, tracked. */
export class CountingSpout {
  open(conf, ctx, collector) { this.c = collector; this.n = 0; }
  nextTuple() {
    const n = this.n++;
    this.c.emit([WORDS[n % 1000], n], { messageId: n });
  }
}

/** Emits [word, emit time in ms] at a fixed rate (tuples/s, its first arg), tracked. */
export class TimedSpout {
  constructor(rate = 10_000) { this.rate = rate; }
  open(conf, ctx, collector) { this.c = collector; this.n = 0; this.t0 = nowMs(); }
  nextTuple() {
    const due = Math.floor(((nowMs() - this.t0) * this.rate) / 1000);
    // Never catch up in a burst after a stall (at most 2 ms worth per call).
    const burst = Math.max(1, Math.ceil(this.rate / 500));
    if (due - this.n > burst) this.n = due - burst;
    while (this.n < due) {
      const n = this.n++;
      this.c.emit([WORDS[n % 1000], nowMs()], { messageId: n });
    }
  }
  /** The first ack this process saw, appended to first-ack.jsonl in the worker directory (recovery figure). */
  ack() {
    if (this.acked) return;
    this.acked = true;
    appendFileSync(join(process.cwd(), 'first-ack.jsonl'), `${JSON.stringify({ pid: process.pid, t: nowMs() })}\n`);
  }
}

// The pass-through and counting bolts are the local benchmark's (copied into the package with this file).
export { PassBolt, CountBolt } from './pipeline.mjs';

/**
 * Last bolt of the latency pipeline: latency = now − the spout's timestamp (values[1]). Every
 * second it appends one line to latency-task<id>.jsonl in its working directory (the worker
 * directory): {t, n, max, b} where b maps 10 µs buckets (floor(µs / 10)) to counts for that second.
 */
export class LatencyBolt {
  prepare(conf, ctx, collector) {
    this.c = collector;
    this.file = join(process.cwd(), `latency-task${ctx.taskId}.jsonl`);
    this.reset();
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref?.();
  }
  reset() { this.b = new Map(); this.n = 0; this.max = 0; }
  execute(t) {
    const ms = nowMs() - t.values[1];
    const bucket = Math.max(0, Math.floor(ms * 100));
    this.b.set(bucket, (this.b.get(bucket) ?? 0) + 1);
    this.n++;
    if (ms > this.max) this.max = ms;
    this.c.ack(t);
  }
  flush() {
    if (this.n > 0) {
      const line = { t: Date.now(), n: this.n, max: this.max, b: Object.fromEntries(this.b) };
      try { appendFileSync(this.file, JSON.stringify(line) + '\n'); } catch { /* the directory may be going away */ }
    }
    this.reset();
  }
  cleanup() { clearInterval(this.timer); this.flush(); }
}
