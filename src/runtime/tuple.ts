import { ComponentError } from '../common/errors.js';
import type { Tuple } from './api.js';
import { SYSTEM_COMPONENT, TICK_STREAM } from '../topology/plan.js';

/** The field names of one (component, stream), with a name → index map shared by its tuples. */
export class Fields {
  readonly names: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(names: readonly string[]) {
    this.names = names;
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  indexOf(name: string): number {
    return this.index.get(name) ?? -1;
  }
}

const NO_FIELDS = new Fields([]);

/** Tuple state: a tuple is acked or failed at most once. */
export const PENDING = 0;
export const DONE = 1;

/**
 * A tuple as it travels through the runtime. One instance per delivery (per target task), so
 * each copy carries its own edge ids. Every field is set in the constructor to keep one shape.
 */
export class TupleImpl implements Tuple {
  /** Flat triples [rootId, edgeHi, edgeLo]* naming the trees and edges of this copy; null if untracked. */
  anchors: number[] | null;
  /** XOR of the edges of every tuple emitted anchored to this one (Storm's ackVal), two halves. */
  ackHi = 0;
  ackLo = 0;
  state = PENDING;

  constructor(
    readonly values: readonly unknown[],
    readonly sourceComponent: string,
    readonly sourceStreamId: string,
    readonly sourceTask: number,
    readonly fieldsIndex: Fields,
    readonly destTask: number,
    anchors: number[] | null,
  ) {
    this.anchors = anchors;
  }

  get fields(): readonly string[] {
    return this.fieldsIndex.names;
  }

  getValue(index: number): unknown {
    return this.values[index];
  }

  getValueByField(field: string): unknown {
    const i = this.fieldsIndex.indexOf(field);
    if (i < 0) {
      throw new ComponentError('E_NO_SUCH_FIELD', `stream "${this.sourceStreamId}" of "${this.sourceComponent}" has no field "${field}"`, {
        hint: `its fields are: ${this.fieldsIndex.names.join(', ') || '(none)'}`,
      });
    }
    return this.values[i];
  }

  isTick(): boolean {
    return this.sourceStreamId === TICK_STREAM && this.sourceComponent === SYSTEM_COMPONENT;
  }

  toString(): string {
    return `source: ${this.sourceComponent}:${this.sourceTask}, stream: ${this.sourceStreamId}, ${JSON.stringify(this.values)}`;
  }
}

/** A tick tuple for a task (Storm: component "__system", task -1, stream "__tick"). */
export function tickTuple(destTask: number, freqSecs: number): TupleImpl {
  return new TupleImpl([freqSecs], SYSTEM_COMPONENT, TICK_STREAM, -1, TICK_FIELDS, destTask, null);
}

const TICK_FIELDS = new Fields(['rate_secs']);

/** A system tuple (acker traffic); never anchored. */
export function systemTuple(stream: string, values: unknown[], sourceComponent: string, sourceTask: number, destTask: number): TupleImpl {
  return new TupleImpl(values, sourceComponent, stream, sourceTask, NO_FIELDS, destTask, null);
}
