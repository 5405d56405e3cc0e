import type { ComponentStats } from '../runtime/stats.js';
import type { CliContext } from './context.js';

/** 1234 → "1.2k", 5_600_000 → "5.6M". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** A left/right aligned text table. Numeric cells are right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === '-'));
  return cells
    .map((r) => r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** "1h 2m", "3m 4s", "5s". */
export function formatUptime(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = Math.floor(secs % 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** A result on stdout as indented JSON (the --json flag). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout(JSON.stringify(value, null, 2));
}

/** Tuples per second of a component: spouts by emits, bolts by executions. */
export function throughputOf(s: ComponentStats): number {
  return s.kind === 'spout' ? s.emitted : s.executed;
}

export function summaryTable(stats: readonly ComponentStats[], elapsedMs: number): string {
  const secs = Math.max(elapsedMs / 1000, 0.001);
  const rows = stats.map((s) => [
    s.componentId, s.kind, s.tasks, s.emitted, s.transferred, s.executed, s.acked, s.failed,
    Math.round(throughputOf(s) / secs),
    s.completeLatencyMs === null ? '-' : s.completeLatencyMs.toFixed(2),
    s.errors,
  ]);
  return table(['component', 'kind', 'tasks', 'emitted', 'transferred', 'executed', 'acked', 'failed', 'tuples/s', 'latency ms', 'errors'], rows);
}
