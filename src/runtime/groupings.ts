/**
 * Groupings: given a subscription and a tuple's values, which of the subscriber's tasks get it.
 * Choosers return cached arrays so the emit path allocates nothing for routing.
 */
import type { SubscriptionPlan } from '../topology/plan.js';
import { hashFields } from './hash.js';
import type { Random32 } from './random.js';

export interface Chooser {
  choose(values: readonly unknown[]): readonly number[];
}

export interface ChooserOptions {
  random: Random32;
  /** Tasks running in this worker, for local_or_shuffle. */
  localTasks: ReadonlySet<number>;
}

/** Direct streams are routed by the emitter's chosen task, not by a chooser. */
export function createChooser(sub: SubscriptionPlan, opts: ChooserOptions): Chooser | undefined {
  const targets = sub.targetTasks;
  switch (sub.grouping.type) {
    case 'shuffle':
    case 'none':
      return new ShuffleChooser(targets, opts.random);
    case 'local_or_shuffle': {
      const local = targets.filter((t) => opts.localTasks.has(t));
      return new ShuffleChooser(local.length > 0 ? local : targets, opts.random);
    }
    case 'fields':
      return new FieldsChooser(targets, sub.fieldIndexes);
    case 'partial_key':
      return new PartialKeyChooser(targets, sub.fieldIndexes);
    case 'all':
      return { choose: () => targets };
    case 'global': {
      const lowest = [Math.min(...targets)];
      return { choose: () => lowest };
    }
    case 'direct':
      return undefined;
  }
}

/**
 * Storm's shuffle: deal the targets in a random order, reshuffling after each full pass, so
 * every window of n tuples is spread exactly evenly over n tasks.
 */
export class ShuffleChooser implements Chooser {
  private readonly choices: number[][];
  private next: number;

  constructor(targets: readonly number[], private readonly random: Random32) {
    this.choices = targets.map((t) => [t]);
    this.next = this.choices.length;
  }

  choose(): readonly number[] {
    if (this.next >= this.choices.length) {
      this.shuffle();
      this.next = 0;
    }
    return this.choices[this.next++]!;
  }

  private shuffle(): void {
    const c = this.choices;
    for (let i = c.length - 1; i > 0; i--) {
      const j = this.random.below(i + 1);
      const tmp = c[i]!;
      c[i] = c[j]!;
      c[j] = tmp;
    }
  }
}

/** Same key, same task: stable hash of the grouped values modulo the number of tasks. */
export class FieldsChooser implements Chooser {
  private readonly singles: number[][];

  constructor(targets: readonly number[], private readonly indexes: readonly number[]) {
    this.singles = targets.map((t) => [t]);
  }

  choose(values: readonly unknown[]): readonly number[] {
    return this.singles[hashFields(values, this.indexes) % this.singles.length]!;
  }
}

const SECOND_SEED = 0x9747b28c;

/**
 * Partial key grouping ("power of two choices"): each key has two candidate tasks, and each
 * tuple goes to whichever of the two this emitter has sent fewer tuples to.
 */
export class PartialKeyChooser implements Chooser {
  private readonly singles: number[][];
  private readonly sent: Float64Array;

  constructor(targets: readonly number[], private readonly indexes: readonly number[]) {
    this.singles = targets.map((t) => [t]);
    this.sent = new Float64Array(targets.length);
  }

  choose(values: readonly unknown[]): readonly number[] {
    const n = this.singles.length;
    const a = hashFields(values, this.indexes) % n;
    const b = hashFields(values, this.indexes, SECOND_SEED) % n;
    const pick = this.sent[a]! <= this.sent[b]! ? a : b;
    this.sent[pick]! += 1;
    return this.singles[pick]!;
  }
}
