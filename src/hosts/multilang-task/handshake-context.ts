/** The handshake `context` for one task, in the shape Storm's TopologyContext.toJSONString gives. */
import type { GroupingJson, HandshakeContext } from '../../multilang/index.js';
import { SYSTEM_COMPONENT, type TopologyPlan } from '../../topology/plan.js';
import type { GroupingSpec } from '../../topology/spec.js';

export function handshakeContext(plan: TopologyPlan, componentId: string, taskId: number, extra: Record<string, unknown> = {}): HandshakeContext {
  const taskComponent: Record<string, string> = { '-1': SYSTEM_COMPONENT };
  plan.taskComponent.forEach((c, t) => { if (t > 0) taskComponent[String(t)] = c; });
  const me = plan.components.get(componentId)!;
  const targets: Record<string, Record<string, GroupingJson>> = {};
  const outputFields: Record<string, string[]> = {};
  for (const s of me.streams.values()) {
    outputFields[s.streamId] = [...s.fields];
    targets[s.streamId] = Object.fromEntries(s.subscribers.map((sub) => [sub.componentId, groupingJson(sub.grouping)]));
  }
  const sources: Record<string, Record<string, GroupingJson>> = {};
  const sourceFields: Record<string, Record<string, string[]>> = {};
  for (const input of me.inputs) {
    (sources[input.from] ??= {})[input.stream] = groupingJson(input.grouping);
    const fields = plan.components.get(input.from)?.streams.get(input.stream)?.fields ?? [];
    (sourceFields[input.from] ??= {})[input.stream] = [...fields];
  }
  return {
    'task->component': taskComponent,
    taskid: taskId,
    componentid: componentId,
    'stream->target->grouping': targets,
    streams: Object.keys(outputFields),
    'stream->outputfields': outputFields,
    'source->stream->grouping': sources,
    'source->stream->fields': sourceFields,
    ...extra,
  };
}

function groupingJson(g: GroupingSpec): GroupingJson {
  switch (g.type) {
    case 'fields': return { type: 'FIELDS', fields: g.fields };
    case 'partial_key': return { type: 'PARTIAL_KEY', fields: g.fields };
    case 'global': return { type: 'FIELDS', fields: [] };
    default: return { type: g.type.toUpperCase() };
  }
}
