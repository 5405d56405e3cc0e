/**
 * What a component served over gRPC sees of its task: the TopologyContext answered from the
 * handshake's context JSON (Storm's shape), input tuples, and a logger whose records travel to
 * the host's log.
 */
import { ComponentError } from '../../common/errors.js';
import type { Logger, LogLevel, LogMeta } from '../../common/logger.js';
import { textOf } from '../../common/text.js';
import { stringifyJson } from '../../multilang/json-text.js';
import { DEFAULT_STREAM, SYSTEM_COMPONENT, TICK_STREAM, type HandshakeContext } from '../../multilang/messages.js';
import type { Tuple, TopologyContext } from '../../runtime/api.js';

export class RemoteContext implements TopologyContext {
  readonly topologyName: string;
  readonly componentId: string;
  readonly taskId: number;
  readonly componentTasks: readonly number[];
  private readonly tasks = new Map<string, number[]>();

  constructor(
    private readonly ctx: HandshakeContext,
    conf: Record<string, unknown>,
    readonly logger: Logger,
  ) {
    this.topologyName = textOf(conf['topology.name'] ?? '');
    this.componentId = ctx.componentid;
    this.taskId = Number(ctx.taskid);
    for (const [task, comp] of Object.entries(ctx['task->component'] ?? {})) {
      const t = Number(task);
      if (t > 0) (this.tasks.get(comp) ?? this.tasks.set(comp, []).get(comp)!).push(t);
    }
    for (const list of this.tasks.values()) list.sort((a, b) => a - b);
    this.componentTasks = this.tasksOf(this.componentId);
  }

  tasksOf(componentId: string): readonly number[] {
    return this.tasks.get(componentId) ?? [];
  }

  componentOf(taskId: number): string | undefined {
    return this.ctx['task->component']?.[String(taskId)];
  }

  outputFields(componentId: string, streamId: string = DEFAULT_STREAM): readonly string[] | undefined {
    if (componentId === this.componentId) return this.ctx['stream->outputfields']?.[streamId];
    return this.ctx['source->stream->fields']?.[componentId]?.[streamId];
  }
}

/** An input tuple; `id` is the host's tuple id, by which it is acked or failed. */
export class RemoteTuple implements Tuple {
  /** Set once acked or failed: a tuple is settled at most once. */
  settled = false;

  constructor(
    readonly id: string,
    readonly values: readonly unknown[],
    readonly sourceComponent: string,
    readonly sourceStreamId: string,
    readonly sourceTask: number,
    readonly fields: readonly string[],
  ) {}

  getValue(index: number): unknown {
    return this.values[index];
  }

  getValueByField(field: string): unknown {
    const i = this.fields.indexOf(field);
    if (i < 0) {
      throw new ComponentError('E_NO_SUCH_FIELD', `stream "${this.sourceStreamId}" of "${this.sourceComponent}" has no field "${field}"`, {
        hint: `its fields are: ${this.fields.join(', ') || '(none)'}`,
      });
    }
    return this.values[i];
  }

  isTick(): boolean {
    return this.sourceComponent === SYSTEM_COMPONENT && this.sourceStreamId === TICK_STREAM;
  }
}

/** A Logger whose records are sent to the host (as multilang `log` messages). */
export function streamLogger(send: (level: LogLevel, msg: string) => void, bindings: LogMeta = {}): Logger {
  const at = (level: LogLevel) => (msg: string, meta?: LogMeta): void => {
    const all = { ...bindings, ...meta };
    send(level, Object.keys(all).length === 0 ? msg : `${msg} ${metaText(all)}`);
  };
  return {
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (more) => streamLogger(send, { ...bindings, ...more }),
  };
}

function metaText(meta: LogMeta): string {
  try {
    return stringifyJson(meta);
  } catch {
    return textOf(meta);
  }
}
