import type { ComponentStats } from '../runtime/stats.js';
import { compact, throughputOf } from './format.js';

/** Turns successive stats snapshots into one status line with per-component rates. */
export class StatusLine {
  private last = new Map<string, { count: number; at: number }>();

  line(stats: readonly ComponentStats[], elapsedMs: number): string {
    const parts: string[] = [];
    for (const s of stats) {
      if (s.kind === 'acker') continue;
      const count = throughputOf(s);
      const prev = this.last.get(s.componentId);
      const base = prev ?? { count: 0, at: 0 };
      const rate = elapsedMs > base.at ? ((count - base.count) * 1000) / (elapsedMs - base.at) : 0;
      this.last.set(s.componentId, { count, at: elapsedMs });
      parts.push(`${s.componentId}: ${compact(s.emitted)} emitted ${compact(s.acked)} acked ${compact(s.failed)} failed ${compact(rate)}/s`);
    }
    return `[${Math.round(elapsedMs / 1000)}s] ${parts.join(' | ')}`;
  }
}
