// Components for the JavaScript word count. Each class is one Storm-style component; Squall
// creates one instance per task. See src/runtime/api.ts for the interfaces.

const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
  'snow white and the seven dwarfs',
  'i am at two with nature',
];

/** Emits random sentences, each with a message id so it is tracked and replayed on failure. */
export class RandomSentenceSpout {
  open(conf, context, collector) {
    this.collector = collector;
    this.nextId = 0;
    this.pending = new Map();
  }

  nextTuple() {
    const sentence = SENTENCES[Math.floor(Math.random() * SENTENCES.length)];
    const id = this.nextId++;
    this.pending.set(id, sentence);
    this.collector.emit([sentence], { messageId: id });
  }

  ack(id) {
    this.pending.delete(id);
  }

  fail(id) {
    // Replay: emit the same sentence again under the same id.
    this.collector.emit([this.pending.get(id)], { messageId: id });
  }
}

/** Splits a sentence into words, anchoring each word to the sentence. */
export class SplitSentenceBolt {
  prepare(conf, context, collector) {
    this.collector = collector;
  }

  execute(tuple) {
    for (const word of String(tuple.getValueByField('sentence')).split(' ')) {
      this.collector.emit([word], { anchors: tuple });
    }
    this.collector.ack(tuple);
  }
}

/** Counts words (each word always reaches the same task: fields grouping) and logs the top words on every tick. */
export class WordCountBolt {
  prepare(conf, context, collector) {
    this.collector = collector;
    this.context = context;
    this.counts = new Map();
  }

  execute(tuple) {
    if (tuple.isTick()) {
      this.report();
      return;
    }
    const word = tuple.getValueByField('word');
    const count = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, count);
    this.collector.emit([word, count], { anchors: tuple });
    this.collector.ack(tuple);
  }

  cleanup() {
    this.report();
  }

  report() {
    const top = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, 5);
    this.context.logger.info(`top words: ${top.map(([w, n]) => `${w}=${n}`).join(' ')}`);
  }
}
