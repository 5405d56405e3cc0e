import { fileURLToPath } from 'node:url';
import type { ComponentSpec, GroupingSpec, TopologySpec } from '../../src/topology/spec.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/components.mjs', import.meta.url));
export const MULTILANG_FIXTURES = fileURLToPath(new URL('../fixtures/multilang/', import.meta.url));

interface Comp {
  id: string;
  export?: string;
  args?: unknown[];
  outputs?: Record<string, string[]> | string[];
  direct?: string[];
  inputs?: Array<{ from: string; stream?: string; grouping?: GroupingSpec }>;
  parallelism?: number;
  numTasks?: number;
  config?: Record<string, unknown>;
  module?: string;
  /** Makes the component a multilang subprocess instead of a JS class. */
  shell?: string[];
}

function component(kind: 'spout' | 'bolt', c: Comp): ComponentSpec {
  const outs = Array.isArray(c.outputs) ? { default: c.outputs } : (c.outputs ?? {});
  return {
    id: c.id,
    kind,
    impl: c.shell ? { kind: 'shell', command: c.shell } : { kind: 'js', module: c.module ?? FIXTURES, export: c.export ?? 'default', args: c.args ?? [] },
    outputs: Object.entries(outs).map(([id, fields]) => ({ id, fields, direct: c.direct?.includes(id) ?? false })),
    inputs: (c.inputs ?? []).map((i) => ({ from: i.from, stream: i.stream ?? 'default', grouping: i.grouping ?? { type: 'shuffle' } })),
    parallelism: c.parallelism ?? 1,
    numTasks: c.numTasks ?? c.parallelism ?? 1,
    config: c.config ?? {},
  };
}

/** Builds a TopologySpec in code, for tests that do not need the YAML loader. */
export function makeSpec(name: string, spouts: Comp[], bolts: Comp[], config: Record<string, unknown> = {}): TopologySpec {
  return { name, config, spouts: spouts.map((s) => component('spout', s)), bolts: bolts.map((b) => component('bolt', b)) };
}

export function board(key: string): {
  emitted: number; acked: Map<string, number>; failed: Map<string, number>; counts: Map<string, number>;
  seen: Map<string, number>; ticks: number; events: string[];
} {
  const all = ((globalThis as Record<string, unknown>).__squallTest ??= {}) as Record<string, unknown>;
  return (all[key] ??= { emitted: 0, acked: new Map(), failed: new Map(), counts: new Map(), seen: new Map(), ticks: 0, events: [] }) as ReturnType<typeof board>;
}

/** Polls until cond() is true or timeoutMs passes (real time; for integration tests). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
