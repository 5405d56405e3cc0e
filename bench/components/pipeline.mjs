// Components for the local-mode benchmark: as little user work as possible, so the figures
// measure Squall's own per-tuple cost.
const WORDS = Array.from({ length: 1000 }, (_, i) => `word${i}`);

export class CountingSpout {
  open(conf, ctx, collector) { this.c = collector; this.n = 0; }
  nextTuple() {
    const n = this.n++;
    this.c.emit([WORDS[n % 1000], n], { messageId: n });
  }
}

export class PassBolt {
  prepare(conf, ctx, collector) { this.c = collector; }
  execute(t) {
    this.c.emit(t.values, { anchors: t });
    this.c.ack(t);
  }
}

export class CountBolt {
  prepare(conf, ctx, collector) { this.c = collector; this.counts = new Map(); }
  execute(t) {
    const w = t.values[0];
    this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
    this.c.ack(t);
  }
}

const SENTENCE = 'snow white and the seven dwarfs went home';

/** Emits the same 8-word sentence forever, tracked. */
export class SentenceSpout {
  open(conf, ctx, collector) { this.c = collector; this.n = 0; }
  nextTuple() { this.c.emit([SENTENCE], { messageId: this.n++ }); }
}

/** Acks everything; counts what it saw. */
export class SinkBolt {
  prepare(conf, ctx, collector) { this.c = collector; }
  execute(t) { this.c.ack(t); }
}
